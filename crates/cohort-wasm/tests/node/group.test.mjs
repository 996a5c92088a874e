// End-to-end test of the Node.js package: a three-member group through
// adds, messages from each member, a self-update, a remove, and one
// member's state exported, re-imported and used again.
//
// COHORT_WASM_NODE_PKG names the directory `wasm-bindgen --target nodejs`
// wrote (scripts/test-wasm sets it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';

const pkgDir = process.env.COHORT_WASM_NODE_PKG;
assert.ok(pkgDir, 'COHORT_WASM_NODE_PKG must name the nodejs package directory');
const require = createRequire(import.meta.url);
const { CohortClient } = require(path.resolve(pkgDir, 'cohort_wasm.js'));

const text = (s) => new TextEncoder().encode(s);
const str = (b) => new TextDecoder().decode(b);

/** Delivers `bytes` to every client in `to`, returning what each saw. */
function deliver(to, groupId, bytes) {
  return to.map((c) => c.process(groupId, bytes));
}

/** Every member in `clients` agrees on the epoch and its authenticator. */
function assertAgree(clients, groupId, epoch) {
  const auth = Buffer.from(clients[0].epochAuthenticator(groupId)).toString('hex');
  for (const c of clients) {
    assert.equal(c.epoch(groupId), epoch, `${str(c.identity)} epoch`);
    assert.equal(Buffer.from(c.epochAuthenticator(groupId)).toString('hex'), auth,
      `${str(c.identity)} epoch authenticator`);
  }
}

/** Sends `msg` from `from` and checks every other member reads it. */
function talk(from, others, groupId, msg) {
  const ct = from.encrypt(groupId, text(msg));
  for (const seen of deliver(others, groupId, ct)) {
    assert.equal(seen.type, 'application');
    assert.equal(str(seen.data), msg);
    assert.equal(str(seen.identity), str(from.identity));
    assert.equal(seen.sender, from.ownIndex(groupId));
  }
  return ct;
}

test('three members: add, talk, update, remove, export/import', () => {
  const alice = new CohortClient('alice');
  const bob = new CohortClient('bob');
  const carol = new CohortClient('carol');
  assert.equal(alice.ciphersuite, 1);
  assert.equal(str(alice.identity), 'alice');

  const g = alice.createGroup();
  assert.equal(alice.epoch(g), 0);
  assert.deepEqual(alice.groupIds().map((id) => Buffer.from(id).toString('hex')),
    [Buffer.from(g).toString('hex')]);

  // Alice adds bob and carol in one commit.
  const out = alice.addMembers(g, [bob.generateKeyPackage(), carol.generateKeyPackage()]);
  assert.ok(out.commit instanceof Uint8Array);
  assert.ok(out.welcome instanceof Uint8Array);
  assert.equal(alice.mergePendingCommit(g), 1);

  const staged = bob.stageWelcome(out.welcome);
  assert.equal(staged.epoch, 1);
  assert.equal(staged.roster().length, 3);
  assert.equal(str(staged.addedBy().identity), 'alice');
  assert.equal(Buffer.from(staged.groupId).toString('hex'), Buffer.from(g).toString('hex'));
  bob.join(staged);
  carol.joinWelcome(out.welcome);
  const all = [alice, bob, carol];
  assertAgree(all, g, 1);
  assert.deepEqual(carol.roster(g).map((m) => str(m.identity)), ['alice', 'bob', 'carol']);

  // Everyone speaks.
  talk(alice, [bob, carol], g, 'hello from alice');
  talk(bob, [alice, carol], g, 'hello from bob');
  talk(carol, [alice, bob], g, 'hello from carol');

  // Bob renews his keys; the others apply the commit.
  const update = bob.selfUpdate(g);
  assert.equal(update.welcome, undefined);
  for (const seen of deliver([alice, carol], g, update.commit)) {
    assert.equal(seen.type, 'commit');
    assert.equal(seen.epoch, 2);
    assert.equal(seen.sender, bob.ownIndex(g));
    assert.equal(seen.active, true);
  }
  // Bob merges his own commit from the delivery service's echo.
  const echo = bob.process(g, update.commit);
  assert.equal(echo.type, 'commit');
  assert.equal(echo.epoch, 2);
  assertAgree(all, g, 2);
  const read = talk(bob, [alice, carol], g, 'bob after update');

  // Carol's state goes out and comes back; the restored client goes on.
  const saved = carol.exportState();
  assert.ok(saved.length > 100);
  carol.free();
  const carol2 = CohortClient.importState(saved);
  assert.equal(str(carol2.identity), 'carol');
  assert.equal(carol2.epoch(g), 2);
  talk(carol2, [alice, bob], g, 'carol, restored');
  talk(alice, [bob, carol2], g, 'alice to restored carol');

  // A message carol read before the export is refused as a replay after.
  assert.throws(() => carol2.process(g, read), /process/);

  // Alice removes bob.
  const bobLeaf = bob.ownIndex(g);
  const remove = alice.removeMembers(g, [bobLeaf]);
  const [atBob, atCarol] = deliver([bob, carol2], g, remove.commit);
  assert.equal(atBob.type, 'commit');
  assert.equal(atBob.active, false);
  assert.deepEqual(atCarol.removed, [bobLeaf]);
  assert.equal(atCarol.epoch, 3);
  assert.equal(alice.mergePendingCommit(g), 3);
  assert.equal(bob.isActive(g), false);
  assertAgree([alice, carol2], g, 3);
  assert.deepEqual(alice.roster(g).map((m) => str(m.identity)), ['alice', 'carol']);
  talk(carol2, [alice], g, 'just the two of us');

  // Bob can no longer read the group.
  const secret = alice.encrypt(g, text('not for bob'));
  assert.throws(() => bob.process(g, secret), /process/);
});

test('errors name the failed check', () => {
  assert.throws(() => CohortClient.importState(new Uint8Array([1, 2, 3])),
    /client state: storage snapshot truncated in magic/);
  assert.throws(() => CohortClient.importState(new TextEncoder().encode('XMEMxxxxxxxxxx')),
    /bad magic/);
  assert.throws(() => new CohortClient('x', 0x7777), /unsupported cipher suite 0x7777/);
  const a = new CohortClient('a');
  assert.throws(() => a.epoch(new Uint8Array([1])), /no group with this id/);
  const g = a.createGroup();
  assert.throws(() => a.addMembers(g, [new Uint8Array([0, 1, 0, 5])]), /decode message/);
  assert.throws(() => a.addMembers(g, [a.encrypt(g, text('x'))]), /expected a KeyPackage message/);
  assert.throws(() => a.process(g, new Uint8Array(10)), /process/);
  // Truncated state: every prefix fails with a named error, none crashes.
  const state = a.exportState();
  for (const cut of [4, 6, 10, 11, 20, state.length - 1]) {
    assert.throws(() => CohortClient.importState(state.subarray(0, cut)), /client state:/);
  }
});
