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
use cohort_traits::Secret;
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
    to_codec_error(e)
}

/// Marks a [`tls_codec::Error::UnknownValue`] that carries one of Cohort's
/// named [`DecodeError`]s (the ASCII bytes "MLS" in the top 32 bits).
const NAMED_TAG: u64 = 0x4d4c_5300_0000_0000;
const NAMED_TAG_MASK: u64 = 0xffff_ffff_0000_0000;

/// Carries a [`DecodeError`] through `tls_codec`'s error type.
///
/// Decoders implement `tls_codec`'s traits, whose error type cannot name
/// MLS-specific failures. Named errors travel as an
/// [`tls_codec::Error::UnknownValue`] whose top 32 bits hold a fixed tag, the
/// next 16 a kind and the low 16 the offending value; the conversion back
/// ([`From<tls_codec::Error>`] for [`DecodeError`]) restores them exactly.
pub(crate) fn to_codec_error(e: DecodeError) -> tls_codec::Error {
    let (kind, value): (u64, u64) = match e {
        DecodeError::EndOfInput => return tls_codec::Error::EndOfStream,
        DecodeError::TrailingBytes => return tls_codec::Error::TrailingData,
        DecodeError::InvalidLength => return tls_codec::Error::InvalidVectorLength,
        DecodeError::Codec(s) => return tls_codec::Error::DecodingError(s),
        DecodeError::InvalidOptional => (1, 0),
        DecodeError::UnknownCredentialType(v) => (2, v.into()),
        DecodeError::UnknownProposalType(v) => (3, v.into()),
        DecodeError::UnknownWireFormat(v) => (4, v.into()),
        DecodeError::UnsupportedVersion(v) => (5, v.into()),
        DecodeError::InvalidContentType(v) => (6, v.into()),
        DecodeError::InvalidSenderType(v) => (7, v.into()),
        DecodeError::InvalidPskType(v) => (8, v.into()),
        DecodeError::InvalidResumptionPskUsage(v) => (9, v.into()),
        DecodeError::InvalidLeafNodeSource(v) => (10, v.into()),
        DecodeError::InvalidNodeType(v) => (11, v.into()),
        DecodeError::InvalidProposalOrRefType(v) => (12, v.into()),
        DecodeError::NonZeroPadding => (13, 0),
        DecodeError::KeyPackageVersionMismatch(v) => (14, v.into()),
        DecodeError::NestedMultiCredential => (15, 0),
        other => {
            return tls_codec::Error::DecodingError(alloc::string::ToString::to_string(&other));
        }
    };
    tls_codec::Error::UnknownValue(NAMED_TAG | (kind << 16) | value)
}

/// Restores a named [`DecodeError`] carried by [`to_codec_error`].
pub(crate) fn named_error(v: u64) -> Option<DecodeError> {
    if v & NAMED_TAG_MASK != NAMED_TAG {
        return None;
    }
    let value = (v & 0xffff) as u16;
    let byte = u8::try_from(value).unwrap_or(u8::MAX);
    Some(match (v >> 16) & 0xffff {
        1 => DecodeError::InvalidOptional,
        2 => DecodeError::UnknownCredentialType(value),
        3 => DecodeError::UnknownProposalType(value),
        4 => DecodeError::UnknownWireFormat(value),
        5 => DecodeError::UnsupportedVersion(value),
        6 => DecodeError::InvalidContentType(byte),
        7 => DecodeError::InvalidSenderType(byte),
        8 => DecodeError::InvalidPskType(byte),
        9 => DecodeError::InvalidResumptionPskUsage(byte),
        10 => DecodeError::InvalidLeafNodeSource(byte),
        11 => DecodeError::InvalidNodeType(byte),
        12 => DecodeError::InvalidProposalOrRefType(byte),
        13 => DecodeError::NonZeroPadding,
        14 => DecodeError::KeyPackageVersionMismatch(value),
        15 => DecodeError::NestedMultiCredential,
        _ => return None,
    })
}

/// The prefix of the error `tls_codec` 0.5 reports for an `optional<T>`
/// presence byte other than 0 or 1 (its `Option<T>` decoder rejects those,
/// as RFC 9420 section 2.1.1 requires). A unit test pins the text.
pub(crate) const TLS_CODEC_OPTION_ERROR: &str = "Trying to decode Option<T>";

/// Appends the encoding of `value` to `out`.
pub fn append<T: SerializeBytes + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), tls_codec::Error> {
    out.extend_from_slice(&value.tls_serialize_bytes()?);
    Ok(())
}

/// The encoded size of `items` as a `T data<V>` vector.
pub fn vector_len<T: Size>(items: &[T]) -> usize {
    let content = items
        .iter()
        .fold(0usize, |acc, i| acc.saturating_add(i.tls_serialized_len()));
    length_header_len(content).saturating_add(content)
}

/// Encodes `items` as a `T data<V>` vector.
pub fn serialize_vector<T: SerializeBytes>(items: &[T]) -> Result<Vec<u8>, tls_codec::Error> {
    let mut content = Vec::new();
    for item in items {
        append(&mut content, item)?;
    }
    let mut out = Vec::with_capacity(content.len().saturating_add(4));
    write_opaque(&content, &mut out).map_err(|_| tls_codec::Error::InvalidVectorLength)?;
    Ok(out)
}

/// Decodes a `T data<V>` vector: returns the items and the bytes after it.
///
/// The header counts bytes; every element must lie wholly inside them.
pub fn deserialize_vector<T: DeserializeBytes>(
    bytes: &[u8],
) -> Result<(Vec<T>, &[u8]), tls_codec::Error> {
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
    Ok((items, rest))
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
        vector_len(&self.0)
    }
}

impl<T: SerializeBytes> SerializeBytes for VarVec<T> {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        serialize_vector(&self.0)
    }
}

impl<T: DeserializeBytes> DeserializeBytes for VarVec<T> {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (items, rest) = deserialize_vector(bytes)?;
        Ok((VarVec(items), rest))
    }
}

/// Secret `opaque data<V>`: zeroized on drop, redacted in `Debug`, compared
/// in constant time (for example `GroupSecrets.joiner_secret`, RFC 9420
/// section 12.4.3.1).
///
/// Encoding copies the secret into the output buffer, which the caller then
/// owns (and normally encrypts at once).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretVarBytes(pub Secret);

impl core::fmt::Debug for SecretVarBytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&self.0, f)
    }
}

impl SecretVarBytes {
    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl From<Secret> for SecretVarBytes {
    fn from(s: Secret) -> Self {
        SecretVarBytes(s)
    }
}

impl Size for SecretVarBytes {
    fn tls_serialized_len(&self) -> usize {
        length_header_len(self.0.len()).saturating_add(self.0.len())
    }
}

impl SerializeBytes for SecretVarBytes {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        write_opaque(self.0.as_bytes(), &mut out)
            .map_err(|_| tls_codec::Error::InvalidVectorLength)?;
        Ok(out)
    }
}

impl DeserializeBytes for SecretVarBytes {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (content, rest) = read_opaque(bytes).map_err(codec_err)?;
        Ok((SecretVarBytes(Secret::from_slice(content)), rest))
    }
}

pub(crate) use cohort_traits::open_u16;

/// Declares a closed `uint8` enum of RFC 9420 (values outside the listed
/// ones are malformed): a Rust enum whose decoder reports any other value
/// as the given named [`DecodeError`] variant.
macro_rules! closed_u8 {
    ($(#[$m:meta])* $name:ident / $err:ident { $($(#[$vm:meta])* $variant:ident = $v:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $name {
            $($(#[$vm])* $variant = $v,)*
        }

        impl TryFrom<u8> for $name {
            type Error = $crate::DecodeError;
            fn try_from(v: u8) -> Result<Self, $crate::DecodeError> {
                match v {
                    $($v => Ok($name::$variant),)*
                    other => Err($crate::DecodeError::$err(other)),
                }
            }
        }

        impl From<$name> for u8 {
            fn from(v: $name) -> u8 {
                v as u8
            }
        }

        impl tls_codec::Size for $name {
            fn tls_serialized_len(&self) -> usize {
                1
            }
        }

        impl tls_codec::SerializeBytes for $name {
            fn tls_serialize_bytes(&self) -> Result<alloc::vec::Vec<u8>, tls_codec::Error> {
                Ok(alloc::vec![*self as u8])
            }
        }

        impl tls_codec::DeserializeBytes for $name {
            fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
                let (v, rest) = <u8 as tls_codec::DeserializeBytes>::tls_deserialize_bytes(bytes)?;
                let value = $name::try_from(v).map_err($crate::codec::to_codec_error)?;
                Ok((value, rest))
            }
        }
    };
}
pub(crate) use closed_u8;

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

    /// C-CODEC-02 (minimal headers), C-CODEC-03 (prefix 0b11), C-CODEC-04
    /// (no header beyond 2^30 - 1).
    #[test]
    fn rejects_non_minimal_reserved_and_oversized_headers() {
        // C-CODEC-02: 0 and 5 encoded in two bytes, 63 and 64 in four: not
        // minimal.
        for bad in [
            &[0x40, 0x00][..],
            &[0x40, 0x05],
            &[0x80, 0, 0, 0x3f],
            &[0x80, 0, 0, 0x40],
        ] {
            assert_eq!(read_length(bad), Err(DecodeError::InvalidLength), "{bad:?}");
        }
        // C-CODEC-03: the 8-byte form (prefix 0b11) is reserved in MLS.
        assert_eq!(
            read_length(&[0xc0, 0, 0, 0, 0, 0, 0, 1]),
            Err(DecodeError::InvalidLength)
        );
        assert_eq!(read_length(&[0xc0]), Err(DecodeError::InvalidLength));
        assert_eq!(read_length(&[0x80, 0x00]), Err(DecodeError::EndOfInput));
        assert_eq!(read_length(&[]), Err(DecodeError::EndOfInput));
        // C-CODEC-04: a length of 2^30 or more cannot be encoded; the
        // encoders of opaque data and vectors go through this header (the
        // check runs before any byte is copied).
        assert_eq!(
            write_length(MAX_VECTOR_LEN + 1, &mut Vec::new()),
            Err(Error::Misuse(MisuseError::LengthTooLarge))
        );
        let mut out = Vec::new();
        write_length(MAX_VECTOR_LEN, &mut out).unwrap();
        assert_eq!(out, [0xbf, 0xff, 0xff, 0xff]);
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
        // C-CODEC-08: an element that overruns the declared vector length.
        assert!(decode_exact::<VarVec<VarBytes>>(&[2, 2, 1, 2]).is_err());
    }

    #[test]
    fn named_decode_errors_survive_tls_codec() {
        let named = [
            DecodeError::EndOfInput,
            DecodeError::TrailingBytes,
            DecodeError::InvalidLength,
            DecodeError::InvalidOptional,
            DecodeError::UnknownCredentialType(0xfffe),
            DecodeError::UnknownProposalType(8),
            DecodeError::UnknownWireFormat(0),
            DecodeError::UnsupportedVersion(2),
            DecodeError::InvalidContentType(255),
            DecodeError::InvalidSenderType(0),
            DecodeError::InvalidPskType(3),
            DecodeError::InvalidResumptionPskUsage(4),
            DecodeError::InvalidLeafNodeSource(9),
            DecodeError::InvalidNodeType(3),
            DecodeError::InvalidProposalOrRefType(7),
            DecodeError::NonZeroPadding,
            DecodeError::KeyPackageVersionMismatch(2),
            DecodeError::NestedMultiCredential,
        ];
        for e in named {
            assert_eq!(DecodeError::from(to_codec_error(e.clone())), e);
        }
        // Plain unknown values from tls_codec stay generic.
        assert!(matches!(
            DecodeError::from(tls_codec::Error::UnknownValue(3)),
            DecodeError::Codec(_)
        ));
    }

    /// C-CODEC-01: an `optional<T>` presence octet other than 0 or 1.
    #[test]
    fn tls_codec_option_rejects_bad_presence_bytes_by_name() {
        assert_eq!(
            decode_exact::<Option<u8>>(&[2, 0]),
            Err(Error::Malformed(DecodeError::InvalidOptional))
        );
        assert_eq!(decode_exact::<Option<u8>>(&[1, 7]).unwrap(), Some(7));
        assert_eq!(decode_exact::<Option<u8>>(&[0]).unwrap(), None);
    }

    #[test]
    fn secret_bytes_round_trip_redacted() {
        let s = SecretVarBytes(Secret::from_slice(&[0x55; 70]));
        let bytes = encode(&s).unwrap();
        assert_eq!(bytes.len(), s.tls_serialized_len());
        assert_eq!(bytes[..2], [0x40, 70]);
        assert_eq!(decode_exact::<SecretVarBytes>(&bytes).unwrap(), s);
        assert!(!alloc::format!("{s:?}").contains("55"));
        for cut in 0..bytes.len() {
            assert!(decode_exact::<SecretVarBytes>(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn vector_helpers_match_var_vec() {
        let items = vec![1u16, 2, 0xffff];
        let bytes = serialize_vector(&items).unwrap();
        assert_eq!(bytes, [6, 0, 1, 0, 2, 0xff, 0xff]);
        assert_eq!(vector_len(&items), bytes.len());
        assert_eq!(encode(&VarVec(items.clone())).unwrap(), bytes);
        let (back, rest) = deserialize_vector::<u16>(&bytes).unwrap();
        assert_eq!((back, rest), (items, &[][..]));
        // C-CODEC-08: 3 bytes do not hold a whole number of u16s.
        assert!(deserialize_vector::<u16>(&[3, 0, 1, 0]).is_err());
    }
}
