//! The key-schedule step of a commit (RFC 9420 section 8), shared by the
//! member who makes a commit and those who receive it.

use super::psk::{PskSources, resolve_psk_secret};
use super::state::Group;
use crate::codec::encode;
use crate::crypto::SuiteCrypto;
use crate::framing::AuthenticatedContent;
use crate::messages::{Extensions, GroupContext, PreSharedKeyId};
use crate::schedule::{EpochSecrets, JoinerSecret, WelcomeSecret, next_confirmed_transcript_hash};
use crate::{Error, MisuseError};
use alloc::vec::Vec;
use cohort_traits::{Crypto, Secret};

/// The epoch a commit leads to, before its confirmation tag.
pub(crate) struct NextEpoch {
    /// Its GroupContext (RFC 9420 section 8.1).
    pub context: GroupContext,
    /// Its confirmed transcript hash (section 8.2).
    pub confirmed: Vec<u8>,
    /// The joiner secret, for a Welcome's GroupSecrets.
    pub joiner_secret: Secret,
    /// The welcome secret, to seal a Welcome's GroupInfo.
    pub welcome_secret: WelcomeSecret,
    /// Its secrets.
    pub secrets: EpochSecrets,
}

impl Group {
    /// The key-schedule step of the commit whose content is `ac`: the new
    /// epoch's GroupContext (its tree hash and extensions given, its
    /// confirmed transcript hash over `ac`), then `joiner_secret` from
    /// `init_secret` and `commit_secret`, the PSKs `psks` (from this
    /// group's, `others`' and the external ones), and the epoch secrets
    /// (RFC 9420 sections 8, 8.1, 8.2, 8.4).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn next_epoch<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        ac: &AuthenticatedContent,
        tree_hash: Vec<u8>,
        extensions: Extensions,
        init_secret: &Secret,
        commit_secret: &Secret,
        psks: &[PreSharedKeyId],
        others: &[&Group],
    ) -> Result<NextEpoch, Error> {
        let epoch = self
            .context
            .epoch
            .checked_add(1)
            .ok_or(MisuseError::EpochExhausted)?;
        let confirmed = next_confirmed_transcript_hash(
            cs,
            &self.interim_transcript_hash,
            &ac.confirmed_transcript_hash_input()?,
        )?;
        let context = GroupContext {
            epoch,
            tree_hash: tree_hash.into(),
            confirmed_transcript_hash: confirmed.clone().into(),
            extensions,
            ..self.context.clone()
        };
        let gc = encode(&context)?;
        let mut groups: Vec<&Group> = Vec::with_capacity(others.len().saturating_add(1));
        groups.push(self);
        groups.extend_from_slice(others);
        let sources = PskSources {
            external: &self.external_psks,
            groups: &groups,
        };
        let psk_secret = resolve_psk_secret(cs, psks, &sources)?;
        let joiner =
            JoinerSecret::derive(cs, init_secret.as_bytes(), commit_secret.as_bytes(), &gc)?;
        let joiner_secret = Secret::from_slice(joiner.as_bytes());
        let (welcome_secret, secrets) = joiner.into_epoch(cs, psk_secret.as_bytes(), &gc)?;
        Ok(NextEpoch {
            context,
            confirmed,
            joiner_secret,
            welcome_secret,
            secrets,
        })
    }
}
