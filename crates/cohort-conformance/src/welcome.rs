//! welcome.json: decrypting a Welcome (RFC 9420 section 12.4.3.1).

use crate::Tally;
use crate::json::hex;
use cohort::codec::{decode_exact, encode};
use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::schedule::{
    JoinerSecret, decrypt_group_info, decrypt_group_secrets, psk_secret, verify_confirmation_tag,
    verify_group_info,
};
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
    let e = |what: &'static str| move |e: cohort::Error| format!("{what}: {e}");
    let key_package = match decode_exact::<MlsMessage>(&hex(case, "key_package")?)
        .map_err(e("key_package"))?
        .body
    {
        MlsMessageBody::KeyPackage(kp) => kp,
        _ => return Err("key_package is not a KeyPackage".into()),
    };
    let welcome = match decode_exact::<MlsMessage>(&hex(case, "welcome")?)
        .map_err(e("welcome"))?
        .body
    {
        MlsMessageBody::Welcome(w) => w,
        _ => return Err("welcome is not a Welcome".into()),
    };
    let kp_ref = cs
        .make_key_package_ref(&encode(&key_package).map_err(e("encode key package"))?)
        .map_err(e("KeyPackageRef"))?;
    let secrets = welcome
        .secrets_for(&kp_ref)
        .ok_or("no secrets for the key package")?;
    let group_secrets = decrypt_group_secrets(
        cs,
        &hex(case, "init_priv")?,
        Some(key_package.init_key.as_slice()),
        secrets,
        welcome.encrypted_group_info.as_slice(),
    )
    .map_err(e("group secrets"))?;
    let psk = psk_secret(cs, &[]).map_err(e("psk secret"))?;
    let joiner = JoinerSecret::from_secret(group_secrets.joiner_secret.0.clone());
    let welcome_secret = joiner
        .welcome_secret(cs, psk.as_bytes())
        .map_err(e("welcome secret"))?;
    let group_info =
        decrypt_group_info(cs, &welcome_secret, welcome.encrypted_group_info.as_slice())
            .map_err(e("group info"))?;
    verify_group_info(cs, &hex(case, "signer_pub")?, &group_info)
        .map_err(e("group info signature"))?;
    let gc = encode(&group_info.group_context).map_err(e("group context"))?;
    let (_, epoch) = joiner
        .into_epoch(cs, psk.as_bytes(), &gc)
        .map_err(e("key schedule"))?;
    verify_confirmation_tag(
        cs,
        &epoch.confirmation_key,
        group_info
            .group_context
            .confirmed_transcript_hash
            .as_slice(),
        group_info.confirmation_tag.as_slice(),
    )
    .map_err(e("confirmation tag"))?;
    Ok(())
}
