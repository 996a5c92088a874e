//! Accessors for the vectors' JSON fields.

use serde_json::Value;

pub(crate) fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, String> {
    v.get(name).ok_or_else(|| format!("missing field `{name}`"))
}

pub(crate) fn hex(v: &Value, name: &str) -> Result<Vec<u8>, String> {
    let s = field(v, name)?
        .as_str()
        .ok_or_else(|| format!("field `{name}` is not a string"))?;
    ::hex::decode(s).map_err(|e| format!("field `{name}` is not hex: {e}"))
}

pub(crate) fn string<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    field(v, name)?
        .as_str()
        .ok_or_else(|| format!("field `{name}` is not a string"))
}

pub(crate) fn uint(v: &Value, name: &str) -> Result<u64, String> {
    field(v, name)?
        .as_u64()
        .ok_or_else(|| format!("field `{name}` is not an unsigned integer"))
}

pub(crate) fn u32_of(v: &Value, name: &str) -> Result<u32, String> {
    u32::try_from(uint(v, name)?).map_err(|_| format!("field `{name}` exceeds 32 bits"))
}

pub(crate) fn u16_of(v: &Value, name: &str) -> Result<u16, String> {
    u16::try_from(uint(v, name)?).map_err(|_| format!("field `{name}` exceeds 16 bits"))
}

/// Compares a computed value with the expected one.
pub(crate) fn expect_eq(what: &str, got: &[u8], want: &[u8]) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: got {}, want {}",
            ::hex::encode(got),
            ::hex::encode(want)
        ))
    }
}
