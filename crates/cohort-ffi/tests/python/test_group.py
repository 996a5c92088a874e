"""A three-member group through the Python bindings."""

from conftest import (
    CohortError,
    apply_commit,
    assert_same_epoch,
    assert_talks,
    identities,
    read,
)
import pytest

from cohort_ffi import MlsClient, ProcessedMessage


def test_client_defaults():
    c = MlsClient.in_memory(b"dora")
    assert c.identity() == b"dora"
    assert c.ciphersuite() == 0x0001
    assert len(c.signature_public_key()) == 32  # Ed25519
    assert c.group_ids() == []
    kp1, kp2 = c.generate_key_package(), c.generate_key_package()
    assert kp1 != kp2 and len(kp1) > 100


def test_welcome_is_inspected_before_joining():
    alice, bob = MlsClient.in_memory(b"alice"), MlsClient.in_memory(b"bob")
    a = alice.create_group()
    assert a.epoch() == 0 and identities(a) == [b"alice"]
    out = a.add_members([bob.generate_key_package()])
    assert a.has_pending_commit()
    a.merge_pending_commit()
    assert not a.has_pending_commit()
    staged = bob.stage_welcome(out.welcome)
    assert staged.group_id() == a.group_id()
    assert staged.epoch() == 1
    assert staged.ciphersuite() == 1
    assert staged.own_leaf_index() == 1
    assert [m.identity for m in staged.roster()] == [b"alice", b"bob"]
    assert staged.added_by().identity == b"alice"
    assert staged.added_by().signature_key == alice.signature_public_key()
    assert bob.group_ids() == []  # staging stored nothing
    b = staged.join()
    assert bob.group_ids() == [a.group_id()]
    assert b.own_leaf_index() == 1
    assert_same_epoch(a, b)


def test_three_members_talk_update_and_remove(group3):
    (alice, bob, carol), (a, b, c) = group3
    assert a.epoch() == 1
    assert identities(a) == identities(b) == identities(c) == [b"alice", b"bob", b"carol"]
    assert [m.leaf_index for m in a.roster()] == [0, 1, 2]

    # Every member's message is read by the two others, with its sender.
    for sender, name, leaf, readers in (
        (a, b"alice", 0, (b, c)),
        (b, b"bob", 1, (a, c)),
        (c, b"carol", 2, (a, b)),
    ):
        msg = sender.encrypt_with_aad(b"hello from " + name, b"meta")
        for r in readers:
            out = r.process(msg)
            assert isinstance(out, ProcessedMessage.APPLICATION)
            assert out.sender.identity == name
            assert out.sender.leaf_index == leaf
            assert out.data == b"hello from " + name
            assert out.authenticated_data == b"meta"
            assert out.epoch == 1

    # Bob updates his keys: the others apply the commit, bob merges it.
    before = a.epoch_authenticator()
    update = b.self_update()
    assert update.welcome is None
    for g in (a, c):
        out = apply_commit(g, update.commit)
        assert out.epoch == 2
        assert out.sender_leaf_index == 1
        assert out.added == [] and out.removed == []
        assert out.still_member
    b.merge_pending_commit()
    assert_same_epoch(a, b, c)
    assert a.epoch() == 2 and a.epoch_authenticator() != before
    assert_talks(b, a, c, text=b"new keys")

    # Alice removes carol; carol learns it, the two others go on.
    remove = a.remove_members([c.own_leaf_index()])
    out = apply_commit(b, remove.commit)
    assert out.epoch == 3
    assert [m.identity for m in out.removed] == [b"carol"]
    gone = apply_commit(c, remove.commit)
    assert not gone.still_member
    assert not c.is_active()
    # The committer may also process the echo of its own commit.
    echo = apply_commit(a, remove.commit)
    assert echo.epoch == 3 and echo.still_member
    assert_same_epoch(a, b)
    assert identities(a) == identities(b) == [b"alice", b"bob"]
    assert_talks(a, b, text=b"just us")
    assert_talks(b, a, text=b"indeed")
    # Carol cannot read the new epoch's messages.
    with pytest.raises(CohortError):
        c.process(a.encrypt(b"secret"))


def test_one_commit_adds_and_removes_and_reports_it(group3):
    (alice, bob, carol), (a, b, c) = group3
    dave = MlsClient.in_memory(b"dave")
    out = a.commit([dave.generate_key_package()], [1], True)
    a.merge_pending_commit()
    processed = apply_commit(c, out.commit)
    assert [m.identity for m in processed.added] == [b"dave"]
    assert [(m.leaf_index, m.identity) for m in processed.removed] == [(1, b"bob")]
    assert not apply_commit(b, out.commit).still_member
    d = dave.join_welcome(out.welcome)
    assert_same_epoch(a, c, d)
    assert sorted(identities(d)) == [b"alice", b"carol", b"dave"]
    assert_talks(d, a, c, text=b"hi, I am new")


def test_proposals_are_reported_then_committed(group3):
    (alice, bob, carol), (a, b, c) = group3
    dave = MlsClient.in_memory(b"dave")
    # Bob proposes removing carol, carol proposes adding dave.
    remove = b.propose_remove(2)
    add = c.propose_add(dave.generate_key_package())
    for g in (a, b, c):
        out = g.process(remove)
        assert isinstance(out, ProcessedMessage.PROPOSAL)
        assert (out.sender_leaf_index, out.proposal_type) == (1, 3)
        out = g.process(add)
        assert isinstance(out, ProcessedMessage.PROPOSAL)
        assert (out.sender_leaf_index, out.proposal_type) == (2, 1)
    assert a.epoch() == 1  # proposals alone change no epoch
    # Alice commits what was proposed.
    out = a.commit([], [], False)
    assert out.welcome is not None
    a.merge_pending_commit()
    processed = apply_commit(b, out.commit)
    assert [m.identity for m in processed.added] == [b"dave"]
    assert [m.identity for m in processed.removed] == [b"carol"]
    assert not apply_commit(c, out.commit).still_member
    d = dave.join_welcome(out.welcome)
    assert_same_epoch(a, b, d)
    assert sorted(identities(a)) == [b"alice", b"bob", b"dave"]
    # An update proposal, committed by another member.
    upd = d.propose_self_update()
    for g in (a, b, d):
        assert g.process(upd).proposal_type == 2
    out = b.commit([], [], False)
    b.merge_pending_commit()
    apply_commit(a, out.commit)
    apply_commit(d, out.commit)
    assert_same_epoch(a, b, d)
    assert_talks(d, a, b)


def test_client_routes_messages_by_group():
    alice, bob = MlsClient.in_memory(b"alice"), MlsClient.in_memory(b"bob")
    groups = []
    for _ in range(2):
        a = alice.create_group()
        out = a.add_members([bob.generate_key_package()])
        a.merge_pending_commit()
        groups.append((a, bob.join_welcome(out.welcome)))
    assert sorted(bob.group_ids()) == sorted(a.group_id() for a, _ in groups)
    for i, (a, b) in enumerate(groups):
        msg = a.encrypt(b"to group %d" % i)
        assert bob.message_group_id(msg) == a.group_id()
        out = bob.process_message(msg)
        assert isinstance(out, ProcessedMessage.APPLICATION)
        assert out.data == b"to group %d" % i
    loaded = bob.load_group(groups[0][0].group_id())
    assert loaded is not None and loaded.epoch() == 1
    assert bob.load_group(b"no such group") is None


def test_export_secret_and_group_info(group3):
    _, (a, b, c) = group3
    s = a.export_secret("app key", b"context", 16)
    assert len(s) == 16
    assert s != a.export_secret("app key", b"other", 16)
    assert s == b.export_secret("app key", b"context", 16)
    assert len(a.group_info(True)) > len(a.group_info(False)) > 0


def test_objects_are_shared_between_threads(group3):
    import threading

    _, (a, b, c) = group3
    errors, received = [], []

    def send(n):
        try:
            for i in range(n):
                received.append(b.process(a.encrypt(b"%d" % i)).data)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=send, args=(10,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(received) == 40
    assert_same_epoch(a, b, c)
