//! `cohort-ds-load`: starts a `cohort-ds` server on loopback, puts N MLS
//! clients in M groups, has every client send application messages as fast
//! as the server takes them while every client long-polls its inbox, and
//! prints messages accepted per second and the send-to-delivery latency
//! (p50/p95/p99) as one `key=value` line.
//!
//! `cohort-ds-load --database sqlite:/tmp/load.db --clients 20 --groups 4 --messages 50`

#[path = "../../tests/common/mod.rs"]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::Parser;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::ProcessedMessage;
use common::{Event, Member, Server};
use tls_codec::DeserializeBytes;

/// Load generator for cohort-ds.
#[derive(Parser, Debug)]
#[command(name = "cohort-ds-load")]
struct Args {
    /// Database of the server it starts (`sqlite:/path` or `postgres://...`).
    #[arg(long)]
    database: String,
    /// The `cohort-ds` binary (default: next to this one).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Clients.
    #[arg(long, default_value_t = 20)]
    clients: usize,
    /// Groups (clients are spread round-robin).
    #[arg(long, default_value_t = 4)]
    groups: usize,
    /// Application messages each client sends.
    #[arg(long, default_value_t = 50)]
    messages: usize,
    /// A label for the output line.
    #[arg(long, default_value = "")]
    label: String,
}

/// A client and the lock that serialises its MLS state changes (sending
/// and receiving run on two threads).
struct Peer {
    member: Member,
    mls: Mutex<()>,
    /// The members of its group other than itself.
    peers: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn main() {
    let args = Args::parse();
    assert!(
        args.groups >= 1 && args.clients >= 2 * args.groups,
        "at least two clients per group"
    );
    let bin = args.server.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .expect("current exe")
            .with_file_name("cohort-ds")
    });
    let server = Server::start_bin(
        &bin,
        &args.database,
        &["--messages-per-minute", "100000000"],
    );

    // Clients, KeyPackages, groups.
    let setup = Instant::now();
    let mut members: Vec<Member> = (0..args.clients)
        .map(|i| Member::new(&format!("load-{i}-{}", std::process::id()), &server.url))
        .collect();
    for m in &members[args.groups..] {
        m.publish_key_packages(1);
    }
    for g in 0..args.groups {
        members[g].create_group();
        let joiners: Vec<usize> = (args.groups..args.clients)
            .filter(|i| i % args.groups == g)
            .collect();
        let kps: Vec<_> = joiners
            .iter()
            .map(
                |&i| match members[g].fetch_key_package(&members[i].name).body {
                    MlsMessageBody::KeyPackage(kp) => kp,
                    _ => panic!("not a KeyPackage"),
                },
            )
            .collect();
        let (status, body) = members[g].commit_with(|grp| {
            kps.iter()
                .cloned()
                .fold(grp.commit_builder(), |b, kp| b.add_member(kp))
        });
        assert_eq!(status, 200, "{body}");
    }
    for m in &mut members[args.groups..] {
        m.sync_until(1, |e| *e == Event::Joined);
    }
    let peers: Vec<Peer> = members
        .into_iter()
        .enumerate()
        .map(|(i, member)| {
            let size = (0..args.clients)
                .filter(|j| j % args.groups == i % args.groups)
                .count();
            Peer {
                member,
                mls: Mutex::new(()),
                peers: size - 1,
            }
        })
        .collect();
    let setup = setup.elapsed();

    // The run: every client sends, every client receives.
    let epoch = Instant::now();
    let (latencies, send_time) = std::thread::scope(|s| {
        let receivers: Vec<_> = peers
            .iter()
            .map(|p| s.spawn(move || receive(p, p.peers * args.messages, epoch)))
            .collect();
        let senders: Vec<_> = peers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                s.spawn(move || {
                    for k in 0..args.messages {
                        let text = format!("{} {i} {k}", epoch.elapsed().as_nanos());
                        let message = {
                            let _guard = p.mls.lock().expect("lock");
                            p.member
                                .open()
                                .encrypt(text.as_bytes(), b"")
                                .expect("encrypt")
                        };
                        let (status, body) = p.member.send(&message, None).expect("send");
                        assert_eq!(status, 200, "{body}");
                    }
                })
            })
            .collect();
        for h in senders {
            h.join().expect("sender");
        }
        let send_time = epoch.elapsed();
        let mut all = Vec::new();
        for h in receivers {
            all.extend(h.join().expect("receiver"));
        }
        (all, send_time)
    });
    let total = epoch.elapsed();
    let mut sorted = latencies;
    sorted.sort();
    let sent = args.clients * args.messages;
    let expected: usize = peers.iter().map(|p| p.peers * args.messages).sum();
    assert_eq!(
        sorted.len(),
        expected,
        "every message delivered to every other member"
    );
    println!(
        "label={} clients={} groups={} messages={} deliveries={} setup_s={:.2} send_s={:.2} total_s={:.2} \
         msgs_per_s={:.0} deliveries_per_s={:.0} p50_ms={:.1} p95_ms={:.1} p99_ms={:.1}",
        args.label,
        args.clients,
        args.groups,
        sent,
        sorted.len(),
        setup.as_secs_f64(),
        send_time.as_secs_f64(),
        total.as_secs_f64(),
        sent as f64 / send_time.as_secs_f64(),
        sorted.len() as f64 / total.as_secs_f64(),
        percentile(&sorted, 0.50),
        percentile(&sorted, 0.95),
        percentile(&sorted, 0.99),
    );
    drop(server);
}

/// Long-polls until `expected` application messages arrived; their
/// send-to-delivery latencies.
fn receive(p: &Peer, expected: usize, epoch: Instant) -> Vec<Duration> {
    let mut after = 0u64;
    let mut out = Vec::with_capacity(expected);
    let deadline = Instant::now() + Duration::from_secs(600);
    while out.len() < expected {
        assert!(
            Instant::now() < deadline,
            "{}: {} of {expected} messages",
            p.member.name,
            out.len()
        );
        let (status, body) = p
            .member
            .get(&format!("/v1/inbox?after={after}&wait=10"))
            .expect("inbox");
        assert_eq!(status, 200, "{body}");
        let now = epoch.elapsed();
        for entry in body["messages"].as_array().expect("messages") {
            after = entry["seq"].as_u64().expect("seq");
            if entry["kind"] != "message" {
                continue;
            }
            let data = common::unb64(&entry["data"]);
            let message = MlsMessage::tls_deserialize_exact_bytes(&data).expect("MLSMessage");
            if !matches!(message.body, MlsMessageBody::PrivateMessage(_)) {
                continue;
            }
            let processed = {
                let _guard = p.mls.lock().expect("lock");
                p.member.open().process(&message).expect("process")
            };
            if let ProcessedMessage::Application { data, .. } = processed {
                let text = String::from_utf8_lossy(&data).into_owned();
                let sent: u128 = text
                    .split(' ')
                    .next()
                    .and_then(|t| t.parse().ok())
                    .expect("timestamp");
                let sent = Duration::from_nanos(u64::try_from(sent).unwrap_or(u64::MAX));
                out.push(now.saturating_sub(sent));
            }
        }
    }
    out
}
