// Timings in the browser: a join from a Welcome into a group of `members`
// (the median over `joins` joiners), and an application message round trip
// (alice encrypts, a joined member decrypts; the median over `samples`
// samples of `batch` round trips each). The result is left in
// `window.benchResult` for scripts/wasm/page-check.mjs.
import init, { CohortClient } from './pkg/cohort_wasm.js';

const params = new URLSearchParams(location.search);
const members = Number(params.get('members') ?? 1024);
const joins = Number(params.get('joins') ?? 5);
const samples = Number(params.get('samples') ?? 9);
const batch = Number(params.get('batch') ?? 10);
const out = document.getElementById('out');
const say = (s) => { out.textContent += `\n${s}`; };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function run() {
  await init();
  const t0 = performance.now();
  const alice = new CohortClient('alice');
  const group = alice.createGroup();
  const others = [];
  const keyPackages = [];
  for (let i = 1; i < members; i++) {
    const c = new CohortClient(`member-${i}`);
    keyPackages.push(c.generateKeyPackage());
    others.push(c);
  }
  const setupKeys = performance.now() - t0;
  const t1 = performance.now();
  const commit = alice.addMembers(group, keyPackages);
  alice.mergePendingCommit(group);
  const addAll = performance.now() - t1;
  say(`setup: ${members - 1} clients and KeyPackages ${setupKeys.toFixed(0)} ms; ` +
      `one commit adding them ${addAll.toFixed(0)} ms; Welcome ${commit.welcome.length} bytes`);

  const joinTimes = [];
  for (let j = 0; j < joins; j++) {
    const t = performance.now();
    others[j].joinWelcome(commit.welcome);
    joinTimes.push(performance.now() - t);
  }
  const bob = others[0];
  if (bob.roster(group).length !== members) throw new Error('joiner sees a wrong roster');

  const data = new TextEncoder().encode('a message of moderate length, 64 bytes....................');
  const rt = [];
  const encOnly = [];
  for (let s = 0; s < samples; s++) {
    let te = 0;
    const t = performance.now();
    for (let i = 0; i < batch; i++) {
      const a = performance.now();
      const ct = alice.encrypt(group, data);
      te += performance.now() - a;
      const seen = bob.process(group, ct);
      if (seen.type !== 'application' || seen.data.length !== data.length) {
        throw new Error('round trip failed');
      }
    }
    rt.push((performance.now() - t) / batch);
    encOnly.push(te / batch);
  }
  const result = {
    members,
    joins: joinTimes.length,
    join_median_ms: median(joinTimes),
    join_ms: joinTimes.map((x) => Number(x.toFixed(1))),
    round_trip_median_ms: median(rt),
    encrypt_median_ms: median(encOnly),
    samples,
    batch,
    add_all_commit_ms: addAll,
    user_agent: navigator.userAgent,
  };
  say(JSON.stringify(result, null, 2));
  window.benchResult = result;
}

run().catch((e) => {
  say(`error: ${e.message}`);
  window.benchResult = { error: String(e.message) };
});
