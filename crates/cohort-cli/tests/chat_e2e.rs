//! `cohort chat` end to end: the real `cohort-ds` server on SQLite on a
//! free loopback port, and four users driven through the command mode
//! (and one through the interactive session, killed and restarted).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// The `cohort-ds` binary beside `cohort` in the target directory, built
/// with cargo when it is not there.
fn server_binary() -> PathBuf {
    let cohort = Path::new(env!("CARGO_BIN_EXE_cohort"));
    let ds = cohort.with_file_name(format!("cohort-ds{}", std::env::consts::EXE_SUFFIX));
    if !ds.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "cohort-ds", "--bin", "cohort-ds"])
            .status()
            .expect("running cargo build -p cohort-ds");
        assert!(status.success(), "cargo build -p cohort-ds failed");
    }
    assert!(ds.is_file(), "{} not found", ds.display());
    ds
}

/// A running `cohort-ds`, killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(db: &Path) -> Server {
        Server::start_on(db, "127.0.0.1:0")
    }

    fn start_on(db: &Path, listen: &str) -> Server {
        let mut child = Command::new(server_binary())
            .args(["--listen", listen, "--database"])
            .arg(format!("sqlite:{}", db.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting cohort-ds");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reading cohort-ds's first line");
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

    /// Kills the server, as a crash would.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the killed server again on the same address and database.
    fn start_again(&mut self, db: &Path) {
        let addr = self.url.trim_start_matches("http://").to_string();
        // The port may take a moment to be free again.
        for _ in 0..50 {
            if std::net::TcpListener::bind(&addr).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        *self = Server::start_on(db, &addr);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One user's state directory.
struct User<'a> {
    dir: PathBuf,
    server: &'a str,
}

impl User<'_> {
    /// Runs `cohort chat` with `args`; its stdout lines (stderr must be
    /// empty: no warnings, no errors).
    fn run(&self, args: &[&str]) -> Vec<String> {
        let out = Command::new(env!("CARGO_BIN_EXE_cohort"))
            .arg("chat")
            .arg("--dir")
            .arg(&self.dir)
            .args(["--server", self.server])
            .args(args)
            .output()
            .expect("running cohort chat");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "cohort chat {args:?} in {}: {}\nstdout: {stdout}\nstderr: {stderr}",
            self.dir.display(),
            out.status
        );
        stdout.lines().map(str::to_string).collect()
    }

    /// `recv --wait 10`, expecting exactly `lines` (in order).
    fn recv(&self, lines: &[&str]) {
        assert_eq!(
            self.run(&["recv", "--wait", "10"]),
            lines,
            "{}",
            self.dir.display()
        );
    }
}

/// An interactive session: lines written to its input, its output lines
/// read by a thread.
struct Session {
    child: Child,
    input: ChildStdin,
    lines: Receiver<String>,
}

impl Session {
    fn start(dir: &Path, server: &str) -> Session {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cohort"))
            .arg("chat")
            .arg("--dir")
            .arg(dir)
            .args(["--server", server])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting cohort chat");
        let input = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Session {
            child,
            input,
            lines,
        }
    }

    fn say(&mut self, line: &str) {
        writeln!(self.input, "{line}").expect("writing to the session");
    }

    /// Waits (up to 15 s) for a line equal to `want`, returning the lines
    /// seen before it.
    fn expect(&self, want: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line == want => return seen,
                Ok(line) => seen.push(line),
                Err(_) => panic!("no line {want:?}; saw {seen:?}"),
            }
        }
    }

    /// Kills the session as a crash would.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory of its own for test `tag`.
fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cohort-chat-e2e-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating the test directory");
    dir
}

#[test]
fn four_users_chat_through_the_delivery_service() {
    let root = temp_dir("four");
    let db = root.join("ds.db");
    let mut server = Server::start(&db);
    let url = server.url.clone();
    let user = |name: &str| User {
        dir: root.join(name),
        server: &url,
    };
    let (alice, bob, carol, dave) = (user("alice"), user("bob"), user("carol"), user("dave"));

    for (u, name) in [
        (&alice, "alice"),
        (&bob, "bob"),
        (&carol, "carol"),
        (&dave, "dave"),
    ] {
        assert_eq!(u.run(&["register", name]), [format!("registered {name}")]);
    }
    // Registering again is harmless (same key, fresh KeyPackages).
    assert_eq!(bob.run(&["register", "bob"]), ["registered bob"]);
    // Another key cannot take a registered identity.
    let out = Command::new(env!("CARGO_BIN_EXE_cohort"))
        .arg("chat")
        .arg("--dir")
        .arg(root.join("mallory"))
        .args(["--server", &url, "register", "alice"])
        .output()
        .expect("running cohort chat");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("identity_taken"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let created = alice.run(&["create", "team"]);
    assert_eq!(created.len(), 1);
    assert!(created[0].starts_with("created team "), "{created:?}");
    assert_eq!(
        alice.run(&["invite", "team", "bob"]),
        ["epoch team 1 by alice added=bob removed="]
    );
    bob.recv(&["joined team by alice members=alice,bob"]);

    assert_eq!(alice.run(&["send", "team", "hello bob"]), ["sent team"]);
    bob.recv(&["message team alice: hello bob"]);
    assert_eq!(bob.run(&["send", "team", "hi alice"]), ["sent team"]);
    alice.recv(&["message team bob: hi alice"]);

    // Alice adds carol; bob, not yet aware of it, adds dave: his commit
    // loses epoch 1, so he processes alice's commit and commits again.
    assert_eq!(
        alice.run(&["invite", "team", "carol"]),
        ["epoch team 2 by alice added=carol removed="]
    );
    assert_eq!(
        bob.run(&["invite", "team", "dave"]),
        [
            "epoch team 2 by alice added=carol removed=",
            "epoch team 3 by bob added=dave removed=",
        ]
    );
    alice.recv(&["epoch team 3 by bob added=dave removed="]);
    carol.recv(&[
        "joined team by alice members=alice,bob,carol",
        "epoch team 3 by bob added=dave removed=",
    ]);
    dave.recv(&["joined team by bob members=alice,bob,carol,dave"]);
    for u in [&alice, &bob, &carol, &dave] {
        assert_eq!(
            u.run(&["members", "team"]),
            ["members team alice,bob,carol,dave"]
        );
        assert_eq!(u.run(&["groups"]), ["group team epoch=3 members=4"]);
    }

    // Bob in an interactive session: messages print as they come.
    let session = Session::start(&bob.dir, &url);
    session.expect("user bob; /help for commands");
    assert_eq!(carol.run(&["send", "team", "one"]), ["sent team"]);
    session.expect("message team carol: one");
    // Bob's session dies; the others go on talking.
    session.kill();
    assert_eq!(carol.run(&["send", "team", "two"]), ["sent team"]);
    assert_eq!(dave.run(&["send", "team", "three"]), ["sent team"]);
    // Restarted, it gets what was sent while it was down, in order.
    let mut session = Session::start(&bob.dir, &url);
    session.expect("user bob; /help for commands");
    session.expect("message team carol: two");
    session.expect("message team dave: three");
    session.say("/msg team back again");
    session.expect("sent team");
    session.say("plain text goes to the current group");
    session.expect("sent team");
    session.say("/members");
    session.expect("members team alice,bob,carol,dave");
    session.say("/quit");
    drop(session);
    // The others read everything in the order the server accepted it.
    let back = [
        "message team bob: back again",
        "message team bob: plain text goes to the current group",
    ];
    let one = "message team carol: one";
    let two = "message team carol: two";
    let three = "message team dave: three";
    alice.recv(&[one, two, three, back[0], back[1]]);
    carol.recv(&[three, back[0], back[1]]);
    dave.recv(&[one, two, back[0], back[1]]);

    // The server crashes and comes back on its database: tokens, groups
    // and undelivered messages survive. A send while it is down fails.
    server.kill();
    let out = Command::new(env!("CARGO_BIN_EXE_cohort"))
        .arg("chat")
        .arg("--dir")
        .arg(&carol.dir)
        .args(["send", "team", "lost"])
        .output()
        .expect("running cohort chat");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A fresh process authenticates first: that is what fails.
    assert!(
        stderr.starts_with("error: authentication challenge: "),
        "{stderr}"
    );
    server.start_again(&db);
    assert_eq!(server.url, url);
    assert_eq!(
        carol.run(&["send", "team", "after the restart"]),
        ["sent team"]
    );

    // Carol leaves: alice and bob read her request at the same time and
    // both commit it; one commit wins, the other member processes the
    // winner instead. Everyone agrees on who committed.
    assert_eq!(carol.run(&["leave", "team"]), ["leave-request team carol"]);
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| alice.run(&["recv", "--wait", "10"]));
        let b = s.spawn(|| bob.run(&["recv", "--wait", "10"]));
        (a.join().expect("alice"), b.join().expect("bob"))
    });
    let committer = a
        .last()
        .and_then(|l| l.strip_prefix("epoch team 4 by "))
        .and_then(|l| l.strip_suffix(" added= removed=carol"))
        .unwrap_or_else(|| panic!("alice: {a:?}"))
        .to_string();
    assert!(committer == "alice" || committer == "bob", "{committer}");
    let expected = [
        "message team carol: after the restart".to_string(),
        "leave-request team carol".to_string(),
        format!("epoch team 4 by {committer} added= removed=carol"),
    ];
    assert_eq!(a, expected);
    assert_eq!(b, expected);
    dave.recv(&[
        "message team carol: after the restart",
        "leave-request team carol",
        &format!("epoch team 4 by {committer} added= removed=carol"),
    ]);
    carol.recv(&[&format!("left team by {committer}")]);
    assert!(carol.run(&["groups"]).is_empty());

    assert_eq!(alice.run(&["send", "team", "bye carol"]), ["sent team"]);
    bob.recv(&["message team alice: bye carol"]);
    dave.recv(&["message team alice: bye carol"]);
    assert!(carol.run(&["recv"]).is_empty());
    assert_eq!(
        alice.run(&["members", "team"]),
        ["members team alice,bob,dave"]
    );
    assert_eq!(
        dave.run(&["members", "team", "--server-view"]),
        ["members team alice,bob,dave epoch=4"]
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn invites_beyond_the_published_key_packages_use_the_last_resort_one() {
    let root = temp_dir("last-resort");
    let server = Server::start(&root.join("ds.db"));
    let user = |name: &str| User {
        dir: root.join(name),
        server: &server.url,
    };
    let (alice, dave) = (user("alice"), user("dave"));
    alice.run(&["register", "alice"]);
    dave.run(&["register", "dave"]);
    // Dave published five ordinary KeyPackages and one last-resort one;
    // seven invites while he is away take all five, then the last-resort
    // one twice.
    let names: Vec<String> = (1..=7).map(|i| format!("g{i}")).collect();
    for name in &names {
        alice.run(&["create", name]);
        assert_eq!(
            alice.run(&["invite", name, "dave"]),
            [format!("epoch {name} 1 by alice added=dave removed=")]
        );
    }
    let joined: Vec<String> = names
        .iter()
        .map(|n| format!("joined {n} by alice members=alice,dave"))
        .collect();
    assert_eq!(dave.run(&["recv", "--wait", "10"]), joined);
    for name in &names {
        assert_eq!(
            alice.run(&["send", name, "hi"]),
            ["sent team".replace("team", name)]
        );
    }
    let got: Vec<String> = names
        .iter()
        .map(|n| format!("message {n} alice: hi"))
        .collect();
    assert_eq!(dave.run(&["recv", "--wait", "10"]), got);
    let _ = std::fs::remove_dir_all(&root);
}
