"""Helpers of the cohort-ffi Python tests: members, groups, reading."""

import cohort_ffi
import pytest

from cohort_ffi import CohortError, MlsClient, ProcessedMessage


def read(group, message):
    """Processes an application message and returns (sender identity, data)."""
    out = group.process(message)
    assert isinstance(out, ProcessedMessage.APPLICATION), out
    return out.sender.identity, out.data


def apply_commit(group, commit):
    """Processes a commit and returns the ProcessedMessage.COMMIT."""
    out = group.process(commit)
    assert isinstance(out, ProcessedMessage.COMMIT), out
    return out


def identities(group):
    return [m.identity for m in group.roster()]


def assert_same_epoch(*groups):
    """Every group is in the same epoch with the same authenticator and exporter."""
    first = groups[0]
    for g in groups[1:]:
        assert g.epoch() == first.epoch()
        assert g.epoch_authenticator() == first.epoch_authenticator()
        assert g.export_secret("test", b"ctx", 32) == first.export_secret("test", b"ctx", 32)


def assert_talks(sender, *readers, text=b"still working"):
    """A message from `sender` is read by every reader."""
    msg = sender.encrypt(text)
    me = None
    for r in readers:
        who, data = read(r, msg)
        assert data == text
        if me is None:
            me = who
        assert who == me


def three_member_group(alice, bob, carol):
    """Alice creates a group and adds bob and carol in one commit; returns the three groups."""
    a = alice.create_group()
    out = a.add_members([bob.generate_key_package(), carol.generate_key_package()])
    assert out.welcome is not None
    a.merge_pending_commit()
    b = bob.join_welcome(out.welcome)
    c = carol.join_welcome(out.welcome)
    assert_same_epoch(a, b, c)
    return a, b, c


@pytest.fixture
def members():
    """Alice, bob and carol, in memory."""
    return tuple(MlsClient.in_memory(name) for name in (b"alice", b"bob", b"carol"))


@pytest.fixture
def group3(members):
    return members, three_member_group(*members)


__all__ = [
    "CohortError",
    "cohort_ffi",
    "read",
    "apply_commit",
    "identities",
    "assert_same_epoch",
    "assert_talks",
    "three_member_group",
]
