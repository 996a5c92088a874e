//! Two server processes on one PostgreSQL database: members spread over
//! both, bursts of concurrent commits for the same epoch (exactly one wins
//! each time, no fork), KeyPackages consumed once across nodes, and one
//! node SIGKILLed during a burst without losing an accepted message.
//!
//! Runs when `COHORT_DS_POSTGRES_URL` is set (scripts/test-ds starts a
//! throwaway cluster and sets it); otherwise it says it is skipped.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cohort::framing::MlsMessageBody;
use common::{Event, Member, Server};
use serde_json::Value;

/// A fresh database next to the one `url` names; its URL.
fn fresh_database(url: &str) -> String {
    let name = format!(
        "cohort_ds_test_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connect to COHORT_DS_POSTGRES_URL");
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
    });
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a, format!("?{q}")),
        None => (rest, String::new()),
    };
    let host = authority.split('/').next().unwrap_or(authority);
    format!("{scheme}://{host}/{name}{query}")
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Won(u64),
    Stale,
}

/// Builds a path-updating commit for the current epoch and sends it.
fn try_commit(m: &Member) -> Outcome {
    let mut g = m.open();
    let out = g.commit(g.commit_builder().force_path(true)).unwrap();
    let (status, body) = m.send(&out.commit, None).expect("send commit");
    match status {
        200 => {
            g.merge_pending_commit().unwrap();
            Outcome::Won(body["epoch"].as_u64().unwrap())
        }
        409 => {
            assert_eq!(body["error"], Value::from("stale_epoch"), "{body}");
            Outcome::Stale
        }
        _ => panic!("{}: commit answered {status} {body}", m.name),
    }
}

/// Syncs until the member's group is in `epoch`; returns the texts read.
fn catch_up(m: &mut Member, epoch: u64) -> Vec<String> {
    let start = std::time::Instant::now();
    let mut texts = Vec::new();
    while m.open().epoch() < epoch {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} stuck in epoch {}",
            m.name,
            m.open().epoch()
        );
        for e in m.sync(5) {
            if let Event::Text(t) = e {
                texts.push(t);
            }
        }
    }
    assert_eq!(m.open().epoch(), epoch, "{} passed the epoch", m.name);
    texts
}

#[test]
fn two_nodes_one_database() {
    let Ok(base) = std::env::var("COHORT_DS_POSTGRES_URL") else {
        println!("skipped: COHORT_DS_POSTGRES_URL is not set (scripts/test-ds sets it)");
        return;
    };
    let url = fresh_database(&base);
    let node_a = Server::start(&url, &[]);
    let mut node_b = Server::start(&url, &[]);
    let nodes = [node_a.url.clone(), node_b.url.clone()];

    // Members alternate between the nodes.
    let names = ["m0", "m1", "m2", "m3", "m4"];
    let mut members: Vec<Member> = names
        .iter()
        .enumerate()
        .map(|(i, n)| Member::new(n, &nodes[i % 2]))
        .collect();
    for m in &members[1..] {
        m.publish_key_packages(1);
    }

    // KeyPackages are consumed once, across nodes, under concurrent fetches.
    let owner = Member::new("kp-owner", &nodes[1]);
    owner.publish_key_packages(8);
    let fetched: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|i| {
                let fetcher = &members[i % 2];
                s.spawn(move || {
                    fetcher
                        .get(&format!(
                            "/v1/key-packages/kp-owner?ciphersuite={}",
                            common::SUITE
                        ))
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let handed: BTreeSet<String> = fetched
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b["key_package"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(handed.len(), 8, "eight distinct KeyPackages");
    assert_eq!(fetched.iter().filter(|(s, _)| *s == 404).count(), 2);

    // m0 creates the group and adds everyone in one commit.
    members[0].create_group();
    let kps: Vec<_> = names[1..]
        .iter()
        .map(|n| match members[0].fetch_key_package(n).body {
            MlsMessageBody::KeyPackage(kp) => kp,
            _ => panic!("not a KeyPackage"),
        })
        .collect();
    let (status, body) = members[0].commit_with(|g| {
        kps.iter()
            .cloned()
            .fold(g.commit_builder(), |b, kp| b.add_member(kp))
    });
    assert_eq!(status, 200, "{body}");
    for m in &mut members[1..] {
        m.sync_until(1, |e| *e == Event::Joined);
        assert_eq!(m.open().epoch(), 1);
    }

    // Bursts: every member commits for the same epoch at once.
    let rounds = 6;
    let kill_round = 3;
    let mut sent_texts: Vec<Vec<String>> = vec![Vec::new(); members.len()];
    let mut read_texts: Vec<Vec<String>> = vec![Vec::new(); members.len()];
    for round in 0..rounds {
        let epoch = members[0].open().epoch();
        if round == kill_round {
            for m in &mut members {
                m.fallback = Some(nodes[0].clone());
            }
        }
        // In the kill round, node B dies as soon as the first answer of
        // the burst is back, with the other commits in flight.
        let answered = AtomicUsize::new(0);
        let outcomes: Vec<Outcome> = std::thread::scope(|s| {
            let handles: Vec<_> = members
                .iter()
                .map(|m| {
                    let answered = &answered;
                    s.spawn(move || {
                        let o = try_commit(m);
                        answered.fetch_add(1, Ordering::SeqCst);
                        o
                    })
                })
                .collect();
            if round == kill_round {
                while answered.load(Ordering::SeqCst) == 0 {
                    std::thread::yield_now();
                }
                node_b.kill();
                println!(
                    "round {round}: node B killed with {} of {} commits answered",
                    answered.load(Ordering::SeqCst),
                    members.len()
                );
            }
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<usize> = outcomes
            .iter()
            .enumerate()
            .filter(|(_, o)| matches!(o, Outcome::Won(_)))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one commit wins epoch {epoch}: {outcomes:?}"
        );
        assert_eq!(outcomes[winners[0]], Outcome::Won(epoch + 1));
        println!("round {round}: epoch {epoch} won by {}", names[winners[0]]);
        for (i, m) in members.iter_mut().enumerate() {
            read_texts[i].extend(catch_up(m, epoch + 1));
        }
        let auth = members[0].open().epoch_authenticator().to_vec();
        for m in &members {
            assert_eq!(
                m.open().epoch_authenticator(),
                auth,
                "{} forked in round {round}",
                m.name
            );
        }
        // Everyone says something in the new epoch.
        for (i, m) in members.iter().enumerate() {
            let t = format!("{} round {round}", m.name);
            let (status, body) = m.say(&t);
            assert_eq!(status, 200, "{body}");
            sent_texts[i].push(t);
        }
    }

    // Every accepted message reached every other member, in order per sender.
    for (i, m) in members.iter_mut().enumerate() {
        let expected: usize = sent_texts
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, t)| t.len())
            .sum();
        let start = std::time::Instant::now();
        while read_texts[i].len() < expected {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{} read {:?}",
                m.name,
                read_texts[i]
            );
            for e in m.sync(5) {
                if let Event::Text(t) = e {
                    read_texts[i].push(t);
                }
            }
        }
        for (j, texts) in sent_texts.iter().enumerate() {
            if j == i {
                continue;
            }
            let got: Vec<&String> = read_texts[i]
                .iter()
                .filter(|t| t.starts_with(&format!("{} ", names[j])))
                .collect();
            let want: Vec<&String> = texts.iter().collect();
            assert_eq!(got, want, "{} from {}", m.name, names[j]);
        }
    }
    assert_eq!(members[0].open().epoch(), 1 + rounds as u64);
    drop(node_a);
}
