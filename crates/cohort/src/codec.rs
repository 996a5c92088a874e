//! The presentation-language codec (RFC 9420 section 2.1) on top of
//! `tls_codec`.
//!
//! `tls_codec` supplies the traits, integers, optionals and derive macros.
//! This module adds what MLS needs beyond it: strict variable-length vector
//! headers (minimal encoding, the reserved `0b11` prefix rejected, at most
//! 2^30 - 1 bytes), the [`VarBytes`] and [`VarVec`] field types built on
//! them, and whole-message decoding that rejects trailing bytes.

use crate::{DecodeError, Error, MisuseError};
use alloc::vec::Vec;
use tls_codec::{DeserializeBytes, SerializeBytes, Size};

pub use tls_codec;

/// Largest length of a variable-length vector, in bytes (RFC 9420 section 2.1.2).
pub const MAX_VECTOR_LEN: usize = (1 << 30) - 1;

/// Decodes a variable-length vector header: returns the content length and
/// the bytes after the header.
///
/// Rejects headers with the reserved prefix `0b11` and headers that are not
/// the minimal encoding of their value (RFC 9420 section 2.1.2).
pub fn read_length(bytes: &[u8]) -> Result<(usize, &[u8]), DecodeError> {
    let (&first, rest) = bytes.split_first().ok_or(DecodeError::EndOfInput)?;
    let extra = match first >> 6 {
        0 => 0usize,
        1 => 1,
        2 => 3,
        _ => return Err(DecodeError::InvalidLength),
    };
    let tail = rest.get(..extra).ok_or(DecodeError::EndOfInput)?;
    let mut value = u32::from(first & 0x3f);
    for &b in tail {
        value = (value << 8) | u32::from(b);
    }
    let rest = rest.get(extra..).ok_or(DecodeError::EndOfInput)?;
    let value = value as usize;
    if length_header_len(value) != extra + 1 {
        return Err(DecodeError::InvalidLength);
    }
    Ok((value, rest))
}

/// The size of the minimal header for a vector of `len` bytes.
pub const fn length_header_len(len: usize) -> usize {
    if len <= 0x3f {
        1
    } else if len <= 0x3fff {
        2
    } else {
        4
    }
}

/// Appends the minimal header for a vector of `len` bytes.
pub fn write_length(len: usize, out: &mut Vec<u8>) -> Result<(), Error> {
    if len > MAX_VECTOR_LEN {
        return Err(MisuseError::LengthTooLarge.into());
    }
    let v = len as u32;
    match length_header_len(len) {
        1 => out.push(v as u8),
        2 => out.extend_from_slice(&((v as u16) | 0x4000).to_be_bytes()),
        _ => out.extend_from_slice(&(v | 0x8000_0000).to_be_bytes()),
    }
    Ok(())
}

/// Appends `bytes` as an `opaque data<V>`.
pub fn write_opaque(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    write_length(bytes.len(), out)?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// Reads an `opaque data<V>`: returns the content and the bytes after it.
pub fn read_opaque(bytes: &[u8]) -> Result<(&[u8], &[u8]), DecodeError> {
    let (len, rest) = read_length(bytes)?;
    if rest.len() < len {
        return Err(DecodeError::EndOfInput);
    }
    Ok(rest.split_at(len))
}

fn codec_err(e: DecodeError) -> tls_codec::Error {
    match e {
        DecodeError::EndOfInput => tls_codec::Error::EndOfStream,
        DecodeError::TrailingBytes => tls_codec::Error::TrailingData,
        _ => tls_codec::Error::InvalidVectorLength,
    }
}

/// `opaque data<V>`: a byte string with a strict variable-length header.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarBytes(pub Vec<u8>);

impl VarBytes {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for VarBytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("0x")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl From<Vec<u8>> for VarBytes {
    fn from(v: Vec<u8>) -> Self {
        VarBytes(v)
    }
}

impl From<&[u8]> for VarBytes {
    fn from(v: &[u8]) -> Self {
        VarBytes(v.to_vec())
    }
}

impl AsRef<[u8]> for VarBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Size for VarBytes {
    fn tls_serialized_len(&self) -> usize {
        length_header_len(self.0.len()).saturating_add(self.0.len())
    }
}

impl SerializeBytes for VarBytes {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        write_opaque(&self.0, &mut out).map_err(|_| tls_codec::Error::InvalidVectorLength)?;
        Ok(out)
    }
}

impl DeserializeBytes for VarBytes {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (content, rest) = read_opaque(bytes).map_err(codec_err)?;
        Ok((VarBytes(content.to_vec()), rest))
    }
}

/// `T data<V>`: a vector of values with a strict variable-length header
/// counting bytes, not elements.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VarVec<T>(pub Vec<T>);

impl<T> Default for VarVec<T> {
    fn default() -> Self {
        VarVec(Vec::new())
    }
}

impl<T> From<Vec<T>> for VarVec<T> {
    fn from(v: Vec<T>) -> Self {
        VarVec(v)
    }
}

impl<T: Size> Size for VarVec<T> {
    fn tls_serialized_len(&self) -> usize {
        let content: usize = self.0.iter().map(Size::tls_serialized_len).sum();
        length_header_len(content).saturating_add(content)
    }
}

impl<T: SerializeBytes> SerializeBytes for VarVec<T> {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut content = Vec::new();
        for item in &self.0 {
            content.extend_from_slice(&item.tls_serialize_bytes()?);
        }
        let mut out = Vec::with_capacity(content.len().saturating_add(4));
        write_opaque(&content, &mut out).map_err(|_| tls_codec::Error::InvalidVectorLength)?;
        Ok(out)
    }
}

impl<T: DeserializeBytes> DeserializeBytes for VarVec<T> {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (mut content, rest) = read_opaque(bytes).map_err(codec_err)?;
        let mut items = Vec::new();
        while !content.is_empty() {
            let (item, next) = T::tls_deserialize_bytes(content)?;
            if next.len() >= content.len() {
                return Err(tls_codec::Error::DecodingError(
                    "empty vector element".into(),
                ));
            }
            items.push(item);
            content = next;
        }
        Ok((VarVec(items), rest))
    }
}

/// Encodes a value.
pub fn encode<T: SerializeBytes + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    Ok(value.tls_serialize_bytes()?)
}

/// Decodes a value that must span all of `bytes` (no trailing bytes).
pub fn decode_exact<T: DeserializeBytes>(bytes: &[u8]) -> Result<T, Error> {
    let (value, rest) = T::tls_deserialize_bytes(bytes)?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes.into());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn header_boundaries_round_trip() {
        for len in [0usize, 1, 63, 64, 16383, 16384, MAX_VECTOR_LEN] {
            let mut out = Vec::new();
            write_length(len, &mut out).unwrap();
            assert_eq!(out.len(), length_header_len(len));
            out.push(0xaa);
            let (got, rest) = read_length(&out).unwrap();
            assert_eq!((got, rest), (len, &[0xaa][..]));
        }
    }

    #[test]
    fn rejects_non_minimal_reserved_and_oversized_headers() {
        // 0 encoded in two bytes: not minimal.
        assert_eq!(read_length(&[0x40, 0x00]), Err(DecodeError::InvalidLength));
        // 63 encoded in four bytes: not minimal.
        assert_eq!(
            read_length(&[0x80, 0, 0, 0x3f]),
            Err(DecodeError::InvalidLength)
        );
        // The 8-byte form is reserved in MLS.
        assert_eq!(
            read_length(&[0xc0, 0, 0, 0, 0, 0, 0, 1]),
            Err(DecodeError::InvalidLength)
        );
        assert_eq!(read_length(&[0x80, 0x00]), Err(DecodeError::EndOfInput));
        assert_eq!(read_length(&[]), Err(DecodeError::EndOfInput));
        assert!(write_length(MAX_VECTOR_LEN + 1, &mut Vec::new()).is_err());
    }

    #[test]
    fn var_types_round_trip_and_reject_truncation() {
        let v = VarVec(vec![
            VarBytes(vec![1, 2]),
            VarBytes(vec![]),
            VarBytes(vec![3]),
        ]);
        let bytes = encode(&v).unwrap();
        assert_eq!(bytes, [6, 2, 1, 2, 0, 1, 3]);
        assert_eq!(decode_exact::<VarVec<VarBytes>>(&bytes).unwrap(), v);
        for cut in 0..bytes.len() {
            assert!(decode_exact::<VarVec<VarBytes>>(&bytes[..cut]).is_err());
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            decode_exact::<VarVec<VarBytes>>(&long),
            Err(Error::Malformed(DecodeError::TrailingBytes))
        );
        // An element that overruns the declared vector length.
        assert!(decode_exact::<VarVec<VarBytes>>(&[2, 2, 1, 2]).is_err());
    }
}
