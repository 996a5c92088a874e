//! `cohort demo`: a group run end to end, with timings and message sizes.

use cohort::codec::encode;
use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{Group, GroupConfig, KeyPackageBuilder, KeyPackageBundle, ProcessedMessage};
use cohort::messages::{Credential, Extensions, PreSharedKeyId, Psk};
use cohort::tree::TreeView;
use cohort::tree::math::LeafIndex;
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_traits::{Ciphersuite, Crypto, ProviderBundle, Rand, Secret};
use std::collections::BTreeMap;
use std::time::Instant;

type Provider<'a> = ProviderBundle<&'a dyn Crypto, &'a dyn Rand, MemoryStorage>;

struct Client<'a> {
    name: String,
    signer: SignatureKeyPair<&'a dyn Crypto>,
    group: Option<Group>,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn size(msg: &MlsMessage) -> Result<usize, String> {
    Ok(encode(msg).map_err(err)?.len())
}

/// Prints one line of the report.
fn report(op: &str, started: Instant, bytes: Option<usize>) {
    let ms = started.elapsed().as_secs_f64() * 1e3;
    match bytes {
        Some(b) => println!("{op:<70} {ms:>10.2} ms {b:>10} B"),
        None => println!("{op:<70} {ms:>10.2} ms {:>12}", "-"),
    }
}

/// Every active member has the same epoch and epoch authenticator.
fn check_agreement(clients: &[Client<'_>]) -> Result<u64, String> {
    let groups: Vec<&Group> = clients
        .iter()
        .filter_map(|c| c.group.as_ref())
        .filter(|g| g.is_active())
        .collect();
    let first = groups.first().ok_or("no member left")?;
    for g in &groups {
        if g.epoch() != first.epoch() || g.epoch_authenticator() != first.epoch_authenticator() {
            return Err(format!("members disagree at epoch {}", first.epoch()));
        }
    }
    Ok(first.epoch())
}

/// Commit by `committer`, processed and merged by every other member.
fn commit_round(
    p: &Provider<'_>,
    clients: &mut [Client<'_>],
    committer: usize,
    label: &str,
    build: impl FnOnce(&Group) -> cohort::group::CommitBuilder,
) -> Result<MlsMessage, String> {
    let started = Instant::now();
    let c = clients.get_mut(committer).ok_or("no such member")?;
    let group = c.group.as_mut().ok_or("not in the group")?;
    let builder = build(group);
    let (out, staged) = group.create_commit(p, &c.signer, builder).map_err(err)?;
    group.merge_staged_commit(staged).map_err(err)?;
    report(
        &format!("{label}: create commit ({})", c.name),
        started,
        Some(size(&out.commit)?),
    );
    let started = Instant::now();
    let mut processed = 0;
    for (i, m) in clients.iter_mut().enumerate() {
        let Some(g) = m.group.as_mut().filter(|g| g.is_active()) else {
            continue;
        };
        if i == committer {
            continue;
        }
        match g.process(p, &out.commit).map_err(err)? {
            ProcessedMessage::Commit(staged) => g.merge_staged_commit(*staged).map_err(err)?,
            _ => return Err("expected a commit".into()),
        }
        processed += 1;
    }
    report(
        &format!("{label}: process + merge, {processed} members (total)"),
        started,
        None,
    );
    let epoch = check_agreement(clients)?;
    println!(
        "{:<70} epoch {epoch}: all members agree on the epoch authenticator",
        ""
    );
    Ok(out.group_info)
}

/// Runs the demo for `members` clients on `suite`.
pub fn run(
    crypto: &dyn Crypto,
    rand: &dyn Rand,
    suite: Ciphersuite,
    members: usize,
) -> Result<(), String> {
    if members < 3 {
        return Err("--members must be at least 3".into());
    }
    let p: Provider<'_> = ProviderBundle::new(crypto, rand, MemoryStorage::new());
    let cs = SuiteCrypto::new(crypto, suite).map_err(err)?;
    println!("cohort demo: {members} members, cipher suite {suite}");
    println!("{:<70} {:>13} {:>12}", "operation", "time", "size");

    let started = Instant::now();
    let mut clients = Vec::with_capacity(members);
    let mut bundles: Vec<KeyPackageBundle> = Vec::with_capacity(members);
    for i in 0..members {
        let signer =
            SignatureKeyPair::generate(crypto, cs.params().signature, rand).map_err(err)?;
        let name = format!("member-{i}");
        bundles.push(
            KeyPackageBuilder::new(Credential::basic(name.clone()))
                .build(&cs, rand, &signer)
                .map_err(err)?,
        );
        clients.push(Client {
            name,
            signer,
            group: None,
        });
    }
    report(
        &format!("generate {members} signature keys + KeyPackages"),
        started,
        None,
    );

    let started = Instant::now();
    let first = bundles.first().ok_or("no KeyPackage")?;
    let group = Group::create(
        &p,
        first,
        b"cohort demo group".to_vec(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .map_err(err)?;
    if let Some(c) = clients.first_mut() {
        c.group = Some(group);
    }
    report("create group", started, None);

    // Add everyone else in one commit.
    let started = Instant::now();
    let creator = clients.first_mut().ok_or("no creator")?;
    let group = creator.group.as_mut().ok_or("creator has no group")?;
    let mut builder = group.commit();
    for b in bundles.iter().skip(1) {
        builder = builder.add_member(b.key_package.clone());
    }
    let (out, staged) = group
        .create_commit(&p, &creator.signer, builder)
        .map_err(err)?;
    group.merge_staged_commit(staged).map_err(err)?;
    let welcome = out.welcome.ok_or("no Welcome")?;
    report(
        &format!(
            "add {} members in one commit (commit + Welcome)",
            members - 1
        ),
        started,
        Some(size(&out.commit)? + size(&welcome)?),
    );
    let MlsMessageBody::Welcome(welcome) = welcome.body else {
        return Err("not a Welcome".into());
    };
    let started = Instant::now();
    for (c, b) in clients.iter_mut().zip(&bundles).skip(1) {
        c.group = Some(
            Group::join(
                &p,
                &welcome,
                b,
                None,
                BTreeMap::new(),
                GroupConfig::default(),
            )
            .map_err(err)?,
        );
    }
    report(
        &format!("{} members join by Welcome (total)", members - 1),
        started,
        None,
    );
    let epoch = check_agreement(&clients)?;
    println!(
        "{:<70} epoch {epoch}: all members agree on the epoch authenticator",
        ""
    );

    // Application messages.
    let started = Instant::now();
    let sender = clients.get_mut(1).ok_or("no member 1")?;
    let msg = sender
        .group
        .as_mut()
        .ok_or("no group")?
        .encrypt(&p, &sender.signer, b"hello, group", b"")
        .map_err(err)?;
    report("encrypt an application message", started, Some(size(&msg)?));
    let started = Instant::now();
    for c in clients.iter_mut().filter(|c| c.name != "member-1") {
        match c
            .group
            .as_mut()
            .ok_or("no group")?
            .process(&p, &msg)
            .map_err(err)?
        {
            ProcessedMessage::Application { data, .. } if data == b"hello, group" => {}
            _ => return Err("application message not delivered".into()),
        }
    }
    report(
        &format!("decrypt it at {} members (total)", members - 1),
        started,
        None,
    );

    // Updates, a remove, a PSK.
    commit_round(&p, &mut clients, 2, "self-update of member-2", |g| {
        g.commit().force_path(true)
    })?;
    commit_round(
        &p,
        &mut clients,
        members - 1,
        "self-update of the last member",
        |g| g.commit().force_path(true),
    )?;
    let removed = LeafIndex(3);
    commit_round(&p, &mut clients, 0, "remove member-3", |g| {
        g.commit().remove_member(removed)
    })?;
    let mut nonce = vec![0u8; cs.hash_len()];
    rand.fill(&mut nonce).map_err(err)?;
    let psk_id = b"demo external psk".to_vec();
    for c in clients.iter_mut() {
        if let Some(g) = c.group.as_mut() {
            g.add_external_psk(psk_id.clone(), Secret::new(vec![0x42; 32]));
        }
    }
    let psk = PreSharedKeyId {
        psk: Psk::External {
            psk_id: psk_id.into(),
        },
        psk_nonce: nonce.into(),
    };
    let group_info = commit_round(&p, &mut clients, 1, "commit an external PSK", |g| {
        g.commit().psk(psk)
    })?;

    // A newcomer joins by external commit from the published GroupInfo.
    let MlsMessageBody::GroupInfo(group_info) = group_info.body else {
        return Err("not a GroupInfo".into());
    };
    let started = Instant::now();
    let signer = SignatureKeyPair::generate(crypto, cs.params().signature, rand).map_err(err)?;
    let bundle = KeyPackageBuilder::new(Credential::basic("newcomer"))
        .build(&cs, rand, &signer)
        .map_err(err)?;
    let (group, commit) = Group::join_external(
        &p,
        &signer,
        &group_info,
        None,
        &bundle,
        GroupConfig::default(),
        None,
    )
    .map_err(err)?;
    report(
        "external join: create external commit (newcomer)",
        started,
        Some(size(&commit)?),
    );
    let started = Instant::now();
    let mut processed = 0;
    for c in clients.iter_mut() {
        let Some(g) = c.group.as_mut().filter(|g| g.is_active()) else {
            continue;
        };
        match g.process(&p, &commit).map_err(err)? {
            ProcessedMessage::Commit(staged) => g.merge_staged_commit(*staged).map_err(err)?,
            _ => return Err("expected a commit".into()),
        }
        processed += 1;
    }
    report(
        &format!("external join: process + merge, {processed} members (total)"),
        started,
        None,
    );
    clients.push(Client {
        name: "newcomer".into(),
        signer,
        group: Some(group),
    });
    let epoch = check_agreement(&clients)?;
    println!(
        "{:<70} epoch {epoch}: all members agree on the epoch authenticator",
        ""
    );

    // The newcomer talks to the group.
    let newcomer = clients.last_mut().ok_or("no newcomer")?;
    let msg = newcomer
        .group
        .as_mut()
        .ok_or("no group")?
        .encrypt(&p, &newcomer.signer, b"hi, I am new", b"")
        .map_err(err)?;
    for c in clients.iter_mut().filter(|c| c.name != "newcomer") {
        let Some(g) = c.group.as_mut().filter(|g| g.is_active()) else {
            continue;
        };
        match g.process(&p, &msg).map_err(err)? {
            ProcessedMessage::Application { data, .. } if data == b"hi, I am new" => {}
            _ => return Err("the newcomer's message was not delivered".into()),
        }
    }
    println!("{:<70} the newcomer's message reached every member", "");
    let members_now = clients
        .first()
        .and_then(|c| c.group.as_ref())
        .map_or(0, |g| g.tree().members().len());
    println!("done: {members_now} members, every commit agreed on by every member");
    Ok(())
}
