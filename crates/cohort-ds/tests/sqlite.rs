//! The server as a process on SQLite: three members through a whole group
//! life, every refusal of the contract, and a SIGKILL that loses nothing.

mod common;

use cohort::framing::MlsMessageBody;
use cohort::group::CommitBuilder;
use cohort::messages::Credential;
use common::{Event, Member, Server, b64, encode, sign_challenge, unb64};
use serde_json::json;
use tls_codec::DeserializeBytes;

fn text(e: &Event) -> bool {
    matches!(e, Event::Text(_))
}

fn texts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn group_life_refusals_and_sigkill_on_sqlite() {
    let dir = common::scratch("sqlite");
    let db = format!("sqlite:{}", dir.join("ds.db").display());
    let mut server = Server::start(&db, &[]);

    let mut alice = Member::new("alice", &server.url);
    let mut bob = Member::new("bob", &server.url);
    let mut carol = Member::new("carol", &server.url);
    let dave = Member::new("dave", &server.url);
    for m in [&alice, &bob, &carol] {
        m.publish_key_packages(2);
    }

    // Registration: the same pair again is idempotent, another key is refused.
    let (status, _) = bob
        .post("/v1/register", &json!({"identity": "bob"}))
        .unwrap();
    assert_eq!(status, 200);
    let (status, body) = dave
        .post("/v1/register", &json!({"identity": "alice"}))
        .unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("identity_taken"))
    );

    // A KeyPackage of someone else is refused (leaf key != authenticated key).
    let foreign = b64(&encode(&alice.client.generate_key_package().unwrap()));
    let (status, body) = dave
        .post(
            "/v1/key-packages",
            &json!({"key_packages": [foreign], "last_resort": false}),
        )
        .unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("signature_key_mismatch")),
        "{body}"
    );

    let group_id = alice.create_group();
    let (status, body) = alice
        .post(
            "/v1/groups",
            &json!({"group_info": b64(&encode(&alice.open().group_info(true).unwrap()))}),
        )
        .unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("group_exists"))
    );

    // An invalid commit: a flipped signature byte, refused naming the check.
    let kp_bob = bob_kp(&alice);
    {
        let mut g = alice.open();
        let mut out = g
            .commit(g.commit_builder().add_member(kp_bob.clone()))
            .unwrap();
        if let MlsMessageBody::PublicMessage(pm) = &mut out.commit.body {
            let sig = &mut pm.auth.signature.0;
            let last = sig.len() - 1;
            sig[last] ^= 1;
        } else {
            panic!("commits are PublicMessages");
        }
        let (status, body) = alice.send(&out.commit, out.welcome.as_ref()).unwrap();
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], json!("invalid_signature"), "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("signature"),
            "{body}"
        );
        g.clear_pending_commit().unwrap();
    }

    // Alice adds bob, then carol; the server delivers the Welcomes.
    let (status, body) = alice.commit_with(|g| g.commit_builder().add_member(kp_bob));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["epoch"], json!(1));
    assert!(
        bob.sync_until(1, |e| *e == Event::Joined)
            .contains(&Event::Joined)
    );
    let kp_carol = kp_of(&alice, "carol");
    let (status, body) = alice.commit_with(|g| g.commit_builder().add_member(kp_carol));
    assert_eq!(status, 200, "{body}");
    carol.sync_until(1, |e| *e == Event::Joined);
    bob.sync_until(1, |e| *e == Event::Commit);
    assert_eq!(alice.open().epoch(), 2);
    assert_eq!(
        bob.open().epoch_authenticator(),
        alice.open().epoch_authenticator()
    );
    assert_eq!(
        carol.open().epoch_authenticator(),
        alice.open().epoch_authenticator()
    );

    // The roster as the server sees it.
    let members_path = format!(
        "/v1/groups/{}/members",
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &group_id)
    );
    let (status, body) = carol.get(&members_path).unwrap();
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["identity"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    assert_eq!(body["epoch"], json!(2));

    // Application messages, each to the two others (never to the sender).
    for (m, t) in [
        (&alice, "hi from alice"),
        (&bob, "hi from bob"),
        (&carol, "hi from carol"),
    ] {
        let (status, body) = m.say(t);
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(
        texts(&alice.sync_until(2, text)),
        ["hi from bob", "hi from carol"]
    );
    assert_eq!(
        texts(&bob.sync_until(2, text)),
        ["hi from alice", "hi from carol"]
    );
    assert_eq!(
        texts(&carol.sync_until(2, text)),
        ["hi from alice", "hi from bob"]
    );

    // Two commits for epoch 2: bob's wins, carol's is stale; she re-bases.
    let update = |g: &cohort::ClientGroup<'_, common::Provider>| -> CommitBuilder {
        g.commit_builder().force_path(true)
    };
    let (carol_commit, _) = {
        let mut g = carol.open();
        let out = g.commit(update(&g)).unwrap();
        (out.commit, out.welcome)
    };
    let (status, body) = bob.commit_with(update);
    assert_eq!((status, body["epoch"].as_u64()), (200, Some(3)), "{body}");
    let (status, body) = carol.send(&carol_commit, None).unwrap();
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], json!("stale_epoch"));
    assert_eq!(body["epoch"], json!(3));
    carol.sync_until(1, |e| *e == Event::Commit);
    assert!(
        carol.open().pending_commit().is_none(),
        "the winning commit drops the pending one"
    );
    let (status, body) = carol.commit_with(update);
    assert_eq!((status, body["epoch"].as_u64()), (200, Some(4)), "{body}");
    alice.sync_until(2, |e| *e == Event::Commit);
    bob.sync_until(1, |e| *e == Event::Commit);
    let auth = alice.open().epoch_authenticator().to_vec();
    assert_eq!(bob.open().epoch_authenticator(), auth);
    assert_eq!(carol.open().epoch_authenticator(), auth);

    // A proposal is checked and kept; the next commit includes it by reference.
    let proposal = bob.open().propose_self_update().unwrap();
    let (status, body) = bob.send(&proposal, None).unwrap();
    assert_eq!((status, body["epoch"].as_u64()), (200, Some(4)), "{body}");
    alice.sync_until(1, |e| *e == Event::Proposal);
    carol.sync_until(1, |e| *e == Event::Proposal);
    let (status, body) = alice.commit_with(|g| {
        assert_eq!(g.pending_proposals().len(), 1);
        g.commit_builder()
    });
    assert_eq!((status, body["epoch"].as_u64()), (200, Some(5)), "{body}");
    bob.sync_until(1, |e| *e == Event::Commit);
    carol.sync_until(1, |e| *e == Event::Commit);
    let auth = alice.open().epoch_authenticator().to_vec();
    assert_eq!(bob.open().epoch_authenticator(), auth);
    assert_eq!(carol.open().epoch_authenticator(), auth);

    // A non-member: its posts and the roster are refused with 403.
    let replay = {
        let mut g = alice.open();
        g.encrypt(b"for members", b"").unwrap()
    };
    let mut dave = dave;
    dave.group = Some(group_id.clone());
    let (status, body) = dave.send(&replay, None).unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("not_a_member")),
        "{body}"
    );
    let (status, _) = dave.get(&members_path).unwrap();
    assert_eq!(status, 403);
    // Nor may a member post another member's handshake message.
    let alice_commit = {
        let mut g = alice.open();
        let out = g.commit(g.commit_builder().force_path(true)).unwrap();
        g.clear_pending_commit().unwrap();
        out.commit
    };
    let (status, body) = bob.send(&alice_commit, None).unwrap();
    assert_eq!(status, 403, "{body}");

    // A forged auth signature (dave signs a challenge for alice's key).
    let agent = common::agent();
    let (_, body) = common::call(
        &agent,
        "POST",
        &format!("{}/v1/auth/challenge", server.url),
        None,
        Some(&json!({"signature_key": b64(&alice.key()), "ciphersuite": common::SUITE})),
    )
    .unwrap();
    let challenge = unb64(&body["challenge"]);
    let forged = {
        let signer = cohort_basic_credential::SignatureKeyPair::generate(
            cohort_rust_crypto::RustCrypto::new(),
            cohort::traits::SignatureScheme::ED25519,
            &cohort_rust_crypto::RustCrypto::new(),
        )
        .unwrap();
        sign_challenge(&signer, &challenge)
    };
    let (status, body) = common::call(
        &agent,
        "POST",
        &format!("{}/v1/auth/token", server.url),
        None,
        Some(
            &json!({"signature_key": b64(&alice.key()), "ciphersuite": common::SUITE,
                      "challenge": b64(&challenge), "signature": b64(&forged)}),
        ),
    )
    .unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_signature")),
        "{body}"
    );
    let (status, _) = common::call(
        &agent,
        "GET",
        &format!("{}/v1/inbox", server.url),
        Some("forged-token"),
        None,
    )
    .unwrap();
    assert_eq!(status, 401);

    // An external join: alice publishes the current GroupInfo with a
    // message, dave joins from it by external commit.
    let gi = alice.open().group_info(true).unwrap();
    let hello = alice.open().encrypt(b"welcome, anyone", b"").unwrap();
    let (status, body) = alice
        .post(
            &alice.messages_path(),
            &json!({"message": b64(&encode(&hello)), "group_info": b64(&encode(&gi))}),
        )
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, body) = dave
        .get(&format!(
            "{}/group-info",
            members_path.trim_end_matches("/members")
        ))
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let published =
        cohort::framing::MlsMessage::tls_deserialize_exact_bytes(&unb64(&body["group_info"]))
            .unwrap();
    let (dave_group, external_commit) = dave
        .client
        .join_external(&published, None, Default::default())
        .unwrap();
    let dave_epoch = dave_group.epoch();
    drop(dave_group);
    let (status, body) = dave.send(&external_commit, None).unwrap();
    assert_eq!(
        (status, body["epoch"].as_u64()),
        (200, Some(dave_epoch)),
        "{body}"
    );
    for m in [&mut alice, &mut bob, &mut carol] {
        m.sync_until(1, |e| *e == Event::Commit);
    }
    assert_eq!(
        alice.open().epoch_authenticator(),
        dave.open().epoch_authenticator()
    );
    let (status, body) = dave.get(&members_path).unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["members"].as_array().unwrap().len(), 4);
    let dave_leaf = dave.open().own_index();
    let (status, body) = alice.commit_with(|g| g.commit_builder().remove_member(dave_leaf));
    assert_eq!(status, 200, "{body}");
    for m in [&mut bob, &mut carol, &mut dave] {
        m.sync_until(1, |e| *e == Event::Commit);
    }
    assert!(!dave.open().is_active());

    // Alice removes carol; carol still receives the commit that removes her.
    let carol_leaf = carol.open().own_index();
    let (status, body) = alice.commit_with(|g| g.commit_builder().remove_member(carol_leaf));
    assert_eq!(status, 200, "{body}");
    carol.sync_until(1, |e| *e == Event::Commit);
    assert!(!carol.open().is_active());
    bob.sync_until(1, |e| *e == Event::Commit);
    let (status, body) = bob.get(&members_path).unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["members"].as_array().unwrap().len(), 2);

    // Accepted messages survive a SIGKILL: bob reads them from the restarted server.
    let mut sent = Vec::new();
    for i in 0..20 {
        let t = format!("before the crash {i}");
        let (status, body) = alice.say(&t);
        assert_eq!(status, 200, "{body}");
        sent.push(t);
    }
    server.kill();
    let server = Server::start(&db, &[]);
    for m in [&alice, &bob] {
        m.set_url(&server.url);
    }
    assert_eq!(texts(&bob.sync_until(20, text)), sent);
    let (status, body) = bob.say("after the restart");
    assert_eq!(status, 200, "{body}");
    assert_eq!(texts(&alice.sync_until(1, text)), ["after the restart"]);

    // The same message sent again gets the first answer, delivered once.
    let m = alice.open().encrypt(b"once", b"").unwrap();
    let first = alice.send(&m, None).unwrap();
    let again = alice.send(&m, None).unwrap();
    assert_eq!(first, again);
    assert_eq!(texts(&bob.sync_until(1, text)), ["once"]);
    assert!(bob.sync(1).is_empty());
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}

fn bob_kp(alice: &Member) -> cohort::messages::KeyPackage {
    kp_of(alice, "bob")
}

fn kp_of(alice: &Member, who: &str) -> cohort::messages::KeyPackage {
    let MlsMessageBody::KeyPackage(kp) = alice.fetch_key_package(who).body else {
        panic!("not a KeyPackage");
    };
    assert!(
        matches!(&kp.leaf_node.credential, Credential::Basic { identity } if identity.as_slice() == who.as_bytes())
    );
    kp
}

#[test]
fn limits_and_key_packages() {
    let dir = common::scratch("limits");
    let db = format!("sqlite:{}", dir.join("ds.db").display());
    let server = Server::start(
        &db,
        &[
            "--max-body-bytes",
            "4096",
            "--max-key-packages",
            "3",
            "--messages-per-minute",
            "2",
        ],
    );
    let alice = Member::new("alice", &server.url);
    let bob = Member::new("bob", &server.url);

    // Body size, before parsing.
    let big = "x".repeat(5000);
    let (status, body) = alice
        .post("/v1/register", &json!({"identity": big}))
        .unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (413, Some("body_too_large"))
    );

    // KeyPackages: at most 3 held; consumed once; the last resort one stays.
    bob.publish_key_packages(2);
    let kp = b64(&encode(&bob.client.generate_key_package().unwrap()));
    let (status, body) = bob
        .post(
            "/v1/key-packages",
            &json!({"key_packages": [kp.clone(), kp], "last_resort": false}),
        )
        .unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("too_many_key_packages"))
    );
    let lr = b64(&encode(
        &bob.client.generate_last_resort_key_package().unwrap(),
    ));
    let (status, body) = bob
        .post(
            "/v1/key-packages",
            &json!({"key_packages": [lr.clone()], "last_resort": true}),
        )
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let first = encode(&alice.fetch_key_package("bob"));
    let second = encode(&alice.fetch_key_package("bob"));
    assert_ne!(first, second);
    let third = encode(&alice.fetch_key_package("bob"));
    let fourth = encode(&alice.fetch_key_package("bob"));
    assert_eq!(b64(&third), lr);
    assert_eq!(third, fourth);
    let (status, body) = alice.get("/v1/key-packages/nobody?ciphersuite=1").unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("no_key_package"))
    );

    // Rate: two messages a minute.
    let mut alice = alice;
    alice.create_group();
    assert_eq!(alice.say("one").0, 200);
    assert_eq!(alice.say("two").0, 200);
    let (status, body) = alice.say("three");
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("rate_limited"))
    );
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}
