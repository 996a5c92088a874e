"""Bad input raises a CohortError subclass naming the check, and changes nothing."""

from conftest import (
    CohortError,
    apply_commit,
    assert_same_epoch,
    assert_talks,
    read,
)
import pytest

from cohort_ffi import MlsClient


def unchanged(before, *groups):
    """Every group is still at `before` = (epoch, authenticator) and works."""
    for g in groups:
        assert (g.epoch(), g.epoch_authenticator()) == before
    assert_same_epoch(*groups)
    assert_talks(groups[0], *groups[1:])
    assert_talks(groups[-1], *groups[:-1])


def state(g):
    return g.epoch(), g.epoch_authenticator()


def test_every_error_is_a_cohort_error_subclass():
    for kind in ("Malformed", "Validation", "Misuse", "Limit", "Crypto", "Signer",
                 "Storage", "UnknownGroup", "InvalidArgument", "Closed", "Internal"):
        assert issubclass(getattr(CohortError, kind), CohortError)
    assert issubclass(CohortError, Exception)


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x00", b"garbage key package", bytes(300), b"\x00\x01\x00\x05" + bytes(50)],
)
def test_garbage_key_package(group3, garbage):
    _, (a, b, c) = group3
    before = state(a)
    with pytest.raises(CohortError.Malformed):
        a.add_members([garbage])
    with pytest.raises(CohortError.Malformed):
        a.propose_add(garbage)
    assert not a.has_pending_commit()
    unchanged(before, a, b, c)


def test_truncated_and_tampered_key_packages(group3):
    (alice, bob, carol), (a, b, c) = group3
    kp = MlsClient.in_memory(b"dave").generate_key_package()
    before = state(a)
    for cut in (1, 4, len(kp) // 2, len(kp) - 1):
        with pytest.raises(CohortError.Malformed, match="malformed input"):
            a.add_members([kp[:cut]])
    with pytest.raises(CohortError.Malformed, match="trailing bytes"):
        a.add_members([kp + b"\x00"])
    tampered = bytearray(kp)
    tampered[-10] ^= 1  # inside the signature
    with pytest.raises(CohortError.Validation, match="signature"):
        a.add_members([bytes(tampered)])
    # A valid KeyPackage next to a bad one: nothing is committed.
    with pytest.raises(CohortError.Malformed):
        a.add_members([kp, b"bad"])
    assert not a.has_pending_commit()
    unchanged(before, a, b, c)
    # The good one alone still works.
    out = a.add_members([kp])
    a.merge_pending_commit()
    assert apply_commit(b, out.commit).epoch == before[0] + 1


def test_other_message_kinds_where_a_key_package_or_welcome_is_expected(group3):
    (alice, bob, carol), (a, b, c) = group3
    before = state(a)
    msg = a.encrypt(b"not a key package")
    with pytest.raises(CohortError.Misuse, match="KeyPackage"):
        a.add_members([msg])
    with pytest.raises(CohortError.Misuse, match="Welcome"):
        bob.stage_welcome(msg)
    with pytest.raises(CohortError.Misuse, match="not a group message"):
        b.process(bob.generate_key_package())
    assert read(b, msg) == (b"alice", b"not a key package")
    assert read(c, msg) == (b"alice", b"not a key package")
    unchanged(before, a, b, c)


def test_truncated_message(group3):
    _, (a, b, c) = group3
    before = state(a)
    msg = a.encrypt(b"whole")
    for cut in (0, 1, 3, 10, len(msg) // 2, len(msg) - 1):
        with pytest.raises(CohortError.Malformed, match="malformed input"):
            b.process(msg[:cut])
    with pytest.raises(CohortError.Malformed, match="trailing bytes"):
        b.process(msg + b"\x00")
    # The whole message is still read.
    assert read(b, msg) == (b"alice", b"whole")
    assert read(c, msg) == (b"alice", b"whole")
    unchanged(before, a, b, c)


def test_tampered_message(group3):
    _, (a, b, c) = group3
    before = state(a)
    msg = a.encrypt(b"intact")
    tampered = bytearray(msg)
    tampered[-5] ^= 0x40  # in the AEAD ciphertext
    with pytest.raises(CohortError):
        b.process(bytes(tampered))
    assert read(b, msg) == (b"alice", b"intact")
    unchanged(before, a, b, c)


def test_message_for_an_unknown_group(group3):
    (alice, bob, carol), (a, b, c) = group3
    before = state(a)
    # Another group, of alice and dave only.
    dave = MlsClient.in_memory(b"dave")
    other = alice.create_group()
    out = other.add_members([dave.generate_key_package()])
    other.merge_pending_commit()
    dave.join_welcome(out.welcome)
    msg = other.encrypt(b"not for bob")
    with pytest.raises(CohortError.UnknownGroup, match=other.group_id().hex()):
        bob.process_message(msg)
    with pytest.raises(CohortError.Validation, match="group"):
        b.process(msg)
    assert dave.process_message(msg).data == b"not for bob"
    unchanged(before, a, b, c)


def test_message_processed_twice(group3):
    _, (a, b, c) = group3
    before = state(a)
    msg = a.encrypt(b"once")
    assert read(b, msg) == (b"alice", b"once")
    with pytest.raises(CohortError.Validation, match="generation 0 already consumed"):
        b.process(msg)
    assert read(c, msg) == (b"alice", b"once")
    unchanged(before, a, b, c)


def test_commit_processed_twice(group3):
    _, (a, b, c) = group3
    update = a.self_update()
    a.merge_pending_commit()
    apply_commit(b, update.commit)
    apply_commit(c, update.commit)
    after = state(a)
    with pytest.raises(CohortError.Validation, match="epoch"):
        b.process(update.commit)
    unchanged(after, a, b, c)


def test_welcome_errors(group3):
    (alice, bob, carol), (a, b, c) = group3
    before = state(a)
    dave, erin = MlsClient.in_memory(b"dave"), MlsClient.in_memory(b"erin")
    out = a.add_members([dave.generate_key_package()])
    with pytest.raises(CohortError.Malformed):
        dave.stage_welcome(out.welcome[:-3])
    with pytest.raises(CohortError.Validation, match="KeyPackage"):
        erin.stage_welcome(out.welcome)  # for none of erin's KeyPackages
    staged = dave.stage_welcome(out.welcome)
    staged.join()
    with pytest.raises(CohortError.Misuse, match="used already"):
        staged.join()
    # The Welcome's KeyPackage was used up by the join.
    with pytest.raises(CohortError.Validation, match="KeyPackage"):
        dave.join_welcome(out.welcome)
    a.clear_pending_commit()
    unchanged(before, a, b, c)


def test_commit_errors(group3):
    _, (a, b, c) = group3
    before = state(a)
    with pytest.raises(CohortError.Misuse):
        a.merge_pending_commit()  # nothing pending
    with pytest.raises(CohortError.Validation):
        a.remove_members([7])  # no such leaf
    with pytest.raises(CohortError):
        a.remove_members([a.own_leaf_index()])  # a committer cannot remove itself
    assert not a.has_pending_commit()
    with pytest.raises(CohortError):
        a.export_secret("too long", b"", 65535)
    unchanged(before, a, b, c)


def test_a_closed_client_refuses_every_call():
    alice = MlsClient.in_memory(b"alice")
    a = alice.create_group()
    alice.close()
    alice.close()  # closing twice is harmless
    for call in (
        alice.generate_key_package,
        alice.create_group,
        alice.group_ids,
        a.epoch,
        lambda: a.encrypt(b"x"),
        lambda: alice.load_group(a.group_id()),
    ):
        with pytest.raises(CohortError.Closed, match="closed"):
            call()
