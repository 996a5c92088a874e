//! secret-tree.json: the secret tree and sender ratchets (RFC 9420 section 9)
//! and sender-data keys (section 6.3.2).

use crate::Tally;
use crate::json::{expect_eq, field, hex, u32_of};
use cohort::crypto::SuiteCrypto;
use cohort::schedule::{ContentKind, RatchetConfig, SecretTree, sender_data_key_nonce};
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
    let sd = field(case, "sender_data")?;
    let (key, nonce) =
        sender_data_key_nonce(cs, &hex(sd, "sender_data_secret")?, &hex(sd, "ciphertext")?)
            .map_err(|e| format!("sender data: {e}"))?;
    expect_eq("sender_data key", key.as_bytes(), &hex(sd, "key")?)?;
    expect_eq("sender_data nonce", nonce.as_bytes(), &hex(sd, "nonce")?)?;

    let leaves = field(case, "leaves")?
        .as_array()
        .ok_or("`leaves` is not an array")?;
    let n = u32::try_from(leaves.len()).map_err(|e| e.to_string())?;
    // Keys are consumed on use, and the vectors ask for generations in any
    // order, so allow every generation within the window.
    let config = RatchetConfig {
        out_of_order_tolerance: u32::MAX,
        maximum_forward_distance: u32::MAX,
    };
    let mut tree = SecretTree::new(Secret::new(hex(case, "encryption_secret")?), n, config)
        .map_err(|e| e.to_string())?;
    for (leaf, gens) in (0u32..).zip(leaves) {
        for g in gens.as_array().ok_or("leaf entry is not an array")? {
            let generation = u32_of(g, "generation")?;
            for (kind, k, nn) in [
                (ContentKind::Handshake, "handshake_key", "handshake_nonce"),
                (
                    ContentKind::Application,
                    "application_key",
                    "application_nonce",
                ),
            ] {
                let (keys, update) = tree
                    .decryption_keys(cs, leaf, kind, generation)
                    .map_err(|e| format!("leaf {leaf} generation {generation}: {e}"))?;
                tree.apply(update);
                expect_eq(
                    &format!("leaf {leaf} gen {generation} {k}"),
                    keys.key.as_bytes(),
                    &hex(g, k)?,
                )?;
                expect_eq(
                    &format!("leaf {leaf} gen {generation} {nn}"),
                    keys.nonce.as_bytes(),
                    &hex(g, nn)?,
                )?;
            }
        }
    }
    Ok(())
}
