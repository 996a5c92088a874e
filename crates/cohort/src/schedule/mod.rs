//! The key schedule (RFC 9420 section 8), pre-shared keys (8.4), transcript
//! hashes (8.2), the exporter (8.5) and the secret tree with its sender
//! ratchets (section 9).

// Without `hazmat` these are the crate's own: what it does not use is not
// dead, only unexported.
#![cfg_attr(
    not(feature = "hazmat"),
    allow(dead_code, unreachable_pub, unused_imports)
)]

mod key_schedule;
mod psk;
mod safe_exporter;
mod secret_tree;
mod transcript;
mod welcome;

pub use key_schedule::{
    EXTERNAL_INIT_LABEL, EpochSecrets, JoinerSecret, WelcomeSecret, external_init_receive,
    external_init_send,
};
pub use psk::{PskInput, psk_secret};
pub use safe_exporter::SafeExporter;
pub use secret_tree::{
    ContentKind, MessageKeys, RatchetConfig, SecretTree, SecretTreeUpdate, SenderRatchet,
    sender_data_key_nonce,
};
pub use transcript::{
    confirmation_tag, interim_transcript_hash, next_confirmed_transcript_hash,
    verify_confirmation_tag,
};
pub use welcome::{
    decrypt_group_info, decrypt_group_secrets, encode_group_secrets, encrypt_group_info,
    encrypt_group_secrets, prepare_group_secrets, sign_group_info, verify_group_info,
};
