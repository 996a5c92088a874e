"""Members on SQLite stop and start again: same keys, same groups, same epoch."""

import gc

from conftest import (
    CohortError,
    apply_commit,
    assert_same_epoch,
    assert_talks,
    identities,
    read,
    three_member_group,
)
import pytest

from cohort_ffi import MlsClient

NAMES = (b"alice", b"bob", b"carol")


def open_all(tmp_path):
    return tuple(MlsClient.open(n, str(tmp_path / (n.decode() + ".db"))) for n in NAMES)


def close_all(*objects):
    for o in objects:
        if isinstance(o, MlsClient):
            o.close()


def test_restart_from_sqlite_continues_the_conversation(tmp_path):
    clients = open_all(tmp_path)
    keys = [c.signature_public_key() for c in clients]
    a, b, c = three_member_group(*clients)
    group_id = a.group_id()
    assert_talks(a, b, c, text=b"before")
    assert_talks(c, a, b, text=b"before too")
    update = b.self_update()
    for g in (a, c):
        apply_commit(g, update.commit)
    b.merge_pending_commit()
    epoch, authenticator = a.epoch(), a.epoch_authenticator()
    assert epoch == 2
    # A message sent before the stop, read after it.
    late = c.encrypt(b"sent before the restart")
    # A commit of alice still pending when she stops.
    pending = a.self_update()

    close_all(*clients)
    with pytest.raises(CohortError.Closed):
        a.epoch()
    del a, b, c, clients
    gc.collect()

    clients = open_all(tmp_path)
    assert [c.signature_public_key() for c in clients] == keys
    groups = []
    for client in clients:
        assert client.group_ids() == [group_id]
        g = client.load_group(group_id)
        assert g is not None
        groups.append(g)
    a, b, c = groups
    for g in groups:
        assert g.epoch() == epoch
        assert g.epoch_authenticator() == authenticator
    assert identities(a) == list(NAMES)
    assert [m.signature_key for m in a.roster()] == keys
    assert read(a, late) == (b"carol", b"sent before the restart")
    assert read(b, late) == (b"carol", b"sent before the restart")
    assert a.has_pending_commit()

    # The members go on in the same epoch ...
    assert_talks(a, b, c, text=b"after")
    assert_talks(b, a, c, text=b"after, bob")
    assert_talks(c, a, b, text=b"after, carol")
    assert a.epoch() == epoch
    # ... and the pending commit is delivered and applied by all.
    for g in (b, c, a):
        assert apply_commit(g, pending.commit).epoch == epoch + 1
    assert_same_epoch(a, b, c)
    assert_talks(a, b, c, text=b"next epoch")


def test_restart_restores_a_client_that_was_added_later(tmp_path):
    db = str(tmp_path / "dave.db")
    alice = MlsClient.in_memory(b"alice")
    dave = MlsClient.open(b"dave", db)
    kp = dave.generate_key_package()
    key = dave.signature_public_key()
    dave.close()
    del dave
    # The KeyPackage's private keys were stored: a Welcome to it is
    # joined after the restart.
    a = alice.create_group()
    out = a.add_members([kp])
    a.merge_pending_commit()
    dave = MlsClient.open(b"dave", db)
    assert dave.signature_public_key() == key
    d = dave.join_welcome(out.welcome)
    assert_same_epoch(a, d)
    assert_talks(d, a)


def test_identities_share_a_database(tmp_path):
    db = str(tmp_path / "shared.db")
    alice = MlsClient.open(b"alice", db)
    bob = MlsClient.open(b"bob", db)
    assert alice.signature_public_key() != bob.signature_public_key()
    a = alice.create_group()
    out = a.add_members([bob.generate_key_package()])
    a.merge_pending_commit()
    bob.join_welcome(out.welcome)
    assert alice.group_ids() == bob.group_ids() == [a.group_id()]
    alice_key, bob_key = alice.signature_public_key(), bob.signature_public_key()
    alice.close()
    bob.close()
    assert MlsClient.open(b"alice", db).signature_public_key() == alice_key
    assert MlsClient.open(b"bob", db).signature_public_key() == bob_key
    assert MlsClient.open(b"carol", db).group_ids() == []


def test_reopening_with_another_ciphersuite_is_refused(tmp_path):
    db = str(tmp_path / "alice.db")
    alice = MlsClient.open(b"alice", db)
    group_id = alice.create_group().group_id()
    alice.close()
    with pytest.raises(CohortError.Misuse, match="cipher suite 0x0001, not 0x0003"):
        MlsClient.open_with_ciphersuite(b"alice", db, 3)
    with pytest.raises(CohortError.InvalidArgument, match="unknown cipher suite 0x7777"):
        MlsClient.open_with_ciphersuite(b"erin", db, 0x7777)
    # The refused opens changed nothing.
    assert MlsClient.open(b"alice", db).group_ids() == [group_id]


def test_other_ciphersuites_work_and_persist(tmp_path):
    db = str(tmp_path / "p256.db")
    alice = MlsClient.open_with_ciphersuite(b"alice", db, 2)  # P-256
    bob = MlsClient.open_with_ciphersuite(b"bob", None, 2)
    assert alice.ciphersuite() == 2
    a = alice.create_group()
    out = a.add_members([bob.generate_key_package()])
    a.merge_pending_commit()
    b = bob.join_welcome(out.welcome)
    key = alice.signature_public_key()
    alice.close()
    alice = MlsClient.open_with_ciphersuite(b"alice", db, 2)
    assert alice.signature_public_key() == key
    a = alice.load_group(b.group_id())
    assert_same_epoch(a, b)
    assert_talks(a, b)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "not.db"
    path.write_bytes(b"this is not an SQLite database" * 100)
    with pytest.raises(CohortError.Storage):
        MlsClient.open(b"alice", str(path))
    with pytest.raises(CohortError.Storage):
        MlsClient.open(b"alice", str(tmp_path / "no-such-dir" / "x.db"))
