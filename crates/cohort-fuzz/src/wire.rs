//! Decoding and re-encoding every wire type: a value that decodes must
//! re-encode to exactly the bytes it came from (decoding is strict, so the
//! encoding is canonical), and must report its encoded size.

use crate::Outcome;
use crate::fixture::{self, SUITE};
use cohort::codec::tls_codec::{DeserializeBytes, SerializeBytes, Size};
use cohort::codec::{decode_exact, encode};
use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{KeyPackageBundle, Limits, key_package_ref, validate_key_package};
use cohort::messages::{
    ApplicationId, Extension, ExtensionContent, ExtensionType, Extensions, ExternalPub,
    ExternalSenders, GroupInfo, GroupSecrets, KeyPackage, RatchetTreeExtension,
    RequiredCapabilities, Welcome,
};
use cohort::tree::{LeafPolicy, RatchetTree};
use cohort_rust_crypto::RustCrypto;

/// The leaf limit of trees decoded here: large enough for any input the
/// fuzzer makes, small enough that a short input cannot ask for a huge
/// allocation.
const MAX_LEAVES: u32 = 1 << 12;

/// The group id leaf signatures of a decoded tree are checked against.
const TREE_GROUP_ID: &[u8] = fixture::GROUP_ID;

static CRYPTO: RustCrypto = RustCrypto::new();

/// Decodes `T` from `data`; when it decodes, checks that it re-encodes to
/// `data` and reports its size.
fn round_trip<T>(what: &str, data: &[u8]) -> Option<T>
where
    T: DeserializeBytes + SerializeBytes + Size + std::fmt::Debug,
{
    let value = decode_exact::<T>(data).ok()?;
    assert_canonical(what, &value, data);
    Some(value)
}

/// `value`, decoded from `data`, re-encodes to `data`.
fn assert_canonical<T: SerializeBytes + Size + std::fmt::Debug>(
    what: &str,
    value: &T,
    data: &[u8],
) {
    match encode(value) {
        Ok(bytes) => assert!(
            bytes == data,
            "{what}: decoded value re-encodes differently\n input: {data:02x?}\noutput: {bytes:02x?}\nvalue: {value:?}"
        ),
        Err(e) => panic!("{what}: decoded value does not re-encode: {e}\nvalue: {value:?}"),
    }
    assert_eq!(
        value.tls_serialized_len(),
        data.len(),
        "{what}: size of a decoded value"
    );
}

/// The content of `ext` as `T` re-encodes to the extension's data when it
/// decodes.
fn content<T: ExtensionContent + Size + std::fmt::Debug>(ext: &Extension) {
    if let Ok(value) = ext.parse::<T>() {
        assert_canonical("extension content", &value, ext.extension_data.as_slice());
    }
}

/// Every extension of a known type in `exts` round-trips; a ratchet tree
/// decodes the same way through both decoders.
fn check_extensions(exts: &Extensions) {
    for ext in exts.iter() {
        match ext.extension_type {
            ExtensionType::APPLICATION_ID => content::<ApplicationId>(ext),
            ExtensionType::RATCHET_TREE => {
                tree(ext.extension_data.as_slice());
            }
            ExtensionType::REQUIRED_CAPABILITIES => content::<RequiredCapabilities>(ext),
            ExtensionType::EXTERNAL_PUB => content::<ExternalPub>(ext),
            ExtensionType::EXTERNAL_SENDERS => content::<ExternalSenders>(ext),
            _ => {}
        }
    }
}

/// Checks a KeyPackage beyond its codec: its extensions, its reference, and
/// validation in its own suite (which must not panic).
fn check_key_package(kp: &KeyPackage) {
    check_extensions(&kp.extensions);
    check_extensions(&kp.leaf_node.extensions);
    if let Ok(cs) = SuiteCrypto::new(&CRYPTO, kp.cipher_suite) {
        let _ = key_package_ref(&cs, kp);
        let _ = validate_key_package(&cs, kp, &LeafPolicy::default());
    }
}

fn check_group_info(gi: &GroupInfo) {
    check_extensions(&gi.extensions);
    check_extensions(&gi.group_context.extensions);
    let _ = gi.to_be_signed();
}

/// Decodes a ratchet tree extension's content both ways: as the
/// [`RatchetTreeExtension`] value and straight into a [`RatchetTree`]. They
/// must agree; a tree that decodes re-encodes to the input and is validated
/// (which must not panic).
fn tree(data: &[u8]) -> Outcome {
    let value = round_trip::<RatchetTreeExtension>("RatchetTreeExtension", data);
    let Ok(cs) = SuiteCrypto::new(&CRYPTO, SUITE) else {
        return Outcome::Malformed;
    };
    match RatchetTree::decode_extension(&cs, data, MAX_LEAVES) {
        Ok(tree) => {
            let Some(value) = value else {
                panic!("a tree decodes as a RatchetTree but not as a RatchetTreeExtension");
            };
            assert!(
                tree.to_nodes() == value.0.0,
                "the two tree decoders disagree"
            );
            match tree.encode_extension() {
                Ok(bytes) => assert!(bytes == data, "a decoded tree re-encodes differently"),
                Err(e) => panic!("a decoded tree does not re-encode: {e}"),
            }
            assert_eq!(
                tree.tree_hash().len(),
                cs.hash_len(),
                "tree hash of a decoded tree"
            );
            let policy = LeafPolicy {
                max_extensions: Limits::default().max_extensions_per_leaf,
                ..LeafPolicy::default()
            };
            match tree.validate_with(&cs, TREE_GROUP_ID, &policy) {
                Ok(()) => Outcome::Accepted,
                Err(_) => Outcome::Rejected,
            }
        }
        Err(_) => {
            // The typed decoder may take a tree whose shape the tree
            // refuses, never the other way round.
            if value.is_some() {
                Outcome::Rejected
            } else {
                Outcome::Malformed
            }
        }
    }
}

/// `MLSMessage`: every body, with the extensions of GroupInfos and
/// KeyPackages.
pub fn decode_mls_message(data: &[u8]) -> Outcome {
    let Some(msg) = round_trip::<MlsMessage>("MLSMessage", data) else {
        return Outcome::Malformed;
    };
    match &msg.body {
        MlsMessageBody::PublicMessage(m) => {
            let ac = m.authenticated_content();
            if let Ok(bytes) = encode(&ac) {
                let back: Option<cohort::framing::AuthenticatedContent> =
                    round_trip("AuthenticatedContent", &bytes);
                assert!(
                    back.as_ref() == Some(&ac),
                    "AuthenticatedContent of a PublicMessage does not decode back"
                );
            }
        }
        MlsMessageBody::PrivateMessage(_) | MlsMessageBody::Welcome(_) => {}
        MlsMessageBody::GroupInfo(gi) => check_group_info(gi),
        MlsMessageBody::KeyPackage(kp) => check_key_package(kp),
    }
    Outcome::Accepted
}

/// `KeyPackage`, its extensions and its validation.
pub fn decode_key_package(data: &[u8]) -> Outcome {
    match round_trip::<KeyPackage>("KeyPackage", data) {
        Some(kp) => {
            check_key_package(&kp);
            Outcome::Accepted
        }
        None => Outcome::Malformed,
    }
}

/// `Welcome`.
pub fn decode_welcome(data: &[u8]) -> Outcome {
    match round_trip::<Welcome>("Welcome", data) {
        Some(_) => Outcome::Accepted,
        None => Outcome::Malformed,
    }
}

/// `GroupInfo` and the contents of its extensions.
pub fn decode_group_info(data: &[u8]) -> Outcome {
    match round_trip::<GroupInfo>("GroupInfo", data) {
        Some(gi) => {
            check_group_info(&gi);
            Outcome::Accepted
        }
        None => Outcome::Malformed,
    }
}

/// The content of a `ratchet_tree` extension, through both decoders, then
/// validated as a tree of the fixture's group.
pub fn decode_ratchet_tree(data: &[u8]) -> Outcome {
    tree(data)
}

/// `GroupSecrets`, and its zeroizing encoder.
pub fn decode_group_secrets(data: &[u8]) -> Outcome {
    let Some(secrets) = round_trip::<GroupSecrets>("GroupSecrets", data) else {
        return Outcome::Malformed;
    };
    match cohort::schedule::encode_group_secrets(&secrets) {
        Ok(s) => assert!(
            s.as_bytes() == data,
            "encode_group_secrets differs from the codec"
        ),
        Err(e) => panic!("decoded GroupSecrets do not re-encode: {e}"),
    }
    Outcome::Accepted
}

/// The GroupSecrets of `welcome` for `kp` (fixture code: panics when the
/// Welcome is not for it).
pub(crate) fn group_secrets_for(welcome: &Welcome, kp: &KeyPackageBundle) -> GroupSecrets {
    let cs = SuiteCrypto::new(&CRYPTO, welcome.cipher_suite).expect("suite");
    let kp_ref = key_package_ref(&cs, &kp.key_package).expect("reference");
    let entry = welcome
        .secrets_for(&kp_ref)
        .expect("an entry for the joiner");
    cohort::schedule::decrypt_group_secrets(
        &cs,
        kp.init_private_key.as_bytes(),
        None,
        entry,
        welcome.encrypted_group_info.as_slice(),
    )
    .expect("the joiner's GroupSecrets")
}
