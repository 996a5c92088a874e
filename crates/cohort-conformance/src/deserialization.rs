//! deserialization.json: variable-length vector headers (RFC 9420 section 2.1.2).

use crate::json::{hex, uint};
use crate::{Outcome, Tally};
use cohort::codec;
use cohort_traits::{Crypto, Rand};
use serde_json::Value;

pub(crate) fn run<C: Crypto + ?Sized>(_: &C, _: &dyn Rand, file: &str, cases: &[Value]) -> Tally {
    let mut tally = Tally::default();
    for (i, case) in cases.iter().enumerate() {
        tally.record(file, None, i, Outcome::from(check(case)));
    }
    tally
}

fn check(case: &Value) -> Result<(), String> {
    let header = hex(case, "vlbytes_header")?;
    let want = usize::try_from(uint(case, "length")?).map_err(|e| e.to_string())?;
    let (got, rest) = codec::read_length(&header).map_err(|e| format!("decode: {e}"))?;
    if !rest.is_empty() {
        return Err("header has trailing bytes".into());
    }
    if got != want {
        return Err(format!("length: got {got}, want {want}"));
    }
    // Re-encoding gives the same (minimal) header.
    let mut again = Vec::new();
    codec::write_length(got, &mut again).map_err(|e| e.to_string())?;
    if again != header {
        return Err("re-encoded header differs".into());
    }
    Ok(())
}
