//! psk_secret.json: the PSK secret chain over external PSKs (RFC 9420 section 8.4).

use crate::Tally;
use crate::json::{expect_eq, field, hex};
use cohort::crypto::SuiteCrypto;
use cohort::messages::{PreSharedKeyId, Psk};
use cohort::schedule::{PskInput, psk_secret};
use cohort_traits::{Crypto, Rand};
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
    let psks = field(case, "psks")?
        .as_array()
        .ok_or("`psks` is not an array")?;
    let mut ids = Vec::new();
    let mut values = Vec::new();
    for p in psks {
        let id = PreSharedKeyId {
            psk: Psk::External {
                psk_id: hex(p, "psk_id")?.into(),
            },
            psk_nonce: hex(p, "psk_nonce")?.into(),
        };
        ids.push(cohort::codec::encode(&id).map_err(|e| e.to_string())?);
        values.push(hex(p, "psk")?);
    }
    let inputs: Vec<PskInput<'_>> = ids
        .iter()
        .zip(&values)
        .map(|(id, psk)| PskInput { id, psk })
        .collect();
    let secret = psk_secret(cs, &inputs).map_err(|e| e.to_string())?;
    expect_eq("psk_secret", secret.as_bytes(), &hex(case, "psk_secret")?)
}
