//! The HTTP API (see the crate documentation for the contract).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::{DecodePaddingMode, general_purpose};
use cohort::crypto::SuiteCrypto;
use cohort::framing::{ContentType, MlsMessage, MlsMessageBody, Sender};
use cohort::group::{Limits, key_package_ref, validate_key_package};
use cohort::messages::Credential;
use cohort::tree::LeafPolicy;
use cohort::{Ciphersuite, Rand};
use cohort_rust_crypto::RustCrypto;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tls_codec::DeserializeBytes;

use crate::store::{Append, Appended, EpochChange, NewKeyPackage, Registered, Store, StoreError};
use crate::view::{GroupView, Processed, PublicGroupView, ViewError, ViewMember};

/// The label of the authentication signature.
pub const AUTH_LABEL: &[u8] = b"cohort-ds auth";

/// Server configuration (limits and lifetimes).
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest request body, in bytes (413 `body_too_large`).
    pub max_body_bytes: usize,
    /// Messages a client may send per minute (429 `rate_limited`).
    pub messages_per_minute: u32,
    /// KeyPackages stored per client (429 `too_many_key_packages`).
    pub max_key_packages: u64,
    /// How many epochs behind the group a PrivateMessage may be.
    pub max_past_epochs: u64,
    /// Token lifetime in seconds.
    pub token_ttl: u64,
    /// Limits on groups and messages, as the core's.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_body_bytes: 1 << 20,
            messages_per_minute: 6000,
            max_key_packages: 100,
            max_past_epochs: 3,
            token_ttl: 3600,
            limits: Limits::default(),
        }
    }
}

/// The shared state of the handlers.
pub struct App<S: Store> {
    store: S,
    config: Config,
    crypto: RustCrypto,
    rate: Mutex<HashMap<Vec<u8>, (Instant, u32)>>,
}

type Shared<S> = Arc<App<S>>;

/// An error response: `{"error": code, "message": text, ...}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: std::borrow::Cow<'static, str>,
    message: String,
    extra: Option<(&'static str, Value)>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        code: impl Into<std::borrow::Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            extra: None,
        }
    }

    fn bad(code: impl Into<std::borrow::Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_error",
            e.to_string(),
        )
    }
}

impl From<ViewError> for ApiError {
    fn from(e: ViewError) -> Self {
        match e {
            ViewError::StaleEpoch(epoch) => ApiError {
                status: StatusCode::CONFLICT,
                code: "stale_epoch".into(),
                message: format!("the group is in epoch {epoch}; process its messages and re-base"),
                extra: Some(("epoch", json!(epoch))),
            },
            ViewError::Invalid { code, message } => ApiError::bad(code, message),
            ViewError::Forbidden(message) => {
                ApiError::new(StatusCode::FORBIDDEN, "not_a_member", message)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": self.code, "message": self.message});
        if let (Some((k, v)), Some(map)) = (self.extra, body.as_object_mut()) {
            map.insert(k.to_string(), v);
        }
        (self.status, axum::Json(body)).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

fn ok(status: StatusCode, body: Value) -> ApiResult {
    Ok((status, axum::Json(body)).into_response())
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn unb64(field: &str, text: &str) -> Result<Vec<u8>, ApiError> {
    STANDARD
        .decode(text)
        .map_err(|e| ApiError::bad("invalid_base64", format!("{field}: {e}")))
}

const URL_SAFE_ANY: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn group_id_from_path(text: &str) -> Result<Vec<u8>, ApiError> {
    URL_SAFE_ANY.decode(text).map_err(|e| {
        ApiError::bad(
            "invalid_group_id",
            format!("group id in the path (base64url): {e}"),
        )
    })
}

/// Decodes one MLSMessage, its size checked first.
fn decode_message(field: &str, text: &str, limits: &Limits) -> Result<MlsMessage, ApiError> {
    // Base64 is 4/3 of the bytes: refuse before decoding.
    if text.len() / 4 * 3 > limits.max_message_size.saturating_add(3) {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "message_too_large",
            format!("{field} is larger than {} bytes", limits.max_message_size),
        ));
    }
    let bytes = unb64(field, text)?;
    MlsMessage::tls_deserialize_exact_bytes(&bytes).map_err(|e| {
        ApiError::bad(
            "invalid_message",
            format!("{field} does not decode as an MLSMessage: {e}"),
        )
    })
}

fn encode_message(message: &MlsMessage) -> Result<Vec<u8>, ApiError> {
    cohort::codec::encode(message).map_err(|e| ApiError::bad("invalid_message", e.to_string()))
}

/// A JSON request body, read within the configured size (413
/// `body_too_large`, checked before parsing) and parsed (400
/// `invalid_json`).
pub struct JsonBody<T>(T);

impl<S: Store, T: DeserializeOwned> FromRequest<Shared<S>> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &Shared<S>) -> Result<Self, ApiError> {
        let max = app.config.max_body_bytes;
        let too_large = || {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the request body is larger than {max} bytes"),
            )
        };
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max as u64) {
            return Err(too_large());
        }
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), max)
            .await
            .map_err(|_| too_large())?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::bad("invalid_json", format!("request body: {e}")))
    }
}

/// An authenticated client: its signature key and ciphersuite.
pub struct Authed {
    key: Vec<u8>,
    suite: u16,
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl<S: Store> FromRequestParts<Shared<S>> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Shared<S>) -> Result<Self, ApiError> {
        let unauthenticated =
            |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", m);
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unauthenticated("no Authorization header"))?;
        let token = value
            .strip_prefix("Bearer ")
            .ok_or_else(|| unauthenticated("the Authorization header is not a Bearer token"))?;
        let (key, suite) = app
            .store
            .token(token_hash(token), now())
            .await?
            .ok_or_else(|| unauthenticated("unknown or expired token"))?;
        Ok(Authed { key, suite })
    }
}

/// Runs CPU-bound work (signature checks, tree hashes) off the runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

fn suite_crypto(crypto: &RustCrypto, suite: u16) -> Result<SuiteCrypto<'_, RustCrypto>, ApiError> {
    SuiteCrypto::new(crypto, Ciphersuite(suite)).map_err(|e| {
        ApiError::bad(
            "unsupported_ciphersuite",
            format!("ciphersuite {suite}: {e}"),
        )
    })
}

fn random32(crypto: &RustCrypto) -> Result<[u8; 32], ApiError> {
    let mut out = [0u8; 32];
    crypto.fill(&mut out).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("random: {e:?}"),
        )
    })?;
    Ok(out)
}

#[derive(Deserialize)]
struct ChallengeReq {
    signature_key: String,
    ciphersuite: u16,
}

async fn challenge<S: Store>(
    State(app): State<Shared<S>>,
    JsonBody(req): JsonBody<ChallengeReq>,
) -> ApiResult {
    let key = unb64("signature_key", &req.signature_key)?;
    let cs = suite_crypto(&app.crypto, req.ciphersuite)?;
    if key.is_empty() || key.len() > 4096 || cs.suite().0 != req.ciphersuite {
        return Err(ApiError::bad(
            "invalid_signature_key",
            "the signature key must be 1 to 4096 bytes",
        ));
    }
    let challenge = random32(&app.crypto)?;
    app.store
        .put_challenge(challenge.to_vec(), key, req.ciphersuite, now() + 120)
        .await?;
    ok(StatusCode::OK, json!({"challenge": b64(&challenge)}))
}

#[derive(Deserialize)]
struct TokenReq {
    signature_key: String,
    ciphersuite: u16,
    challenge: String,
    signature: String,
}

async fn token<S: Store>(
    State(app): State<Shared<S>>,
    JsonBody(req): JsonBody<TokenReq>,
) -> ApiResult {
    let key = unb64("signature_key", &req.signature_key)?;
    let challenge = unb64("challenge", &req.challenge)?;
    let signature = unb64("signature", &req.signature)?;
    let cs = suite_crypto(&app.crypto, req.ciphersuite)?;
    if !app
        .store
        .take_challenge(challenge.clone(), key.clone(), req.ciphersuite, now())
        .await?
    {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_challenge",
            "the challenge is unknown, used, expired or issued for another key",
        ));
    }
    cs.verify_with_label(&key, AUTH_LABEL, &challenge, &signature).map_err(|e| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
            format!("the challenge signature (SignWithLabel \"cohort-ds auth\") does not verify: {e}"),
        )
    })?;
    let token = general_purpose::URL_SAFE_NO_PAD.encode(random32(&app.crypto)?);
    let ttl = app.config.token_ttl;
    app.store
        .put_token(
            token_hash(&token),
            key,
            req.ciphersuite,
            now().saturating_add_unsigned(ttl),
        )
        .await?;
    ok(StatusCode::OK, json!({"token": token, "expires_in": ttl}))
}

#[derive(Deserialize)]
struct RegisterReq {
    identity: String,
}

async fn register<S: Store>(
    State(app): State<Shared<S>>,
    auth: Authed,
    JsonBody(req): JsonBody<RegisterReq>,
) -> ApiResult {
    if req.identity.is_empty() || req.identity.len() > 255 {
        return Err(ApiError::bad(
            "invalid_identity",
            "the identity must be 1 to 255 bytes",
        ));
    }
    match app.store.register(auth.key, req.identity).await? {
        Registered::Created => ok(StatusCode::CREATED, json!({})),
        Registered::Same => ok(StatusCode::OK, json!({})),
        Registered::Taken => Err(ApiError::new(
            StatusCode::CONFLICT,
            "identity_taken",
            "another key holds this identity (or this key holds another identity)",
        )),
    }
}

#[derive(Deserialize)]
struct KeyPackagesReq {
    key_packages: Vec<String>,
    #[serde(default)]
    last_resort: bool,
}

async fn registered_identity<S: Store>(app: &App<S>, key: &[u8]) -> Result<String, ApiError> {
    app.store.identity_of(key.to_vec()).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "not_registered",
            "register an identity for this key first",
        )
    })
}

async fn upload_key_packages<S: Store>(
    State(app): State<Shared<S>>,
    auth: Authed,
    JsonBody(req): JsonBody<KeyPackagesReq>,
) -> ApiResult {
    let identity = registered_identity(&app, &auth.key).await?;
    if req.key_packages.len() as u64 > app.config.max_key_packages {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_key_packages",
            format!(
                "at most {} KeyPackages are stored per client",
                app.config.max_key_packages
            ),
        ));
    }
    let mut out = Vec::with_capacity(req.key_packages.len());
    let mut suite = None;
    for (i, text) in req.key_packages.iter().enumerate() {
        let field = format!("key_packages[{i}]");
        let message = decode_message(&field, text, &app.config.limits)?;
        let MlsMessageBody::KeyPackage(kp) = &message.body else {
            return Err(ApiError::bad(
                "not_a_key_package",
                format!("{field} is not an MLSMessage(KeyPackage)"),
            ));
        };
        let cs = suite_crypto(&app.crypto, kp.cipher_suite.0)?;
        if suite.is_some_and(|s| s != kp.cipher_suite.0) {
            return Err(ApiError::bad(
                "mixed_ciphersuites",
                "all KeyPackages of one upload share a ciphersuite",
            ));
        }
        suite = Some(kp.cipher_suite.0);
        let policy = LeafPolicy {
            max_extensions: app.config.limits.max_extensions_per_leaf,
            ..LeafPolicy::default()
        };
        validate_key_package(&cs, kp, &policy)
            .map_err(|e| ApiError::bad("invalid_key_package", format!("{field}: {e}")))?;
        if kp.leaf_node.signature_key.as_slice() != auth.key.as_slice() {
            return Err(ApiError::bad(
                "signature_key_mismatch",
                format!("{field}: the leaf's signature key is not the authenticated key"),
            ));
        }
        let id_matches = matches!(&kp.leaf_node.credential,
            Credential::Basic { identity: id } if id.as_slice() == identity.as_bytes());
        if !id_matches {
            return Err(ApiError::bad(
                "identity_mismatch",
                format!("{field}: the credential's identity is not the registered identity"),
            ));
        }
        let reference = key_package_ref(&cs, kp)
            .map_err(|e| ApiError::bad("invalid_key_package", format!("{field}: {e}")))?;
        out.push(NewKeyPackage {
            reference,
            data: encode_message(&message)?,
            last_resort: req.last_resort,
        });
    }
    let n = out.len();
    let suite = suite.unwrap_or(auth.suite);
    match app
        .store
        .store_key_packages(auth.key, identity, suite, out, app.config.max_key_packages)
        .await?
    {
        Some(stored) => ok(StatusCode::OK, json!({"stored": stored})),
        None => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_key_packages",
            format!(
                "storing {n} more would pass {} KeyPackages for this client",
                app.config.max_key_packages
            ),
        )),
    }
}

#[derive(Deserialize)]
struct SuiteQuery {
    ciphersuite: u16,
}

async fn fetch_key_package<S: Store>(
    State(app): State<Shared<S>>,
    _auth: Authed,
    Path(identity): Path<String>,
    q: Result<Query<SuiteQuery>, QueryRejection>,
) -> ApiResult {
    let Query(q) = q.map_err(|e| ApiError::bad("invalid_query", e.body_text()))?;
    match app
        .store
        .take_key_package(identity.clone(), q.ciphersuite)
        .await?
    {
        Some(data) => ok(StatusCode::OK, json!({"key_package": b64(&data)})),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_key_package",
            format!(
                "no KeyPackage of {identity:?} for ciphersuite {}",
                q.ciphersuite
            ),
        )),
    }
}

#[derive(Deserialize)]
struct CreateGroupReq {
    group_info: String,
}

async fn create_group<S: Store>(
    State(app): State<Shared<S>>,
    auth: Authed,
    JsonBody(req): JsonBody<CreateGroupReq>,
) -> ApiResult {
    let message = decode_message("group_info", &req.group_info, &app.config.limits)?;
    let limits = app.config.limits;
    let gi = message.clone();
    let view = blocking(move || PublicGroupView::from_group_info(&gi, &limits)).await??;
    let members = view.members();
    if !members.iter().any(|m| m.signature_key == auth.key) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_a_member",
            "the authenticated key is not a member of the GroupInfo's tree",
        ));
    }
    let group_id = view.group_id().to_vec();
    let epoch = view.epoch();
    let created = app
        .store
        .create_group(
            group_id.clone(),
            epoch,
            view.to_bytes()?,
            encode_message(&message)?,
            members,
        )
        .await?;
    if !created {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "group_exists",
            "the group id is taken",
        ));
    }
    ok(
        StatusCode::CREATED,
        json!({"group_id": b64(&group_id), "epoch": epoch}),
    )
}

#[derive(Deserialize)]
struct PostMessageReq {
    message: String,
    welcome: Option<String>,
    group_info: Option<String>,
}

impl<S: Store> App<S> {
    fn check_rate(&self, key: &[u8]) -> Result<(), ApiError> {
        let mut rate = self.rate.lock().map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "rate table poisoned",
            )
        })?;
        let now = Instant::now();
        if rate.len() > 100_000 {
            rate.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = rate.entry(key.to_vec()).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        if entry.1 >= self.config.messages_per_minute {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "at most {} messages per minute",
                    self.config.messages_per_minute
                ),
            ));
        }
        entry.1 += 1;
        Ok(())
    }
}

fn not_member() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "not_a_member",
        "the authenticated client is not a member of the group",
    )
}

fn recipients(before: &[ViewMember], after: &[ViewMember], sender: &[u8]) -> Vec<Vec<u8>> {
    let set: BTreeSet<&Vec<u8>> = before
        .iter()
        .chain(after)
        .map(|m| &m.signature_key)
        .filter(|k| k.as_slice() != sender)
        .collect();
    set.into_iter().cloned().collect()
}

async fn post_message<S: Store>(
    State(app): State<Shared<S>>,
    auth: Authed,
    Path(group): Path<String>,
    JsonBody(req): JsonBody<PostMessageReq>,
) -> ApiResult {
    let group_id = group_id_from_path(&group)?;
    app.check_rate(&auth.key)?;
    let limits = &app.config.limits;
    let message = decode_message("message", &req.message, limits)?;
    let welcome = match &req.welcome {
        Some(text) => {
            let w = decode_message("welcome", text, limits)?;
            let MlsMessageBody::Welcome(welcome) = &w.body else {
                return Err(ApiError::bad(
                    "not_a_welcome",
                    "welcome is not an MLSMessage(Welcome)",
                ));
            };
            let refs = welcome
                .secrets
                .0
                .iter()
                .map(|s| s.new_member.as_slice().to_vec())
                .collect();
            let owners = app.store.key_package_owners(refs).await?;
            if owners.is_empty() {
                return Err(ApiError::bad(
                    "unknown_key_package",
                    "no new member of the Welcome uses a KeyPackage this server knows",
                ));
            }
            Some((encode_message(&w)?, owners))
        }
        None => None,
    };
    // A GroupInfo for external joins is checked as a joiner checks it.
    let group_info = match &req.group_info {
        Some(text) => {
            let gi = decode_message("group_info", text, limits)?;
            let limits = *limits;
            let checked = gi.clone();
            let view =
                blocking(move || PublicGroupView::from_group_info(&checked, &limits)).await??;
            if view.group_id() != group_id.as_slice() {
                return Err(ApiError::bad(
                    "wrong_group",
                    "group_info is for another group",
                ));
            }
            Some((gi, view.epoch()))
        }
        None => None,
    };
    let gi_epoch = group_info.as_ref().map(|(_, epoch)| *epoch);
    let check_gi_epoch = |epoch: u64| match gi_epoch {
        Some(e) if e != epoch => Err(ApiError::bad(
            "group_info_epoch",
            format!("group_info is for epoch {e}, the group is then in epoch {epoch}"),
        )),
        _ => Ok(()),
    };
    let no_group = || ApiError::new(StatusCode::NOT_FOUND, "no_group", "no group with this id");
    let data = encode_message(&message)?;
    // A message sent again (after a lost response) gets the first answer.
    let digest = Sha256::digest(&data).to_vec();
    if let Some((seq, epoch)) = app
        .store
        .find_message(group_id.clone(), digest.clone())
        .await?
    {
        return ok(StatusCode::OK, json!({"seq": seq, "epoch": epoch}));
    }
    let gi_bytes = group_info
        .as_ref()
        .map(|(gi, _)| encode_message(gi))
        .transpose()?;
    match &message.body {
        MlsMessageBody::PrivateMessage(pm) => {
            if pm.group_id.as_slice() != group_id.as_slice() {
                return Err(ApiError::bad(
                    "wrong_group",
                    "the message's group id is not the path's",
                ));
            }
            if pm.content_type != ContentType::Application {
                return Err(ApiError::bad(
                    "private_handshake",
                    "handshake messages must be PublicMessages so the server can check them",
                ));
            }
            let row = app
                .store
                .group(group_id.clone())
                .await?
                .ok_or_else(no_group)?;
            if pm.epoch > row.epoch {
                return Err(ApiError::bad(
                    "future_epoch",
                    format!(
                        "message for epoch {}, the group is in epoch {}",
                        pm.epoch, row.epoch
                    ),
                ));
            }
            if pm.epoch.saturating_add(app.config.max_past_epochs) < row.epoch {
                return Err(ViewError::StaleEpoch(row.epoch).into());
            }
            let members = app.store.members(group_id.clone()).await?;
            if !members.iter().any(|m| m.signature_key == auth.key) {
                return Err(not_member());
            }
            check_gi_epoch(row.epoch)?;
            let to = recipients(&members, &[], &auth.key);
            let append = Append {
                group_id,
                change: None,
                group_info: gi_bytes,
                message: data,
                digest,
                epoch: row.epoch,
                recipients: to,
                welcome,
            };
            match app.store.append(append).await? {
                Appended::Stored(seq) => {
                    ok(StatusCode::OK, json!({"seq": seq, "epoch": row.epoch}))
                }
                Appended::EpochMoved => Err(ApiError::new(StatusCode::CONFLICT, "retry", "retry")),
            }
        }
        MlsMessageBody::PublicMessage(pm) => {
            // A member's handshake message, or the commit of a client
            // joining by external commit (`None`).
            let sender_leaf = match pm.content.sender {
                Sender::Member(leaf) => Some(leaf),
                Sender::NewMemberCommit => None,
                _ => {
                    return Err(ApiError::bad(
                        "unsupported_sender",
                        "handshake messages come from members or external committers",
                    ));
                }
            };
            // Optimistic concurrency: compute from the stored state, write
            // only if it is still that state; otherwise start over (the
            // message is then usually stale).
            for _ in 0..16 {
                let row = app
                    .store
                    .group(group_id.clone())
                    .await?
                    .ok_or_else(no_group)?;
                let limits = app.config.limits;
                let msg = message.clone();
                let key = auth.key.clone();
                let state = row.state;
                let computed = blocking(move || {
                    let mut view = PublicGroupView::from_bytes(&state, &limits)?;
                    if msg_epoch(&msg) < view.epoch() {
                        return Err(ViewError::StaleEpoch(view.epoch()));
                    }
                    let before = view.members();
                    if let Some(leaf) = sender_leaf {
                        match before.iter().find(|m| m.leaf_index == leaf) {
                            Some(m) if m.signature_key == key => {}
                            Some(_) => {
                                return Err(ViewError::Forbidden(
                                    "the sender leaf is not the authenticated client".into(),
                                ));
                            }
                            None => {
                                return Err(ViewError::Forbidden(format!(
                                    "sender leaf {leaf} is not a member"
                                )));
                            }
                        }
                    }
                    let kind = view.process(&msg)?;
                    let after = view.members();
                    if sender_leaf.is_none() && !after.iter().any(|m| m.signature_key == key) {
                        return Err(ViewError::Forbidden(
                            "the external commit does not add the authenticated client".into(),
                        ));
                    }
                    Ok((kind, before, after, view.epoch(), view.to_bytes()?))
                })
                .await?;
                let (kind, before, after, epoch, state) = computed?;
                check_gi_epoch(epoch)?;
                let to = match kind {
                    Processed::Commit => recipients(&before, &after, &auth.key),
                    Processed::Proposal => recipients(&before, &[], &auth.key),
                };
                let append = Append {
                    group_id: group_id.clone(),
                    change: Some(EpochChange {
                        from_version: row.version,
                        epoch,
                        state,
                        members: after,
                    }),
                    group_info: gi_bytes.clone(),
                    message: data.clone(),
                    digest: digest.clone(),
                    epoch,
                    recipients: to,
                    welcome: welcome.clone(),
                };
                if let Appended::Stored(seq) = app.store.append(append).await? {
                    return ok(StatusCode::OK, json!({"seq": seq, "epoch": epoch}));
                }
            }
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "contention",
                "the group changed under this message too many times; send it again",
            ))
        }
        _ => Err(ApiError::bad(
            "unsupported_wire_format",
            "message must be a PublicMessage or a PrivateMessage",
        )),
    }
}

fn msg_epoch(message: &MlsMessage) -> u64 {
    match &message.body {
        MlsMessageBody::PublicMessage(pm) => pm.content.epoch,
        MlsMessageBody::PrivateMessage(pm) => pm.epoch,
        _ => 0,
    }
}

async fn group_info<S: Store>(
    State(app): State<Shared<S>>,
    _auth: Authed,
    Path(group): Path<String>,
) -> ApiResult {
    let group_id = group_id_from_path(&group)?;
    let row =
        app.store.group(group_id).await?.ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "no_group", "no group with this id")
        })?;
    let gi = row.group_info.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_group_info",
            "no GroupInfo stored",
        )
    })?;
    // The stored GroupInfo's own epoch.
    let epoch = MlsMessage::tls_deserialize_exact_bytes(&gi)
        .ok()
        .and_then(|m| match m.body {
            MlsMessageBody::GroupInfo(info) => Some(info.group_context.epoch),
            _ => None,
        })
        .unwrap_or(row.epoch);
    ok(
        StatusCode::OK,
        json!({"group_info": b64(&gi), "epoch": epoch}),
    )
}

async fn members<S: Store>(
    State(app): State<Shared<S>>,
    auth: Authed,
    Path(group): Path<String>,
) -> ApiResult {
    let group_id = group_id_from_path(&group)?;
    let row =
        app.store.group(group_id.clone()).await?.ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "no_group", "no group with this id")
        })?;
    let members = app.store.members(group_id).await?;
    if !members.iter().any(|m| m.signature_key == auth.key) {
        return Err(not_member());
    }
    let list: Vec<Value> = members
        .iter()
        .map(|m| json!({"leaf_index": m.leaf_index, "identity": m.identity, "signature_key": b64(&m.signature_key)}))
        .collect();
    ok(StatusCode::OK, json!({"epoch": row.epoch, "members": list}))
}

#[derive(Deserialize)]
struct InboxQuery {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    wait: u64,
}

/// Entries returned by one inbox call at most.
const INBOX_BATCH: u32 = 500;

/// Message bytes returned by one inbox call at most (unless one message
/// alone is larger).
const INBOX_BYTES: usize = 8 << 20;

async fn inbox<S: Store>(
    State(app): State<Shared<S>>,
    auth: Authed,
    q: Result<Query<InboxQuery>, QueryRejection>,
) -> ApiResult {
    let Query(q) = q.map_err(|e| ApiError::bad("invalid_query", e.body_text()))?;
    let deadline = Instant::now() + Duration::from_secs(q.wait.min(30));
    let mut changes = app.store.changes();
    loop {
        changes.borrow_and_update();
        let mut entries = app
            .store
            .inbox(auth.key.clone(), q.after, INBOX_BATCH)
            .await?;
        // Keep a response within INBOX_BYTES (always at least one entry).
        let mut bytes = 0usize;
        let keep = entries
            .iter()
            .take_while(|e| {
                bytes = bytes.saturating_add(e.data.len());
                bytes <= INBOX_BYTES
            })
            .count();
        entries.truncate(keep.max(1));
        let now = Instant::now();
        if !entries.is_empty() || now >= deadline {
            let next = entries.last().map_or(q.after, |e| e.seq);
            let list: Vec<Value> = entries
                .iter()
                .map(|e| json!({"seq": e.seq, "group_id": b64(&e.group_id), "kind": e.kind, "data": b64(&e.data)}))
                .collect();
            return ok(StatusCode::OK, json!({"messages": list, "next": next}));
        }
        // Woken by a stored message (here or, through the backend, on
        // another node); re-read every second regardless.
        let nap = deadline
            .saturating_duration_since(now)
            .min(Duration::from_secs(1));
        let _ = tokio::time::timeout(nap, changes.changed()).await;
    }
}

async fn fallback() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// The router of the API over `store`.
pub fn router<S: Store>(store: S, config: Config) -> Router {
    let app = Arc::new(App {
        store,
        config,
        crypto: RustCrypto::new(),
        rate: Mutex::new(HashMap::new()),
    });
    Router::new()
        .route("/v1/auth/challenge", post(challenge::<S>))
        .route("/v1/auth/token", post(token::<S>))
        .route("/v1/register", post(register::<S>))
        .route("/v1/key-packages", post(upload_key_packages::<S>))
        .route("/v1/key-packages/{identity}", get(fetch_key_package::<S>))
        .route("/v1/groups", post(create_group::<S>))
        .route("/v1/groups/{group_id}/messages", post(post_message::<S>))
        .route("/v1/groups/{group_id}/group-info", get(group_info::<S>))
        .route("/v1/groups/{group_id}/members", get(members::<S>))
        .route("/v1/inbox", get(inbox::<S>))
        .fallback(fallback)
        .with_state(app)
}
