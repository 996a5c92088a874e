//! Shared by the process tests: a `cohort-ds` process, a small blocking
//! HTTP client and MLS members (the `cohort` Client) that speak the API.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::ProcessedMessage;
use cohort::messages::Credential;
use cohort::traits::{ProviderBundle, SignatureScheme};
use cohort::{Client, ClientConfig, JoinOptions, Signer};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::RustCrypto;
use serde_json::{Value, json};
use tls_codec::DeserializeBytes;

/// The client provider of the tests.
pub type Provider = ProviderBundle<RustCrypto, RustCrypto, MemoryStorage>;

/// The ciphersuite of the tests (MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519).
pub const SUITE: u16 = 1;

/// A unique scratch directory.
pub fn scratch(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("cohort-ds-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// A running `cohort-ds` process.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
}

impl Server {
    /// Starts the crate's binary on a free loopback port with `database`
    /// and extra flags, and waits until it listens.
    /// (Cargo names the binary to integration tests; elsewhere it is
    /// looked for next to the running executable.)
    pub fn start(database: &str, extra: &[&str]) -> Server {
        let bin = option_env!("CARGO_BIN_EXE_cohort-ds")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                std::env::current_exe()
                    .expect("current executable")
                    .with_file_name("cohort-ds")
            });
        Self::start_bin(&bin, database, extra)
    }

    /// Starts `bin` (a `cohort-ds` binary) like [`Server::start`].
    pub fn start_bin(bin: &std::path::Path, database: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0", "--database", database])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start cohort-ds");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim()
            .strip_prefix("cohort-ds listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server {
            child,
            url: format!("http://{addr}"),
        }
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A blocking HTTP agent that returns every status.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .new_agent()
}

/// One request: `(status, JSON body)`, or the transport error.
pub fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    let auth = token.map(|t| format!("Bearer {t}"));
    let result = match (method, body) {
        ("GET", _) => {
            let mut req = agent.get(url);
            if let Some(a) = &auth {
                req = req.header("Authorization", a);
            }
            req.call()
        }
        (_, body) => {
            let mut req = agent.post(url).header("Content-Type", "application/json");
            if let Some(a) = &auth {
                req = req.header("Authorization", a);
            }
            req.send(body.map(|b| b.to_string()).unwrap_or_default())
        }
    };
    let mut response = result.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .map_err(|e| e.to_string())?;
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok((status, value))
}

/// Base64 (standard, padded).
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes base64 from a JSON string.
pub fn unb64(v: &Value) -> Vec<u8> {
    STANDARD
        .decode(v.as_str().expect("a base64 string"))
        .expect("base64")
}

/// Encodes an MLSMessage.
pub fn encode(message: &MlsMessage) -> Vec<u8> {
    cohort::codec::encode(message).expect("encode")
}

/// `SignWithLabel(key, "cohort-ds auth", challenge)`.
pub fn sign_challenge(signer: &SignatureKeyPair<RustCrypto>, challenge: &[u8]) -> Vec<u8> {
    let tbs = SuiteCrypto::<RustCrypto>::sign_content(b"cohort-ds auth", challenge)
        .expect("sign content");
    signer.sign(&tbs).expect("sign")
}

/// A message a member read from its inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Application data, as text.
    Text(String),
    /// A commit merged.
    Commit,
    /// A proposal cached.
    Proposal,
    /// Joined from a Welcome.
    Joined,
    /// A handshake message of an epoch already left (or not yet joined).
    Skipped,
}

/// An MLS member speaking the API.
pub struct Member {
    /// Its identity.
    pub name: String,
    /// The MLS client.
    pub client: Client<Provider>,
    auth_key: SignatureKeyPair<RustCrypto>,
    /// Its server.
    url: std::sync::Mutex<String>,
    /// A server to move to when its own stops answering.
    pub fallback: Option<String>,
    /// The bearer token.
    pub token: String,
    /// The last inbox sequence number read.
    pub after: u64,
    /// The group it is in, if any.
    pub group: Option<Vec<u8>>,
    agent: ureq::Agent,
}

impl Member {
    /// A new client with a fresh Ed25519 key, logged in and registered.
    pub fn new(name: &str, url: &str) -> Member {
        let crypto = RustCrypto::new();
        let signer =
            SignatureKeyPair::generate(RustCrypto::new(), SignatureScheme::ED25519, &crypto)
                .expect("key generation");
        let auth_key = SignatureKeyPair::from_private_key(
            RustCrypto::new(),
            SignatureScheme::ED25519,
            signer.private_key().clone(),
        )
        .expect("key copy");
        let provider =
            ProviderBundle::new(RustCrypto::new(), RustCrypto::new(), MemoryStorage::new());
        let client = Client::new(
            provider,
            name,
            signer,
            Credential::basic(name),
            ClientConfig::default(),
        )
        .expect("client");
        let mut member = Member {
            name: name.to_string(),
            client,
            auth_key,
            url: std::sync::Mutex::new(url.to_string()),
            fallback: None,
            token: String::new(),
            after: 0,
            group: None,
            agent: agent(),
        };
        member.login().expect("login");
        let (status, body) = member
            .post("/v1/register", &json!({"identity": name}))
            .expect("register");
        assert_eq!(status, 201, "register {name}: {body}");
        member
    }

    /// The signature key.
    pub fn key(&self) -> Vec<u8> {
        self.client.signature_key().to_vec()
    }

    /// Challenge and token.
    pub fn login(&mut self) -> Result<(), String> {
        let key = b64(&self.key());
        let (status, body) = self.post_anon(
            "/v1/auth/challenge",
            &json!({"signature_key": key, "ciphersuite": SUITE}),
        )?;
        if status != 200 {
            return Err(format!("challenge: {status} {body}"));
        }
        let challenge = unb64(&body["challenge"]);
        let signature = sign_challenge(&self.auth_key, &challenge);
        let (status, body) = self.post_anon(
            "/v1/auth/token",
            &json!({"signature_key": key, "ciphersuite": SUITE, "challenge": b64(&challenge),
                    "signature": b64(&signature)}),
        )?;
        if status != 200 {
            return Err(format!("token: {status} {body}"));
        }
        self.token = body["token"].as_str().ok_or("no token")?.to_string();
        Ok(())
    }

    /// The server it talks to.
    pub fn url(&self) -> String {
        self.url.lock().map(|u| u.clone()).unwrap_or_default()
    }

    /// Moves to another server (tokens live in the database).
    pub fn set_url(&self, url: &str) {
        if let Ok(mut u) = self.url.lock() {
            *u = url.to_string();
        }
    }

    fn post_anon(&self, path: &str, body: &Value) -> Result<(u16, Value), String> {
        call(
            &self.agent,
            "POST",
            &format!("{}{path}", self.url()),
            None,
            Some(body),
        )
    }

    /// A request to its server; on a transport error, the same request
    /// again to the fallback server (the API answers a resent message as
    /// it answered the first time).
    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), String> {
        let url = self.url();
        match call(
            &self.agent,
            method,
            &format!("{url}{path}"),
            Some(&self.token),
            body,
        ) {
            Err(e) => match &self.fallback {
                Some(f) if *f != url => {
                    self.set_url(f);
                    call(
                        &self.agent,
                        method,
                        &format!("{f}{path}"),
                        Some(&self.token),
                        body,
                    )
                }
                _ => Err(e),
            },
            ok => ok,
        }
    }

    /// An authenticated POST.
    pub fn post(&self, path: &str, body: &Value) -> Result<(u16, Value), String> {
        self.request("POST", path, Some(body))
    }

    /// An authenticated GET.
    pub fn get(&self, path: &str) -> Result<(u16, Value), String> {
        self.request("GET", path, None)
    }

    /// Uploads `n` KeyPackages.
    pub fn publish_key_packages(&self, n: usize) {
        let kps: Vec<String> = (0..n)
            .map(|_| {
                b64(&encode(
                    &self.client.generate_key_package().expect("key package"),
                ))
            })
            .collect();
        let (status, body) = self
            .post(
                "/v1/key-packages",
                &json!({"key_packages": kps, "last_resort": false}),
            )
            .expect("upload");
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["stored"], json!(n));
    }

    /// Fetches (consumes) a KeyPackage of `identity`.
    pub fn fetch_key_package(&self, identity: &str) -> MlsMessage {
        let (status, body) = self
            .get(&format!("/v1/key-packages/{identity}?ciphersuite={SUITE}"))
            .expect("fetch");
        assert_eq!(status, 200, "{body}");
        MlsMessage::tls_deserialize_exact_bytes(&unb64(&body["key_package"])).expect("KeyPackage")
    }

    /// Creates a group and registers it with the server.
    pub fn create_group(&mut self) -> Vec<u8> {
        let group = self.client.create_group().expect("create");
        let id = group.group_id().to_vec();
        let gi = group.group_info(true).expect("group info");
        drop(group);
        let (status, body) = self
            .post("/v1/groups", &json!({"group_info": b64(&encode(&gi))}))
            .expect("create");
        assert_eq!(status, 201, "{body}");
        assert_eq!(unb64(&body["group_id"]), id);
        self.group = Some(id.clone());
        id
    }

    /// The group's messages path.
    pub fn messages_path(&self) -> String {
        let id = self.group.as_ref().expect("in a group");
        format!("/v1/groups/{}/messages", URL_SAFE_NO_PAD.encode(id))
    }

    /// Posts a message (and Welcome) to the group.
    pub fn send(
        &self,
        message: &MlsMessage,
        welcome: Option<&MlsMessage>,
    ) -> Result<(u16, Value), String> {
        let mut body = json!({"message": b64(&encode(message))});
        if let Some(w) = welcome {
            body["welcome"] = json!(b64(&encode(w)));
        }
        self.post(&self.messages_path(), &body)
    }

    /// Encrypts and sends text; returns the status and body.
    pub fn say(&self, text: &str) -> (u16, Value) {
        let mut g = self.open();
        let m = g.encrypt(text.as_bytes(), b"").expect("encrypt");
        drop(g);
        self.send(&m, None).expect("send")
    }

    /// The member's group.
    pub fn open(&self) -> cohort::ClientGroup<'_, Provider> {
        let id = self.group.as_ref().expect("in a group");
        self.client
            .load_group(id)
            .expect("load")
            .expect("group exists")
    }

    /// Builds a commit with `build`, sends it; on 200 merges it.
    pub fn commit_with(
        &self,
        build: impl FnOnce(&cohort::ClientGroup<'_, Provider>) -> cohort::group::CommitBuilder,
    ) -> (u16, Value) {
        let mut g = self.open();
        let builder = build(&g);
        let out = g.commit(builder).expect("commit");
        let (status, body) = self
            .send(&out.commit, out.welcome.as_ref())
            .expect("send commit");
        if status == 200 {
            g.merge_pending_commit().expect("merge");
        }
        (status, body)
    }

    /// Reads the inbox (waiting up to `wait` seconds) and applies what
    /// arrived.
    pub fn sync(&mut self, wait: u64) -> Vec<Event> {
        let (status, body) = self
            .get(&format!("/v1/inbox?after={}&wait={wait}", self.after))
            .expect("inbox");
        assert_eq!(status, 200, "{body}");
        let mut events = Vec::new();
        for entry in body["messages"].as_array().expect("messages") {
            let seq = entry["seq"].as_u64().expect("seq");
            assert!(seq > self.after, "inbox order");
            self.after = seq;
            let data = unb64(&entry["data"]);
            let message = MlsMessage::tls_deserialize_exact_bytes(&data).expect("MLSMessage");
            events.push(self.apply(entry["kind"].as_str().expect("kind"), &message));
        }
        events
    }

    /// Syncs until `n` events of `pred` arrived (or a minute passed).
    pub fn sync_until(&mut self, n: usize, pred: impl Fn(&Event) -> bool) -> Vec<Event> {
        let mut all = Vec::new();
        let start = std::time::Instant::now();
        while all.iter().filter(|e| pred(e)).count() < n {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{}: waited for {n} events, got {all:?}",
                self.name
            );
            all.extend(self.sync(5));
        }
        all
    }

    fn apply(&mut self, kind: &str, message: &MlsMessage) -> Event {
        if kind == "welcome" {
            if self.group.is_some() {
                return Event::Skipped;
            }
            let staged = self
                .client
                .stage_welcome(message, JoinOptions::default())
                .expect("stage welcome");
            let g = self.client.join(staged).expect("join");
            self.group = Some(g.group_id().to_vec());
            return Event::Joined;
        }
        let Some(id) = self.group.clone() else {
            return Event::Skipped;
        };
        let mut g = self.client.load_group(&id).expect("load").expect("group");
        if let MlsMessageBody::PublicMessage(pm) = &message.body
            && pm.content.epoch < g.epoch()
        {
            return Event::Skipped;
        }
        match g
            .process(message)
            .unwrap_or_else(|e| panic!("{}: process: {e}", self.name))
        {
            ProcessedMessage::Application { data, .. } => {
                Event::Text(String::from_utf8_lossy(&data).into_owned())
            }
            ProcessedMessage::Proposal { .. } => Event::Proposal,
            ProcessedMessage::Commit(staged) => {
                g.merge_staged_commit(*staged).expect("merge");
                Event::Commit
            }
        }
    }
}
