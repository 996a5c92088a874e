//! The client against a stub HTTP server that answers as the API says.

use super::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cohort::crypto::SuiteCrypto;
use cohort_basic_credential::SignatureKeyPair;
use cohort_rust_crypto::RustCrypto;
use cohort_traits::SignatureScheme;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One request as the stub saw it.
struct Seen<'a> {
    method: &'a str,
    url: &'a str,
    auth: Option<&'a str>,
    body: Value,
}

type Handler = dyn Fn(&Seen<'_>) -> (u16, String) + Send + Sync;

/// A stub server on a free loopback port, answering with `handler`.
struct Stub {
    server: Arc<tiny_http::Server>,
    url: String,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Stub {
    fn start(handler: Box<Handler>) -> Stub {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let s = server.clone();
        let thread = std::thread::spawn(move || {
            for mut req in s.incoming_requests() {
                let mut text = String::new();
                req.as_reader().read_to_string(&mut text).unwrap();
                let body = serde_json::from_str(&text).unwrap_or(Value::Null);
                let auth = req
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Authorization"))
                    .map(|h| h.value.as_str().to_string());
                let method = req.method().as_str().to_string();
                let url = req.url().to_string();
                let (status, out) = handler(&Seen {
                    method: &method,
                    url: &url,
                    auth: auth.as_deref(),
                    body,
                });
                let _ = req.respond(tiny_http::Response::from_string(out).with_status_code(status));
            }
        });
        Stub {
            server,
            url: format!("http://127.0.0.1:{port}"),
            thread: Some(thread),
        }
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn key() -> Arc<SignatureKeyPair<RustCrypto>> {
    Arc::new(
        SignatureKeyPair::generate(
            RustCrypto::new(),
            SignatureScheme::ED25519,
            &RustCrypto::new(),
        )
        .unwrap(),
    )
}

const CHALLENGE: [u8; 32] = [7; 32];

/// Answers the two authentication calls, checking the signature with the
/// library's own `VerifyWithLabel`; tokens are "t1", "t2", ... in order.
fn auth(seen: &Seen<'_>, issued: &AtomicUsize) -> Option<(u16, String)> {
    match seen.url {
        "/v1/auth/challenge" => {
            assert_eq!(seen.body["ciphersuite"], 1);
            Some((
                200,
                json!({"challenge": STANDARD.encode(CHALLENGE)}).to_string(),
            ))
        }
        "/v1/auth/token" => {
            let field = |name: &str| STANDARD.decode(seen.body[name].as_str().unwrap()).unwrap();
            assert_eq!(field("challenge"), CHALLENGE);
            let crypto = RustCrypto::new();
            let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
            if cs
                .verify_with_label(
                    &field("signature_key"),
                    b"cohort-ds auth",
                    &CHALLENGE,
                    &field("signature"),
                )
                .is_err()
            {
                return Some((
                    401,
                    json!({"error": "bad_signature", "message": "x"}).to_string(),
                ));
            }
            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
            Some((
                200,
                json!({"token": format!("t{n}"), "expires_in": 3600}).to_string(),
            ))
        }
        _ => None,
    }
}

/// A stub that answers authentication with [`auth`] and every other
/// request with `handler`; with the count of tokens issued.
fn authed_stub(
    handler: impl Fn(&Seen<'_>) -> (u16, String) + Send + Sync + 'static,
) -> (Stub, Arc<AtomicUsize>) {
    let issued = Arc::new(AtomicUsize::new(0));
    let i = issued.clone();
    let stub = Stub::start(Box::new(move |seen| {
        auth(seen, &i).unwrap_or_else(|| handler(seen))
    }));
    (stub, issued)
}

#[test]
fn authenticates_with_sign_with_label_and_sends_the_token() {
    let (stub, issued) = authed_stub(move |seen| {
        assert_eq!((seen.method, seen.url), ("POST", "/v1/register"));
        if seen.auth != Some("Bearer t1") {
            return (
                401,
                json!({"error": "unauthenticated", "message": "m"}).to_string(),
            );
        }
        assert_eq!(seen.body, json!({"identity": "alice"}));
        (201, "{}".into())
    });
    let ds = DsClient::new(&stub.url, key(), Ciphersuite(1)).unwrap();
    ds.register("alice").unwrap();
    ds.register("alice").unwrap();
    // One token for both calls.
    assert_eq!(issued.load(Ordering::SeqCst), 1);
}

#[test]
fn a_refused_token_is_renewed_once() {
    let (stub, issued) = authed_stub(move |seen| {
        match seen.auth {
            // The first token "expires" after its first use.
            Some("Bearer t2") => (200, json!({"stored": 2}).to_string()),
            _ => (
                401,
                json!({"error": "unauthenticated", "message": "expired"}).to_string(),
            ),
        }
    });
    let ds = DsClient::new(&stub.url, key(), Ciphersuite(1)).unwrap();
    ds.authenticate().unwrap();
    // t1 is refused: a new challenge gives t2, and the call succeeds.
    assert_eq!(
        ds.publish_key_packages(&[vec![1], vec![2]], false).unwrap(),
        2
    );
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    // With t2 kept, no new token is needed.
    assert_eq!(ds.publish_key_packages(&[vec![3]], true).unwrap(), 2);
    assert_eq!(issued.load(Ordering::SeqCst), 2);
}

#[test]
fn a_token_refused_twice_is_an_error_not_a_loop() {
    let (stub, issued) = authed_stub(|_| {
        (
            401,
            json!({"error": "unauthenticated", "message": "no"}).to_string(),
        )
    });
    let ds = DsClient::new(&stub.url, key(), Ciphersuite(1)).unwrap();
    ds.authenticate().unwrap();
    let e = ds.register("alice").unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.code(), Some(&ErrorCode::Other("unauthenticated".into())));
    assert_eq!(issued.load(Ordering::SeqCst), 2);
}

#[test]
fn a_wrong_signature_is_refused_by_the_verifier() {
    // The stub's check is real: a signature over other content fails it.
    let k = key();
    let sig = k.sign(b"not the sign content").unwrap();
    let crypto = RustCrypto::new();
    let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
    assert!(
        cs.verify_with_label(k.public_key(), AUTH_LABEL, &CHALLENGE, &sig)
            .is_err()
    );
    let good = sign_challenge(&*k, &CHALLENGE).unwrap();
    cs.verify_with_label(k.public_key(), AUTH_LABEL, &CHALLENGE, &good)
        .unwrap();
}

#[test]
fn stale_epoch_carries_the_server_epoch_and_the_path_is_base64url() {
    let (stub, _) = authed_stub(move |seen| {
        assert_eq!(seen.url, "/v1/groups/-_8/messages");
        assert_eq!(seen.body["message"], STANDARD.encode([1, 2, 3]));
        assert_eq!(seen.body["welcome"], STANDARD.encode([4]));
        assert!(seen.body.get("group_info").is_none());
        (
            409,
            json!({"error": "stale_epoch", "message": "epoch 3 is over", "epoch": 7}).to_string(),
        )
    });
    let ds = DsClient::new(&stub.url, key(), Ciphersuite(1)).unwrap();
    let e = ds
        .send(
            &[0xfb, 0xff],
            &Outgoing {
                message: vec![1, 2, 3],
                welcome: Some(vec![4]),
                group_info: None,
            },
        )
        .unwrap_err();
    assert!(e.is_stale_epoch());
    assert_eq!(e.server_epoch(), Some(7));
    assert_eq!(e.status(), Some(409));
    assert!(e.to_string().contains("epoch 3 is over"), "{e}");
}

#[test]
fn inbox_entries_are_decoded_and_bad_ones_named() {
    let (stub, _) = authed_stub(move |seen| {
        let body = match seen.url {
            "/v1/inbox?after=0&wait=30" => json!({"messages": [
                {"seq": 1, "group_id": STANDARD.encode([9]), "kind": "welcome", "data": STANDARD.encode([1])},
                {"seq": 2, "group_id": STANDARD.encode([9]), "kind": "message", "data": STANDARD.encode([2, 2])},
                {"seq": 3, "group_id": STANDARD.encode([9]), "kind": "something_new", "data": ""},
            ], "next": 3}),
            "/v1/inbox?after=3&wait=0" => json!({"messages": [
                {"seq": 4, "group_id": "!!", "kind": "message", "data": ""},
            ], "next": 4}),
            "/v1/inbox?after=5&wait=0" => json!({"messages": [
                {"seq": 5, "group_id": "", "kind": "message", "data": ""},
            ], "next": 5}),
            other => panic!("unexpected {other}"),
        };
        (200, body.to_string())
    });
    let ds = DsClient::new(&stub.url, key(), Ciphersuite(1)).unwrap();
    // The wait is capped at the server's maximum.
    let inbox = ds.inbox(0, Duration::from_secs(100)).unwrap();
    assert_eq!(inbox.next, 3);
    let kinds: Vec<_> = inbox.messages.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [InboxKind::Welcome, InboxKind::Message, InboxKind::Unknown]
    );
    assert_eq!(inbox.messages[1].data, [2, 2]);
    assert_eq!(inbox.messages[1].group_id, [9]);
    let e = ds.inbox(3, Duration::ZERO).unwrap_err();
    assert!(
        matches!(&e, DsError::InvalidResponse { detail, .. } if detail.contains("base64")),
        "{e}"
    );
    let e = ds.inbox(5, Duration::ZERO).unwrap_err();
    assert!(
        matches!(&e, DsError::InvalidResponse { detail, .. } if detail.contains("not after 5")),
        "{e}"
    );
}

#[test]
fn key_package_fetch_encodes_the_identity_and_names_missing_ones() {
    let (stub, _) = authed_stub(move |seen| match seen.url {
        "/v1/key-packages/bob?ciphersuite=1" => (
            200,
            json!({"key_package": STANDARD.encode([5, 6])}).to_string(),
        ),
        "/v1/key-packages/carol%20b%2F1?ciphersuite=1" => (
            404,
            json!({"error": "no_key_package", "message": "none left"}).to_string(),
        ),
        _ => (500, "internal failure".into()),
    });
    let ds = DsClient::new(&stub.url, key(), Ciphersuite(1)).unwrap();
    assert_eq!(ds.fetch_key_package("bob").unwrap(), [5, 6]);
    let e = ds.fetch_key_package("carol b/1").unwrap_err();
    assert_eq!(e.code(), Some(&ErrorCode::NoKeyPackage));
    assert!(!e.is_stale_epoch());
    // A body that is not the API's error object still gives the status.
    let e = ds.fetch_key_package("dave").unwrap_err();
    assert_eq!(e.code(), Some(&ErrorCode::Other("http_500".into())));
    assert!(e.to_string().contains("internal failure"), "{e}");
}

#[test]
fn group_calls_decode_their_answers() {
    let (stub, _) = authed_stub(move |seen| {
        let body = match (seen.method, seen.url) {
            ("POST", "/v1/groups") => {
                assert_eq!(seen.body["group_info"], STANDARD.encode([1]));
                json!({"group_id": STANDARD.encode([0xaa]), "epoch": 0})
            }
            ("GET", "/v1/groups/qg/members") => json!({"epoch": 2, "members": [
                {"leaf_index": 0, "identity": "alice", "signature_key": STANDARD.encode([1])},
                {"leaf_index": 2, "identity": "bob", "signature_key": STANDARD.encode([2])},
            ]}),
            ("GET", "/v1/groups/qg/group-info") => {
                json!({"group_info": STANDARD.encode([3]), "epoch": 2})
            }
            ("POST", "/v1/groups/qg/messages") => json!({"seq": 11, "epoch": 3}),
            other => panic!("unexpected {other:?}"),
        };
        (200, body.to_string())
    });
    let ds = DsClient::new(&format!("{}/", stub.url), key(), Ciphersuite(1)).unwrap();
    let created = ds.create_group(&[1]).unwrap();
    assert_eq!(created.group_id, [0xaa]);
    let members = ds.members(&created.group_id).unwrap();
    let names: Vec<_> = members
        .members
        .iter()
        .map(|m| m.identity.as_str())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(members.members[1].leaf_index, 2);
    assert_eq!(ds.group_info(&created.group_id).unwrap().group_info, [3]);
    let sent = ds
        .send(
            &created.group_id,
            &Outgoing {
                message: vec![1],
                ..Outgoing::default()
            },
        )
        .unwrap();
    assert_eq!(sent, Sent { seq: 11, epoch: 3 });
}

#[test]
fn urls_are_checked_and_unreachable_servers_named() {
    for bad in ["", "ftp://x", "http://", "http://host/path", "localhost:80"] {
        assert!(
            matches!(
                DsClient::new(bad, key(), Ciphersuite(1)),
                Err(DsError::InvalidUrl(_))
            ),
            "{bad}"
        );
    }
    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ds = DsClient::new(&format!("http://127.0.0.1:{port}"), key(), Ciphersuite(1)).unwrap();
    let e = ds.register("alice").unwrap_err();
    assert!(
        matches!(
            &e,
            DsError::Transport {
                operation: "authentication challenge",
                ..
            }
        ),
        "{e}"
    );
}
