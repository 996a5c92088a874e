//! passive-client-*.json: a client joins by Welcome and follows the group's
//! commits, agreeing on every epoch authenticator (RFC 9420 sections 12.4.2
//! and 12.4.3.1). Any file whose name starts with `passive-client-` is run
//! this way.

use crate::Tally;
use crate::json::{expect_eq, field, hex};
use cohort::codec::decode_exact;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{Group, GroupConfig, KeyPackageBundle, ProcessedMessage};
use cohort::messages::RatchetTreeExtension;
use cohort_memory_storage::MemoryStorage;
use cohort_traits::{Crypto, ProviderBundle, Rand, Secret};
use serde_json::Value;
use std::collections::BTreeMap;

pub(crate) fn run<C: Crypto + ?Sized>(
    crypto: &C,
    rand: &dyn Rand,
    file: &str,
    cases: &[Value],
) -> Tally {
    crate::per_suite(crypto, file, cases, |cs, case| {
        let provider = ProviderBundle::new(cs.provider(), rand, MemoryStorage::new());
        check(&provider, case)
    })
}

fn message(bytes: &[u8]) -> Result<MlsMessage, String> {
    decode_exact(bytes).map_err(|e| format!("message: {e}"))
}

fn check<C: Crypto + ?Sized>(
    provider: &ProviderBundle<&C, &dyn Rand, MemoryStorage>,
    case: &Value,
) -> Result<(), String> {
    let key_package = match message(&hex(case, "key_package")?)?.body {
        MlsMessageBody::KeyPackage(kp) => kp,
        _ => return Err("key_package is not a KeyPackage".into()),
    };
    let bundle = KeyPackageBundle {
        key_package,
        init_private_key: Secret::new(hex(case, "init_priv")?),
        encryption_private_key: Secret::new(hex(case, "encryption_priv")?),
        last_resort: false,
    };
    let welcome = match message(&hex(case, "welcome")?)?.body {
        MlsMessageBody::Welcome(w) => w,
        _ => return Err("welcome is not a Welcome".into()),
    };
    let tree = match field(case, "ratchet_tree")? {
        Value::Null => None,
        _ => {
            let ext: RatchetTreeExtension = decode_exact(&hex(case, "ratchet_tree")?)
                .map_err(|e| format!("ratchet_tree: {e}"))?;
            Some(ext.0.0)
        }
    };
    let mut psks = BTreeMap::new();
    for p in field(case, "external_psks")?
        .as_array()
        .ok_or("external_psks")?
    {
        psks.insert(hex(p, "psk_id")?, Secret::new(hex(p, "psk")?));
    }
    let mut group = Group::join(
        provider,
        &welcome,
        &bundle,
        tree,
        psks,
        GroupConfig::default(),
    )
    .map_err(|e| format!("join: {e}"))?;
    expect_eq(
        "initial epoch authenticator",
        group.epoch_authenticator(),
        &hex(case, "initial_epoch_authenticator")?,
    )?;
    for (i, epoch) in field(case, "epochs")?
        .as_array()
        .ok_or("epochs")?
        .iter()
        .enumerate()
    {
        for p in field(epoch, "proposals")?.as_array().ok_or("proposals")? {
            let bytes = ::hex::decode(p.as_str().ok_or("proposal")?).map_err(|e| e.to_string())?;
            match group.process(provider, &message(&bytes)?) {
                Ok(ProcessedMessage::Proposal { .. }) => {}
                Ok(other) => return Err(format!("epoch {i}: expected a proposal, got {other:?}")),
                Err(e) => return Err(format!("epoch {i}: proposal: {e}")),
            }
        }
        let commit = message(&hex(epoch, "commit")?)?;
        match group
            .process(provider, &commit)
            .map_err(|e| format!("epoch {i}: commit: {e}"))?
        {
            ProcessedMessage::Commit(staged) => {
                group
                    .merge_staged_commit(*staged)
                    .map_err(|e| format!("epoch {i}: merge: {e}"))?;
            }
            other => return Err(format!("epoch {i}: expected a commit, got {other:?}")),
        }
        expect_eq(
            &format!("epoch {i} authenticator"),
            group.epoch_authenticator(),
            &hex(epoch, "epoch_authenticator")?,
        )?;
    }
    Ok(())
}
