//! key-schedule.json: the epoch key schedule, external key pair and
//! exporter (RFC 9420 sections 8, 8.5).

use crate::Tally;
use crate::json::{expect_eq, field, hex, string, u32_of};
use cohort::crypto::SuiteCrypto;
use cohort::schedule::JoinerSecret;
use cohort_traits::{Crypto, Rand, Secret};
use serde_json::Value;

pub(crate) fn run<C: Crypto + ?Sized>(
    crypto: &C,
    _: &dyn Rand,
    file: &str,
    cases: &[Value],
) -> Tally {
    crate::per_suite(crypto, file, cases, |cs, case| check(cs, case))
}

fn check<C: Crypto + ?Sized>(cs: &SuiteCrypto<'_, C>, case: &Value) -> Result<(), String> {
    let group_id = hex(case, "group_id")?;
    let mut init_secret = Secret::new(hex(case, "initial_init_secret")?);
    let epochs = field(case, "epochs")?
        .as_array()
        .ok_or("`epochs` is not an array")?;
    for (epoch, e) in (0u64..).zip(epochs) {
        let ctx = crate::group_context(
            cs,
            &group_id,
            epoch,
            hex(e, "tree_hash")?,
            hex(e, "confirmed_transcript_hash")?,
        );
        let gc = cohort::codec::encode(&ctx).map_err(|e| e.to_string())?;
        expect_eq(
            &format!("epoch {epoch} group_context"),
            &gc,
            &hex(e, "group_context")?,
        )?;
        let joiner =
            JoinerSecret::derive(cs, init_secret.as_bytes(), &hex(e, "commit_secret")?, &gc)
                .map_err(|e| e.to_string())?;
        expect_eq(
            "joiner_secret",
            joiner.as_bytes(),
            &hex(e, "joiner_secret")?,
        )?;
        let psk_secret = hex(e, "psk_secret")?;
        let (welcome, secrets) = joiner
            .into_epoch(cs, &psk_secret, &gc)
            .map_err(|e| e.to_string())?;
        expect_eq(
            "welcome_secret",
            welcome.as_bytes(),
            &hex(e, "welcome_secret")?,
        )?;
        for (name, value) in [
            ("init_secret", &secrets.init_secret),
            ("sender_data_secret", &secrets.sender_data_secret),
            ("encryption_secret", &secrets.encryption_secret),
            ("exporter_secret", &secrets.exporter_secret),
            ("epoch_authenticator", &secrets.epoch_authenticator),
            ("external_secret", &secrets.external_secret),
            ("confirmation_key", &secrets.confirmation_key),
            ("membership_key", &secrets.membership_key),
            ("resumption_psk", &secrets.resumption_psk),
        ] {
            expect_eq(
                &format!("epoch {epoch} {name}"),
                value.as_bytes(),
                &hex(e, name)?,
            )?;
        }
        let (_, external_pub) = secrets.external_key_pair(cs).map_err(|e| e.to_string())?;
        expect_eq("external_pub", &external_pub, &hex(e, "external_pub")?)?;
        let x = field(e, "exporter")?;
        let len = u16::try_from(u32_of(x, "length")?).map_err(|e| e.to_string())?;
        let exported = secrets
            .export(cs, string(x, "label")?.as_bytes(), &hex(x, "context")?, len)
            .map_err(|e| e.to_string())?;
        expect_eq("exporter secret", exported.as_bytes(), &hex(x, "secret")?)?;
        init_secret = secrets.init_secret.clone();
    }
    Ok(())
}
