//! KeyPackage lifetimes against the application's clock (RFC 9420 section
//! 7.3): with a clock installed, an Add outside its KeyPackage's lifetime is
//! neither sent (C-LN-14) nor accepted (C-LN-15).

mod group_common;

use cohort::group::{Clock, GroupConfig, KeyPackageBuilder, SharedClock};
use cohort::messages::{Credential, Lifetime};
use cohort::{Error, ValidationError};
use group_common::*;

/// A fixed time.
struct At(u64);

impl Clock for At {
    fn now(&self) -> u64 {
        self.0
    }
}

const NOW: u64 = 1_800_000_000;

/// A KeyPackage for `name` valid from `not_before` to `not_after`.
fn key_package_valid(
    p: &TestProvider,
    name: &str,
    not_before: u64,
    not_after: u64,
) -> cohort::group::KeyPackageBundle {
    let s = signer(p, SUITE);
    KeyPackageBuilder::new(Credential::basic(name))
        .lifetime(Lifetime {
            not_before,
            not_after,
        })
        .build(&cs(p, SUITE), &p.rand, &s)
        .unwrap()
}

/// C-LN-14: a member with a clock does not send an Add whose KeyPackage
/// expired, nor one not yet valid; nothing changes.
#[test]
fn an_expired_key_package_is_not_sent_c_ln_14() {
    let p = provider(41);
    let mut members = group(&p, &["alice", "bob"]);
    members[0].group.set_clock(SharedClock::new(At(NOW)));
    for (from, to) in [(NOW - 1000, NOW - 1), (NOW + 10, NOW + 1000)] {
        let kp = key_package_valid(&p, "carol", from, to);
        let before = snapshot(&members[0].group);
        let alice = &mut members[0];
        let builder = alice.group.commit().add_member(kp.key_package);
        let err = alice
            .group
            .create_commit(&p, &alice.signer, builder)
            .unwrap_err();
        assert_eq!(err, Error::Validation(ValidationError::LifetimeInvalid));
        assert_eq!(snapshot(&members[0].group), before);
    }
    // Within its lifetime it is sent.
    let kp = key_package_valid(&p, "carol", NOW - 10, NOW + 10);
    commit_all(&p, &mut members, 0, |g| {
        g.commit().add_member(kp.key_package.clone())
    });
    all_agree(&p, &members);
}

/// C-LN-15: a member with a clock refuses a commit adding an expired
/// KeyPackage (sent by a member without one); a member without a clock,
/// the default, accepts it.
#[test]
fn a_received_expired_add_is_refused_c_ln_15() {
    let p = provider(42);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let kp = key_package_valid(&p, "dave", NOW - 1000, NOW - 1);
    let alice = &mut members[0];
    let builder = alice.group.commit().add_member(kp.key_package);
    let (out, _) = alice
        .group
        .create_commit(&p, &alice.signer, builder)
        .unwrap();
    members[1].group.set_clock(SharedClock::new(At(NOW)));
    refused(
        &p,
        &mut members[1].group,
        &out.commit,
        Error::Validation(ValidationError::LifetimeInvalid),
    );
    stage(&p, &mut members[2].group, &out.commit);
    assert_eq!(GroupConfig::default().clock.now(), None);
}
