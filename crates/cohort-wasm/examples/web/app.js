// Two Cohort clients in one page: alice creates a group and adds bob; each
// sends messages the other decrypts; bob's whole state can be saved to
// IndexedDB and restored into a new client that carries on.
import init, { CohortClient } from './pkg/cohort_wasm.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const hex = (b) => Array.from(b.slice(0, 6), (x) => x.toString(16).padStart(2, '0')).join('');
const $ = (who, role) => document.querySelector(`#${who} [data-role=${role}]`);
const status = (s) => { document.getElementById('status').textContent = s; };

const clients = {};
let group = null;

function log(who, text, kind) {
  const li = document.createElement('li');
  li.className = kind;
  li.textContent = text;
  $(who, 'log').appendChild(li);
}

function showMeta() {
  for (const who of ['alice', 'bob']) {
    const c = clients[who];
    $(who, 'meta').textContent =
      `epoch ${c.epoch(group)} · leaf ${c.ownIndex(group)} · members ${c.roster(group).length}` +
      ` · authenticator ${hex(c.epochAuthenticator(group))}…`;
  }
}

/** Delivers a message from `from` to the other member and shows it. */
function deliver(from, bytes) {
  const to = from === 'alice' ? 'bob' : 'alice';
  const seen = clients[to].process(group, bytes);
  if (seen.type === 'application') {
    log(to, `${dec.decode(seen.identity)}: ${dec.decode(seen.data)}`, 'in');
  } else if (seen.type === 'commit') {
    log(to, `${from} committed: now epoch ${seen.epoch}`, 'sys');
  }
  return seen;
}

function send(who) {
  const input = $(who, 'text');
  const text = input.value.trim();
  if (!text) return;
  const ct = clients[who].encrypt(group, enc.encode(text));
  log(who, `me: ${text}`, 'out');
  deliver(who, ct);
  input.value = '';
  status(`${who} sent ${ct.length} encrypted bytes`);
}

function update(who) {
  const out = clients[who].selfUpdate(group);
  deliver(who, out.commit);
  clients[who].mergePendingCommit(group);
  log(who, `I updated my keys: epoch ${clients[who].epoch(group)}`, 'sys');
  showMeta();
}

function idb(run) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('cohort-demo', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('clients');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction('clients', 'readwrite');
      const req = run(tx.objectStore('clients'));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
    };
  });
}

async function reloadBob() {
  const state = clients.bob.exportState();
  await idb((store) => store.put(state, 'bob'));
  clients.bob.free();
  const saved = await idb((store) => store.get('bob'));
  clients.bob = CohortClient.importState(saved);
  log('bob', `reloaded from IndexedDB (${saved.length} bytes)`, 'sys');
  showMeta();
  status('bob restored from IndexedDB');
}

function start() {
  clients.alice = new CohortClient('alice');
  clients.bob = new CohortClient('bob');
  group = clients.alice.createGroup();
  const out = clients.alice.addMembers(group, [clients.bob.generateKeyPackage()]);
  clients.alice.mergePendingCommit(group);
  const staged = clients.bob.stageWelcome(out.welcome);
  log('bob', `invited by ${dec.decode(staged.addedBy().identity)} to a group of ${staged.roster().length}`, 'sys');
  clients.bob.join(staged);
  log('alice', 'created the group and added bob', 'sys');
  for (const who of ['alice', 'bob']) {
    $(who, 'send').disabled = false;
    $(who, 'update').disabled = false;
  }
  $('bob', 'reload').disabled = false;
  document.getElementById('start').disabled = true;
  showMeta();
  status('group ready');
}

function guard(fn) {
  return async () => {
    try { await fn(); } catch (e) { status(`error: ${e.message}`); console.error(e); }
  };
}

await init();
document.getElementById('start').onclick = guard(start);
for (const who of ['alice', 'bob']) {
  $(who, 'send').onclick = guard(() => send(who));
  $(who, 'update').onclick = guard(() => update(who));
  $(who, 'text').onkeydown = (e) => { if (e.key === 'Enter') guard(() => send(who))(); };
}
$('bob', 'reload').onclick = guard(reloadBob);
status('ready: create the group');
