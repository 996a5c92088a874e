//! A blocking client of the Cohort delivery service (`cohort-ds`), its
//! HTTP API version 1: authentication by signature key, registration of
//! an identity, KeyPackages, groups, messages and the long-polled inbox.
//!
//! A client is its MLS signature key plus an identity. [`DsClient`] proves
//! the key to the server by signing the server's challenge with
//! `SignWithLabel(key, "cohort-ds auth", challenge)` (RFC 9420 section
//! 5.1.2) through any [`Signer`], and keeps the bearer token it gets; when
//! the server no longer accepts the token (HTTP 401) it signs a new
//! challenge and retries the request once.
//!
//! MLS objects go in and come out as their encoded MLSMessage bytes; the
//! caller encodes and decodes them with `cohort`. A refusal by the server
//! is a [`DsError::Server`] carrying the server's [`ErrorCode`] (and, for
//! [`ErrorCode::StaleEpoch`], the group's current epoch).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use cohort_basic_credential::SignatureKeyPair;
//! use cohort_ds_client::DsClient;
//! use cohort_rust_crypto::RustCrypto;
//! use cohort_traits::{Ciphersuite, SignatureScheme};
//! use std::sync::Arc;
//!
//! let key = SignatureKeyPair::generate(RustCrypto::new(), SignatureScheme::ED25519, &RustCrypto::new())?;
//! let ds = DsClient::new("http://127.0.0.1:8080", Arc::new(key), Ciphersuite(1))?;
//! ds.register("alice")?;
//! let inbox = ds.inbox(0, std::time::Duration::from_secs(5))?;
//! println!("{} new messages", inbox.messages.len());
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod error;
mod wire;

pub use error::{DsError, ErrorCode};
pub use wire::{
    CreatedGroup, GroupInfo, Inbox, InboxEntry, InboxKind, MemberEntry, Members, Outgoing, Sent,
    group_path_id,
};

use cohort_traits::{Ciphersuite, Signer};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The label of the authentication signature (before the "MLS 1.0 "
/// prefix that SignWithLabel adds).
pub const AUTH_LABEL: &[u8] = b"cohort-ds auth";

/// The longest inbox wait the server grants, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 30;

/// The largest response body read (a GroupInfo of a large group with its
/// tree is the largest answer).
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// The timeout of a request that does not wait by design.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The bytes an authentication signature covers: RFC 9420's `SignContent`
/// with label "MLS 1.0 cohort-ds auth" and the challenge as content.
pub fn auth_sign_content(challenge: &[u8]) -> Result<Vec<u8>, DsError> {
    let mut label = b"MLS 1.0 ".to_vec();
    label.extend_from_slice(AUTH_LABEL);
    let mut out = Vec::with_capacity(label.len() + challenge.len() + 8);
    cohort::codec::write_opaque(&label, &mut out)
        .and_then(|()| cohort::codec::write_opaque(challenge, &mut out))
        .map_err(|e| DsError::Signing(e.to_string()))?;
    Ok(out)
}

/// `SignWithLabel(key, "cohort-ds auth", challenge)` with `signer`.
pub fn sign_challenge(signer: &dyn Signer, challenge: &[u8]) -> Result<Vec<u8>, DsError> {
    signer
        .sign(&auth_sign_content(challenge)?)
        .map_err(|e| DsError::Signing(e.to_string()))
}

#[derive(Clone, Copy)]
enum Method {
    Get,
    Post,
}

/// A blocking connection to one delivery service as one client (its
/// signature key). It may be shared between threads: a long poll of the
/// inbox in one does not hold up requests of the others.
pub struct DsClient {
    base: String,
    agent: ureq::Agent,
    signer: Arc<dyn Signer>,
    ciphersuite: Ciphersuite,
    token: Mutex<Option<String>>,
}

impl core::fmt::Debug for DsClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DsClient")
            .field("base", &self.base)
            .field("ciphersuite", &self.ciphersuite)
            .finish_non_exhaustive()
    }
}

impl DsClient {
    /// A client of the server at `base_url` (`http://host:port` or
    /// `https://host`, without a trailing path), authenticating with
    /// `signer`, whose scheme is `ciphersuite`'s. Nothing is sent yet: the
    /// first request that needs a token gets one.
    pub fn new(
        base_url: &str,
        signer: Arc<dyn Signer>,
        ciphersuite: Ciphersuite,
    ) -> Result<Self, DsError> {
        let base = base_url.trim_end_matches('/');
        let rest = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"));
        if rest.is_none_or(|host| host.is_empty() || host.contains('/')) {
            return Err(DsError::InvalidUrl(base_url.to_string()));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build();
        Ok(DsClient {
            base: base.to_string(),
            agent: ureq::Agent::new_with_config(config),
            signer,
            ciphersuite,
            token: Mutex::new(None),
        })
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The signature key this client authenticates with.
    pub fn signature_key(&self) -> &[u8] {
        self.signer.public_key()
    }

    /// Gets a fresh token: asks for a challenge and redeems it with its
    /// signature. Other calls do this by themselves when they need to.
    pub fn authenticate(&self) -> Result<(), DsError> {
        let key = self.signer.public_key();
        let suite = self.ciphersuite.0;
        let challenge: wire::ChallengeResponse = self.call(
            "authentication challenge",
            Method::Post,
            "/v1/auth/challenge",
            Some(&wire::ChallengeRequest {
                signature_key: key,
                ciphersuite: suite,
            }),
            None,
            REQUEST_TIMEOUT,
        )?;
        let signature = sign_challenge(&*self.signer, &challenge.challenge)?;
        let token: wire::TokenResponse = self.call(
            "authentication token",
            Method::Post,
            "/v1/auth/token",
            Some(&wire::TokenRequest {
                signature_key: key,
                ciphersuite: suite,
                challenge: &challenge.challenge,
                signature: &signature,
            }),
            None,
            REQUEST_TIMEOUT,
        )?;
        *self.token.lock().unwrap_or_else(PoisonError::into_inner) = Some(token.token);
        Ok(())
    }

    /// Binds `identity` to this client's signature key (idempotent for the
    /// same pair; [`ErrorCode::IdentityTaken`] when another key holds it).
    pub fn register(&self, identity: &str) -> Result<(), DsError> {
        let _: serde_json::Value = self.authed(
            "register",
            Method::Post,
            "/v1/register",
            Some(&wire::RegisterRequest { identity }),
            REQUEST_TIMEOUT,
        )?;
        Ok(())
    }

    /// Publishes KeyPackages (each an encoded KeyPackage MLSMessage);
    /// `last_resort` marks them as the ones handed out, and kept, when no
    /// other is left. Returns how many the server stored.
    pub fn publish_key_packages(
        &self,
        key_packages: &[Vec<u8>],
        last_resort: bool,
    ) -> Result<u64, DsError> {
        let body = wire::KeyPackagesRequest {
            key_packages: key_packages.iter().map(|kp| wire::encode(kp)).collect(),
            last_resort,
        };
        let out: wire::KeyPackagesResponse = self.authed(
            "publish key packages",
            Method::Post,
            "/v1/key-packages",
            Some(&body),
            REQUEST_TIMEOUT,
        )?;
        Ok(out.stored)
    }

    /// Takes one KeyPackage of `identity` for this client's cipher suite
    /// (an encoded KeyPackage MLSMessage; [`ErrorCode::NoKeyPackage`] when
    /// it has none).
    pub fn fetch_key_package(&self, identity: &str) -> Result<Vec<u8>, DsError> {
        let path = format!(
            "/v1/key-packages/{}?ciphersuite={}",
            percent_encode(identity),
            self.ciphersuite.0
        );
        let out: wire::KeyPackageResponse = self.authed(
            "fetch key package",
            Method::Get,
            &path,
            None::<&()>,
            REQUEST_TIMEOUT,
        )?;
        Ok(out.key_package)
    }

    /// Creates a group on the server from its GroupInfo (an encoded
    /// GroupInfo MLSMessage with the `ratchet_tree` extension).
    pub fn create_group(&self, group_info: &[u8]) -> Result<CreatedGroup, DsError> {
        self.authed(
            "create group",
            Method::Post,
            "/v1/groups",
            Some(&wire::CreateGroupRequest { group_info }),
            REQUEST_TIMEOUT,
        )
    }

    /// Sends a message to group `group_id` (with a commit's Welcome and
    /// GroupInfo). A commit that lost its epoch is refused with
    /// [`ErrorCode::StaleEpoch`] ([`DsError::is_stale_epoch`]).
    pub fn send(&self, group_id: &[u8], message: &Outgoing) -> Result<Sent, DsError> {
        let path = format!("/v1/groups/{}/messages", group_path_id(group_id));
        self.authed(
            "send message",
            Method::Post,
            &path,
            Some(message),
            REQUEST_TIMEOUT,
        )
    }

    /// The inbox entries after sequence number `after`; with none, waits
    /// up to `wait` (at most [`MAX_WAIT_SECONDS`]) for one to arrive.
    pub fn inbox(&self, after: u64, wait: Duration) -> Result<Inbox, DsError> {
        let wait = wait.as_secs().min(MAX_WAIT_SECONDS);
        let path = format!("/v1/inbox?after={after}&wait={wait}");
        let inbox: Inbox = self.authed(
            "read inbox",
            Method::Get,
            &path,
            None::<&()>,
            REQUEST_TIMEOUT + Duration::from_secs(wait),
        )?;
        if let Some(bad) = inbox.messages.iter().find(|m| m.seq <= after) {
            return Err(DsError::InvalidResponse {
                operation: "read inbox",
                detail: format!("entry {} is not after {after}", bad.seq),
            });
        }
        Ok(inbox)
    }

    /// The group's latest GroupInfo on the server.
    pub fn group_info(&self, group_id: &[u8]) -> Result<GroupInfo, DsError> {
        let path = format!("/v1/groups/{}/group-info", group_path_id(group_id));
        self.authed(
            "group info",
            Method::Get,
            &path,
            None::<&()>,
            REQUEST_TIMEOUT,
        )
    }

    /// The server's view of the group's members (members only).
    pub fn members(&self, group_id: &[u8]) -> Result<Members, DsError> {
        let path = format!("/v1/groups/{}/members", group_path_id(group_id));
        self.authed(
            "group members",
            Method::Get,
            &path,
            None::<&()>,
            REQUEST_TIMEOUT,
        )
    }

    /// A request with the bearer token, authenticating first when there is
    /// none, and once again when the server refuses the token.
    fn authed<B: Serialize, T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<&B>,
        timeout: Duration,
    ) -> Result<T, DsError> {
        let current = self
            .token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let (token, fresh) = match current {
            Some(t) => (t, false),
            None => (self.fresh_token()?, true),
        };
        match self.call(operation, method, path, body, Some(&token), timeout) {
            Err(e) if e.status() == Some(401) && !fresh => {
                let token = self.fresh_token()?;
                self.call(operation, method, path, body, Some(&token), timeout)
            }
            other => other,
        }
    }

    fn fresh_token(&self) -> Result<String, DsError> {
        self.authenticate()?;
        self.token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(DsError::InvalidResponse {
                operation: "authentication token",
                detail: "no token".into(),
            })
    }

    fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<&B>,
        token: Option<&str>,
        timeout: Duration,
    ) -> Result<T, DsError> {
        let url = format!("{}{path}", self.base);
        let transport = |e: ureq::Error| DsError::Transport {
            operation,
            detail: e.to_string(),
        };
        let auth = token.map(|t| format!("Bearer {t}"));
        let response = match method {
            Method::Get => {
                let mut req = self.agent.get(&url);
                if let Some(a) = &auth {
                    req = req.header("Authorization", a);
                }
                req.config()
                    .timeout_global(Some(timeout))
                    .build()
                    .call()
                    .map_err(transport)?
            }
            Method::Post => {
                let json = match body {
                    Some(b) => serde_json::to_vec(b),
                    None => serde_json::to_vec(&serde_json::json!({})),
                }
                .map_err(|e| DsError::InvalidResponse {
                    operation,
                    detail: format!("encoding the request: {e}"),
                })?;
                let mut req = self
                    .agent
                    .post(&url)
                    .header("Content-Type", "application/json");
                if let Some(a) = &auth {
                    req = req.header("Authorization", a);
                }
                req.config()
                    .timeout_global(Some(timeout))
                    .build()
                    .send(&json[..])
                    .map_err(transport)?
            }
        };
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .into_with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(transport)?;
        if (200..300).contains(&status) {
            serde_json::from_slice(&bytes).map_err(|e| DsError::InvalidResponse {
                operation,
                detail: e.to_string(),
            })
        } else {
            Err(server_error(operation, status, &bytes))
        }
    }
}

/// The refusal in an error response; a body that is not the API's error
/// object still gives the status (as the code `http_<status>`).
fn server_error(operation: &'static str, status: u16, body: &[u8]) -> DsError {
    match serde_json::from_slice::<wire::ErrorBody>(body) {
        Ok(e) => DsError::Server {
            operation,
            status,
            code: ErrorCode::parse(&e.error),
            message: e.message,
            epoch: e.epoch,
        },
        Err(_) => DsError::Server {
            operation,
            status,
            code: ErrorCode::Other(format!("http_{status}")),
            message: String::from_utf8_lossy(body.get(..200).unwrap_or(body)).into_owned(),
            epoch: None,
        },
    }
}

/// Percent-encodes a path segment (every byte outside the unreserved set).
fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
