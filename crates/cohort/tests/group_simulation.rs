//! A seeded, deterministic simulation of a group under random operations
//! (DESIGN: security principles): members commit adds, removes and
//! self-updates, propose by reference (members, an external sender and new
//! members adding themselves), inject external and resumption PSKs, join by
//! external commit (with PSKs, or as a resync), save and reload their state,
//! and exchange application messages delivered out of order within the
//! ratchet window and late, after later commits.
//!
//! Every member processes every handshake message. After every commit all
//! members agree on the epoch, epoch authenticator, tree hash, GroupContext
//! and an exporter output; every application message decrypts to the bytes
//! sent, from the right leaf, or (once its epoch has expired) fails with
//! `WrongEpoch`.
//!
//! Now and then a member turns malicious for one step: with its valid
//! signature key it sends a commit whose path key or leaf was changed, a
//! commit holding one proposal twice or naming an unknown proposal, a
//! commit with a wrong confirmation tag, a replay of an earlier commit or
//! of an application message, or messages of an epoch only its own fork
//! reached. Every honest member must refuse each with an error, its whole
//! state unchanged, and the honest members go on agreeing.
//!
//! Each run is fixed by its seed: the provider's random source
//! and the choice of operations both come from it. A failure prints the
//! seed; `COHORT_SIM_SEED=<seed>` (decimal or 0x-hex) replays that run alone
//! and `COHORT_SIM_STEPS` changes the number of steps.

mod group_common;

use cohort::framing::{MlsMessage, Sender};
use cohort::group::{
    CommitBuilder, CommitOutput, ExternalJoinOptions, Group, GroupConfig, KeyPackageBundle,
    ProcessedMessage, StagedCommit, WireFormatPolicy, external_proposal, new_member_proposal,
};
use cohort::messages::{
    Add, Credential, Extensions, ExternalSender, ExternalSenders, Node, PreSharedKey,
    PreSharedKeyId, Proposal, Psk, Remove, ResumptionPskUsage,
};
use cohort::tree::TreeView;
use cohort::tree::math::LeafIndex;
use cohort::{Error, ValidationError};
use cohort_traits::{Secret, Signer as _};
use group_common::*;
use std::collections::BTreeMap;
use std::sync::Arc;

const MAX_MEMBERS: usize = 12;
const DEFAULT_STEPS: usize = 200;
const SEEDS: [u64; 4] = [0x5eed_0000, 0x5eed_0001, 0x5eed_0002, 0x5eed_0003];
const PSK_IDS: [&[u8]; 2] = [b"simulation psk a", b"simulation psk b"];
/// Late application messages outstanding per sender and epoch, well inside
/// the default out-of-order tolerance (16 skipped keys per ratchet).
const MAX_LATE_PER_SENDER: usize = 4;

/// SplitMix64: the simulation's choices, independent of the provider's
/// random source.
struct Prng(u64);

impl Prng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }

    /// `k` distinct values of `candidates`, in random order.
    fn sample(&mut self, mut candidates: Vec<usize>, k: usize) -> Vec<usize> {
        self.shuffle(&mut candidates);
        candidates.truncate(k);
        candidates
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// A client in the group.
struct Client {
    id: u32,
    name: String,
    signer: Signer,
    group: Group,
    /// The epoch it joined in (its oldest resumption PSK).
    joined: u64,
}

/// A client about to join by Welcome.
struct Joiner {
    id: u32,
    name: String,
    signer: Signer,
    kp: KeyPackageBundle,
}

/// An application message held back, delivered after later operations.
struct Late {
    epoch: u64,
    sender_id: u32,
    sender_leaf: LeafIndex,
    data: Vec<u8>,
    msg: MlsMessage,
    /// Ids of the clients in the group when it was sent, but the sender.
    receivers: Vec<u32>,
}

struct Sim {
    seed: u64,
    step: usize,
    p: TestProvider,
    rng: Prng,
    config: GroupConfig,
    /// The external sender (index 0 of `external_senders`).
    ds: Signer,
    members: Vec<Client>,
    next_id: u32,
    late: Vec<Late>,
    counts: BTreeMap<&'static str, u32>,
    /// The last commit delivered, to replay.
    last_commit: Option<MlsMessage>,
    /// The last application message delivered, to replay.
    last_message: Option<MlsMessage>,
}

/// Prints the seed and step when the simulation panics.
struct Replay {
    seed: u64,
    step: usize,
    op: &'static str,
}

impl Drop for Replay {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "group simulation failed: seed {:#x}, step {}, operation {}; \
                 replay with COHORT_SIM_SEED={:#x}",
                self.seed, self.step, self.op, self.seed
            );
        }
    }
}

fn psk_value(id: &[u8]) -> Secret {
    Secret::new(id.iter().rev().copied().chain(*b"-value").collect())
}

fn psk_map() -> BTreeMap<Vec<u8>, Secret> {
    PSK_IDS
        .iter()
        .map(|id| (id.to_vec(), psk_value(id)))
        .collect()
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let p = provider(seed);
        let mut rng = Prng(seed);
        // The seed's low bits pick the handshake wire format (all four
        // policies over the default seeds) and whether the tree travels in
        // Welcomes and GroupInfos (bit 1).
        let wire_format = match seed % 4 {
            0 => WireFormatPolicy::MixedPublic,
            1 => WireFormatPolicy::AlwaysPrivate,
            2 => WireFormatPolicy::AlwaysPublic,
            _ => WireFormatPolicy::MixedPrivate,
        };
        // New members may add themselves (C-EXT-04) in this application.
        let config = GroupConfig {
            wire_format,
            ratchet_tree_extension: seed & 2 == 0,
            padding_block: [0, 16, 32][rng.below(3)],
            ..open_config()
        };
        let ds = signer(&p, SUITE);
        let mut extensions = Extensions::default();
        extensions
            .push(&ExternalSenders(
                vec![ExternalSender {
                    signature_key: ds.public_key().to_vec().into(),
                    credential: Credential::basic("delivery service"),
                }]
                .into(),
            ))
            .unwrap();
        let (signer0, kp0) = client(&p, SUITE, "c0");
        let mut group = Group::create(
            &p,
            &kp0,
            b"simulated group".to_vec(),
            extensions,
            config.clone(),
        )
        .unwrap();
        for (id, psk) in psk_map() {
            group.add_external_psk(id, psk);
        }
        Sim {
            seed,
            step: 0,
            p,
            rng,
            config,
            ds,
            members: vec![Client {
                id: 0,
                name: "c0".into(),
                signer: signer0,
                group,
                joined: 0,
            }],
            next_id: 1,
            late: Vec::new(),
            counts: BTreeMap::new(),
            last_commit: None,
            last_message: None,
        }
    }

    fn count(&mut self, op: &'static str) {
        *self.counts.entry(op).or_default() += 1;
    }

    fn epoch(&self) -> u64 {
        self.members[0].group.epoch()
    }

    fn joiner(&mut self) -> Joiner {
        let id = self.next_id;
        self.next_id += 1;
        let name = format!("c{id}");
        let (signer, kp) = client(&self.p, SUITE, &name);
        Joiner {
            id,
            name,
            signer,
            kp,
        }
    }

    /// The tree a joiner needs out of band when Welcomes and GroupInfos
    /// carry none.
    fn tree_out_of_band(&self, who: usize) -> Option<Vec<Option<Node>>> {
        (!self.config.ratchet_tree_extension).then(|| self.members[who].group.tree().to_nodes())
    }

    /// The oldest epoch whose resumption PSK every member holds (RFC 9420
    /// section 8.6; C-PSK-10).
    fn oldest_shared_resumption_epoch(&self) -> u64 {
        let retained = self
            .epoch()
            .saturating_sub(self.config.max_past_epochs as u64);
        self.members
            .iter()
            .map(|m| m.joined)
            .max()
            .unwrap_or(0)
            .max(retained)
    }

    fn resumption_epoch(&mut self) -> u64 {
        let lo = self.oldest_shared_resumption_epoch() as usize;
        self.rng.between(lo, self.epoch() as usize) as u64
    }

    fn fresh_psk_id(&mut self, resumption: bool) -> PreSharedKeyId {
        let psk = if resumption {
            Psk::Resumption {
                usage: ResumptionPskUsage::Application,
                psk_group_id: self.members[0].group.group_id().to_vec().into(),
                psk_epoch: self.resumption_epoch(),
            }
        } else {
            Psk::External {
                psk_id: PSK_IDS[self.rng.below(PSK_IDS.len())].to_vec().into(),
            }
        };
        PreSharedKeyId {
            psk,
            psk_nonce: self.rng.bytes(32).into(),
        }
    }

    /// Member `who` builds `builder`; the commit is merged by the committer
    /// and processed and merged by everyone else; `joiners` join from the
    /// Welcome. Then everyone must agree.
    fn commit(&mut self, who: usize, builder: CommitBuilder, joiners: Vec<Joiner>) {
        let m = &mut self.members[who];
        let (out, staged) = m
            .group
            .create_commit(&self.p, &m.signer, builder)
            .unwrap_or_else(|e| panic!("commit by {} refused: {e:?}", m.name));
        self.deliver_commit(who, out, staged, joiners);
    }

    fn deliver_commit(
        &mut self,
        who: usize,
        out: CommitOutput,
        staged: StagedCommit,
        joiners: Vec<Joiner>,
    ) {
        self.last_commit = Some(out.commit.clone());
        let removed: Vec<LeafIndex> = staged.removed().iter().map(|(l, _)| *l).collect();
        let added = staged.added().len();
        assert_eq!(added, joiners.len(), "every added client joins");
        self.members[who].group.merge_staged_commit(staged).unwrap();
        let committer_leaf = self.members[who].group.own_leaf();
        for (i, m) in self.members.iter_mut().enumerate() {
            if i == who {
                continue;
            }
            let staged = stage(&self.p, &mut m.group, &out.commit);
            assert_eq!(staged.sender(), Sender::Member(committer_leaf.0));
            assert_eq!(
                staged.removes_self(),
                removed.contains(&m.group.own_leaf()),
                "{} removed",
                m.name
            );
            assert_eq!(staged.added().len(), added);
            m.group.merge_staged_commit(staged).unwrap();
        }
        let tree = self.tree_out_of_band(who);
        self.members.retain(|m| m.group.is_active());
        if !joiners.is_empty() {
            let welcome = out.welcome.expect("a Welcome for the added clients");
            let epoch = self.epoch();
            for j in joiners {
                let group = Group::join(
                    &self.p,
                    welcome_of(&welcome),
                    &j.kp,
                    tree.clone(),
                    psk_map(),
                    self.config.clone(),
                )
                .unwrap_or_else(|e| panic!("{} cannot join: {e:?}", j.name));
                self.members.push(Client {
                    id: j.id,
                    name: j.name,
                    signer: j.signer,
                    group,
                    joined: epoch,
                });
            }
        } else {
            assert!(out.welcome.is_none());
        }
        self.check_agreement();
    }

    fn check_agreement(&self) {
        let groups: Vec<&Group> = self.members.iter().map(|m| &m.group).collect();
        agree(&self.p, &groups);
        let tree = self.members[0].group.tree();
        assert_eq!(tree.members().len(), self.members.len());
        for m in &self.members {
            let leaf = tree.leaf(m.group.own_leaf()).expect("own leaf");
            assert_eq!(leaf.credential, Credential::basic(m.name.as_str()));
            assert!(m.group.pending_proposals().is_empty());
        }
    }

    fn random_member(&mut self) -> usize {
        self.rng.below(self.members.len())
    }

    /// Up to `k` members other than `keep`, leaving at least two.
    fn removable(&mut self, keep: usize, k: usize) -> Vec<usize> {
        let others: Vec<usize> = (0..self.members.len()).filter(|&i| i != keep).collect();
        let k = k.min(self.members.len().saturating_sub(2));
        self.rng.sample(others, k)
    }

    fn room(&self) -> usize {
        MAX_MEMBERS.saturating_sub(self.members.len())
    }

    // ---- operations --------------------------------------------------------

    fn self_update(&mut self) {
        let who = self.random_member();
        let b = self.members[who].group.commit().force_path(true);
        self.commit(who, b, Vec::new());
    }

    /// Adds and removes by value, with an external PSK now and then.
    fn add_remove(&mut self) {
        let who = self.random_member();
        let mut b = self.members[who].group.commit();
        let removals = if self.rng.chance(50) {
            let k = self.rng.between(1, 2);
            self.removable(who, k)
        } else {
            Vec::new()
        };
        for i in &removals {
            b = b.remove_member(self.members[*i].group.own_leaf());
        }
        let room = self.room() + removals.len();
        let n_adds = if room > 0 && (removals.is_empty() || self.rng.chance(60)) {
            self.rng.between(1, room.min(3))
        } else {
            0
        };
        let mut joiners = Vec::new();
        for _ in 0..n_adds {
            let j = self.joiner();
            b = b.add_member(j.kp.key_package.clone());
            joiners.push(j);
        }
        if self.rng.chance(25) {
            b = b.external_psk(PSK_IDS[self.rng.below(PSK_IDS.len())].to_vec());
        }
        if self.rng.chance(30) {
            b = b.force_path(true);
        }
        self.commit(who, b, joiners);
    }

    /// A commit injecting PSKs, with or without a path.
    fn psk_commit(&mut self) {
        let who = self.random_member();
        let mut b = self.members[who].group.commit();
        for _ in 0..self.rng.between(1, 2) {
            b = if self.rng.chance(50) {
                b.external_psk(PSK_IDS[self.rng.below(PSK_IDS.len())].to_vec())
            } else {
                b.resumption_psk(self.resumption_epoch())
            };
        }
        let b = b.force_path(self.rng.chance(50));
        self.commit(who, b, Vec::new());
    }

    /// Members, the external sender and a new member propose; another
    /// member commits the proposals by reference.
    fn proposals_by_reference(&mut self) {
        let committer = self.random_member();
        let mut joiners = Vec::new();
        let mut messages: Vec<(Option<usize>, MlsMessage)> = Vec::new();
        let mut removed: Vec<usize> = Vec::new();
        let mut updated: Vec<usize> = Vec::new();
        let n = self.rng.between(1, 3);
        // A Welcome joiner does not hold this group's resumption PSKs, so a
        // step either injects them or adds members.
        let with_resumption = self.rng.chance(30);
        let can_add =
            |sim: &Sim, joiners: &[Joiner]| !with_resumption && sim.room() > joiners.len();
        let can_remove = |sim: &Sim, removed: &[usize]| sim.members.len() - removed.len() > 2;
        for _ in 0..n {
            let proposer = self.random_member();
            // An Update of the proposer's own leaf (never the committer's:
            // its path replaces its leaf; at most one per member).
            if proposer != committer
                && !removed.contains(&proposer)
                && !updated.contains(&proposer)
                && self.rng.chance(25)
            {
                let m = &mut self.members[proposer];
                let msg = m.group.propose_update(&self.p, &m.signer).unwrap();
                updated.push(proposer);
                messages.push((Some(proposer), msg));
                self.count("update proposal");
                continue;
            }
            let proposal = match self.rng.below(4) {
                0 if can_add(self, &joiners) => {
                    let j = self.joiner();
                    let p = Proposal::Add(Box::new(Add {
                        key_package: j.kp.key_package.clone(),
                    }));
                    joiners.push(j);
                    p
                }
                1 if can_remove(self, &removed) => {
                    let target = self.removable(committer, 1);
                    match target.first() {
                        Some(t) if !removed.contains(t) && !updated.contains(t) => {
                            removed.push(*t);
                            Proposal::Remove(Remove {
                                removed: self.members[*t].group.own_leaf().0,
                            })
                        }
                        _ => continue,
                    }
                }
                2 if with_resumption => Proposal::PreSharedKey(PreSharedKey {
                    psk: self.fresh_psk_id(true),
                }),
                _ => Proposal::PreSharedKey(PreSharedKey {
                    psk: self.fresh_psk_id(false),
                }),
            };
            let m = &mut self.members[proposer];
            let msg = m.group.propose(&self.p, &m.signer, proposal).unwrap();
            messages.push((Some(proposer), msg));
        }
        // The external sender proposes an Add or a Remove.
        if self.rng.chance(40) {
            let g = &self.members[0].group;
            let (group_id, epoch) = (g.group_id().to_vec(), g.epoch());
            let target = self.removable(committer, 1);
            let proposal = match target.first() {
                Some(t)
                    if !removed.contains(t)
                        && !updated.contains(t)
                        && can_remove(self, &removed)
                        && self.rng.chance(50) =>
                {
                    removed.push(*t);
                    Some(Proposal::Remove(Remove {
                        removed: self.members[*t].group.own_leaf().0,
                    }))
                }
                _ if can_add(self, &joiners) => {
                    let j = self.joiner();
                    let p = Proposal::Add(Box::new(Add {
                        key_package: j.kp.key_package.clone(),
                    }));
                    joiners.push(j);
                    Some(p)
                }
                _ => None,
            };
            if let Some(proposal) = proposal {
                let msg =
                    external_proposal(&self.p, &self.ds, SUITE, &group_id, epoch, 0, proposal)
                        .unwrap();
                messages.push((None, msg));
                self.count("external sender proposal");
            }
        }
        // A new member asks to be added (authorized by the policy).
        if self.rng.chance(30) && can_add(self, &joiners) {
            let j = self.joiner();
            let g = &self.members[0].group;
            let msg = new_member_proposal(
                &self.p,
                &j.signer,
                g.group_id(),
                g.epoch(),
                &j.kp.key_package,
            )
            .unwrap();
            messages.push((None, msg));
            joiners.push(j);
            self.count("new member proposal");
        }
        for (proposer, msg) in &messages {
            for (i, m) in self.members.iter_mut().enumerate() {
                if Some(i) == *proposer {
                    continue;
                }
                match m.group.process(&self.p, msg).unwrap() {
                    ProcessedMessage::Proposal { .. } => {}
                    other => panic!("expected a proposal, got {other:?}"),
                }
            }
        }
        let expected = messages.len();
        for m in &self.members {
            assert_eq!(m.group.pending_proposals().len(), expected);
        }
        let b = self.members[committer]
            .group
            .commit()
            .force_path(self.rng.chance(30));
        self.commit(committer, b, joiners);
    }

    /// A new client joins by external commit, now and then with a PSK; or a
    /// member who lost its state rejoins, replacing its old leaf (resync).
    fn external_join(&mut self) {
        let resync = self.members.len() > 1 && self.rng.chance(30);
        if !resync && self.room() == 0 {
            self.count("self-update instead of a join (group full)");
            return self.self_update();
        }
        let publisher = self.random_member();
        let pm = &self.members[publisher];
        let with_tree = self.config.ratchet_tree_extension;
        let gi = pm.group.group_info(&self.p, &pm.signer, with_tree).unwrap();
        let tree = self.tree_out_of_band(publisher);
        let (old, id, name) = if resync {
            let old = self.random_member();
            let id = self.next_id;
            self.next_id += 1;
            (Some(old), id, self.members[old].name.clone())
        } else {
            let id = self.next_id;
            self.next_id += 1;
            (None, id, format!("c{id}"))
        };
        let s = signer(&self.p, SUITE);
        let kp = key_package_for(&self.p, SUITE, &name, &s);
        let mut options = ExternalJoinOptions::new();
        if let Some(old) = old {
            options = options.resync(self.members[old].group.own_leaf());
        }
        if self.rng.chance(40) {
            let id = PSK_IDS[self.rng.below(PSK_IDS.len())];
            options = options.external_psk(id.to_vec(), psk_value(id));
        }
        let (mut group, commit) = Group::join_external_with(
            &self.p,
            &s,
            group_info_of(&gi),
            tree,
            &kp,
            self.config.clone(),
            options,
        )
        .unwrap_or_else(|e| panic!("external join of {name} refused: {e:?}"));
        for (psk_id, psk) in psk_map() {
            group.add_external_psk(psk_id, psk);
        }
        for m in &mut self.members {
            let staged = stage(&self.p, &mut m.group, &commit);
            assert_eq!(staged.sender(), Sender::NewMemberCommit);
            m.group.merge_staged_commit(staged).unwrap();
        }
        if let Some(old) = old {
            assert!(!self.members[old].group.is_active(), "resync removes");
            self.members.remove(old);
            self.count("resync");
        }
        let epoch = self.epoch();
        self.members.push(Client {
            id,
            name,
            signer: s,
            group,
            joined: epoch,
        });
        self.check_agreement();
    }

    /// A few members send application messages; each receiver gets them in
    /// its own random order, and some are held back to arrive late.
    fn application_messages(&mut self) {
        let epoch = self.epoch();
        let n_senders = self.rng.between(1, self.members.len().min(3));
        let senders = self
            .rng
            .sample((0..self.members.len()).collect(), n_senders);
        let mut now: Vec<(usize, Vec<u8>, MlsMessage)> = Vec::new();
        for s in senders {
            for k in 0..self.rng.between(1, 4) {
                let held = self
                    .late
                    .iter()
                    .filter(|l| l.sender_id == self.members[s].id && l.epoch == epoch)
                    .count();
                let mut data = format!("{:#x}/{}/{}/{k}:", self.seed, self.step, s).into_bytes();
                let extra = self.rng.below(40);
                data.extend(self.rng.bytes(extra));
                let m = &mut self.members[s];
                let msg = m.group.encrypt(&self.p, &m.signer, &data, b"").unwrap();
                if held < MAX_LATE_PER_SENDER && self.rng.chance(20) {
                    let receivers = self
                        .members
                        .iter()
                        .filter(|c| c.id != self.members[s].id)
                        .map(|c| c.id)
                        .collect();
                    self.late.push(Late {
                        epoch,
                        sender_id: self.members[s].id,
                        sender_leaf: self.members[s].group.own_leaf(),
                        data,
                        msg,
                        receivers,
                    });
                } else {
                    now.push((s, data, msg));
                }
            }
        }
        for r in 0..self.members.len() {
            let mut order: Vec<usize> = (0..now.len()).filter(|&i| now[i].0 != r).collect();
            self.rng.shuffle(&mut order);
            for i in order {
                let (s, data, msg) = &now[i];
                let sender_leaf = self.members[*s].group.own_leaf();
                match self.members[r].group.process(&self.p, msg).unwrap() {
                    ProcessedMessage::Application {
                        sender,
                        epoch: e,
                        data: got,
                        ..
                    } => {
                        assert_eq!(&got, data);
                        assert_eq!(sender, sender_leaf);
                        assert_eq!(e, epoch);
                    }
                    other => panic!("expected application data, got {other:?}"),
                }
                self.last_message = Some(msg.clone());
            }
        }
    }

    /// Delivers some held-back messages: within `max_past_epochs` they
    /// decrypt, older ones fail with `WrongEpoch`.
    fn deliver_late(&mut self) {
        let mut keep = Vec::new();
        let late = std::mem::take(&mut self.late);
        let current = self.epoch();
        for l in late {
            if !self.rng.chance(50) {
                keep.push(l);
                continue;
            }
            let retained = current - l.epoch <= self.config.max_past_epochs as u64;
            for m in &mut self.members {
                if !l.receivers.contains(&m.id) {
                    continue;
                }
                if retained {
                    match m.group.process(&self.p, &l.msg).unwrap() {
                        ProcessedMessage::Application {
                            sender,
                            epoch,
                            data,
                            ..
                        } => {
                            assert_eq!(data, l.data);
                            assert_eq!(sender, l.sender_leaf);
                            assert_eq!(epoch, l.epoch);
                        }
                        other => panic!("expected application data, got {other:?}"),
                    }
                } else {
                    refused(
                        &self.p,
                        &mut m.group,
                        &l.msg,
                        Error::Validation(ValidationError::WrongEpoch { epoch: l.epoch }),
                    );
                }
            }
            self.count(if retained {
                "late message"
            } else {
                "expired message"
            });
        }
        self.late = keep;
    }

    /// A member saves its state and continues from the reloaded copy, with
    /// its proposal policy installed again (it is not stored).
    fn save_and_reload(&mut self) {
        let who = self.random_member();
        let m = &mut self.members[who];
        m.group.save_as(&self.p, m.name.as_bytes()).unwrap();
        let mut loaded = Group::load_as(&self.p, m.name.as_bytes(), m.group.group_id())
            .unwrap()
            .expect("saved");
        assert!(loaded.config().proposal_policy.is_default());
        loaded.set_proposal_policy(self.config.proposal_policy.clone());
        assert_eq!(loaded.config(), m.group.config());
        m.group = loaded;
        self.check_agreement();
    }

    /// Every member but `attacker` refuses `msg` with an error and keeps
    /// its whole state; the refusal is counted under `attack`.
    fn all_refuse(&mut self, attacker: usize, msg: &MlsMessage, attack: &'static str) {
        for (i, m) in self.members.iter_mut().enumerate() {
            if i == attacker {
                continue;
            }
            let before = snapshot(&m.group);
            let result = m.group.process(&self.p, msg);
            assert!(
                result.is_err(),
                "{} accepted a malicious message ({attack}) from member {attacker}",
                m.name
            );
            assert_eq!(snapshot(&m.group), before, "{} changed by {attack}", m.name);
        }
        self.count(attack);
    }

    /// A member sends, with its valid signature key, what an honest member
    /// never would (see the module documentation). The attacker's own
    /// state only moves where sending moves it (its handshake ratchet).
    fn malicious(&mut self) {
        let attacker = self.random_member();
        let victim = self
            .removable(attacker, 1)
            .first()
            .map(|&i| self.members[i].group.own_leaf());
        let choice = self.rng.below(7);
        let (msg, attack): (MlsMessage, &'static str) = match choice {
            0 => {
                let hook = Arc::new(|c: &mut cohort::messages::Commit| {
                    if let Some(path) = c.path.as_mut()
                        && let Some(node) = path.nodes.0.first_mut()
                    {
                        node.encryption_key.0[0] ^= 1;
                    } else if let Some(path) = c.path.as_mut() {
                        path.leaf_node.encryption_key.0[0] ^= 1;
                    }
                });
                let b = self.members[attacker]
                    .group
                    .commit()
                    .force_path(true)
                    .tamper_commit(hook);
                (
                    self.attack_commit(attacker, b),
                    "malicious: changed path key",
                )
            }
            1 => {
                let hook = Arc::new(|c: &mut cohort::messages::Commit| {
                    if let Some(path) = c.path.as_mut() {
                        path.leaf_node.credential = Credential::basic("mallory");
                    }
                });
                let b = self.members[attacker]
                    .group
                    .commit()
                    .force_path(true)
                    .tamper_commit(hook);
                (
                    self.attack_commit(attacker, b),
                    "malicious: changed path leaf",
                )
            }
            2 => {
                let hook = Arc::new(|c: &mut cohort::messages::Commit| {
                    if let Some(first) = c.proposals.0.first().cloned() {
                        c.proposals.0.push(first);
                    }
                });
                let b = match victim {
                    Some(v) => self.members[attacker].group.commit().remove_member(v),
                    None => {
                        let psk = self.fresh_psk_id(false);
                        self.members[attacker].group.commit().psk(psk)
                    }
                };
                (
                    self.attack_commit(attacker, b.tamper_commit(hook)),
                    "malicious: duplicate proposal",
                )
            }
            3 => {
                let reference = self.rng.bytes(32);
                let hook = Arc::new(move |c: &mut cohort::messages::Commit| {
                    c.proposals
                        .0
                        .push(cohort::messages::ProposalOrRef::Reference(
                            reference.clone().into(),
                        ));
                });
                let b = self.members[attacker]
                    .group
                    .commit()
                    .force_path(true)
                    .tamper_commit(hook);
                (
                    self.attack_commit(attacker, b),
                    "malicious: unknown reference",
                )
            }
            4 => {
                let b = self.members[attacker]
                    .group
                    .commit()
                    .force_path(true)
                    .tamper_confirmation_tag(Arc::new(|t: &mut Vec<u8>| t[0] ^= 0x80));
                (
                    self.attack_commit(attacker, b),
                    "malicious: wrong confirmation tag",
                )
            }
            5 => {
                let message = self
                    .last_message
                    .clone()
                    .filter(|_| self.rng.chance(50))
                    .map(|m| (m, "malicious: replayed application message"));
                let commit = || {
                    self.last_commit
                        .clone()
                        .map(|c| (c, "malicious: replayed commit"))
                };
                match message.or_else(commit) {
                    Some(replayed) => replayed,
                    None => return,
                }
            }
            _ => {
                // The attacker's own fork moves one epoch ahead alone.
                let mut fork = self.members[attacker].group.clone();
                let signer = &self.members[attacker].signer;
                let b = fork.commit().force_path(true);
                let (_, staged) = fork.create_commit(&self.p, signer, b).unwrap();
                fork.merge_staged_commit(staged).unwrap();
                let msg = if self.rng.chance(50) {
                    fork.encrypt(&self.p, signer, b"from a fork", b"").unwrap()
                } else {
                    let b = fork.commit().force_path(true);
                    fork.create_commit(&self.p, signer, b).unwrap().0.commit
                };
                (msg, "malicious: epoch of a fork")
            }
        };
        self.all_refuse(attacker, &msg, attack);
        self.check_agreement();
    }

    /// The attacker builds `builder` (its staged commit is dropped: the
    /// commit is never merged).
    fn attack_commit(&mut self, attacker: usize, builder: CommitBuilder) -> MlsMessage {
        let m = &mut self.members[attacker];
        let (out, _) = m
            .group
            .create_commit(&self.p, &m.signer, builder)
            .unwrap_or_else(|e| panic!("malicious commit by {} not built: {e:?}", m.name));
        out.commit
    }

    fn run_step(&mut self, replay: &mut Replay) {
        let roll = self.rng.below(100);
        let op: &'static str = match roll {
            0..=10 => "self-update",
            11..=27 => "add/remove by value",
            28..=36 => "psk commit",
            37..=50 => "proposals by reference",
            51..=59 => "external join",
            60..=85 => "application messages",
            86..=92 => "malicious member",
            _ => "save and reload",
        };
        replay.op = op;
        match op {
            "self-update" => self.self_update(),
            "add/remove by value" => self.add_remove(),
            "psk commit" => self.psk_commit(),
            "proposals by reference" => self.proposals_by_reference(),
            "external join" => self.external_join(),
            "application messages" => self.application_messages(),
            "malicious member" => self.malicious(),
            _ => self.save_and_reload(),
        }
        self.count(op);
        if self.rng.chance(30) {
            replay.op = "late delivery";
            self.deliver_late();
        }
    }
}

fn run(seed: u64, steps: usize) -> BTreeMap<&'static str, u32> {
    let mut replay = Replay {
        seed,
        step: 0,
        op: "setup",
    };
    let mut sim = Sim::new(seed);
    // Start from a few members.
    let joiners: Vec<Joiner> = (0..3).map(|_| sim.joiner()).collect();
    let mut b = sim.members[0].group.commit();
    for j in &joiners {
        b = b.add_member(j.kp.key_package.clone());
    }
    sim.commit(0, b, joiners);
    for step in 0..steps {
        sim.step = step;
        replay.step = step;
        sim.run_step(&mut replay);
    }
    replay.op = "final late delivery";
    while !sim.late.is_empty() {
        sim.deliver_late();
    }
    sim.counts.insert("final members", sim.members.len() as u32);
    sim.counts.insert("final epoch", sim.epoch() as u32);
    sim.counts
}

fn parse_seed(s: &str) -> u64 {
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).expect("hex seed"),
        None => s.parse().expect("decimal seed"),
    }
}

#[test]
fn random_operations_keep_every_member_in_agreement() {
    let steps = std::env::var("COHORT_SIM_STEPS")
        .map(|s| s.parse().expect("COHORT_SIM_STEPS"))
        .unwrap_or(DEFAULT_STEPS);
    let seeds: Vec<u64> = match std::env::var("COHORT_SIM_SEED") {
        Ok(s) => vec![parse_seed(&s)],
        Err(_) => SEEDS.to_vec(),
    };
    for seed in seeds {
        let counts = run(seed, steps);
        println!("seed {seed:#x}: {counts:#?}");
        // Every kind of operation ran.
        for op in [
            "self-update",
            "add/remove by value",
            "psk commit",
            "proposals by reference",
            "external join",
            "application messages",
            "malicious member",
            "save and reload",
        ] {
            assert!(
                counts.get(op).copied().unwrap_or(0) > 0,
                "seed {seed:#x}: no {op}"
            );
        }
    }
}

/// The same seed replays the same run: identical epoch authenticators.
#[test]
fn a_seed_replays_exactly() {
    let trace = |seed: u64| {
        let mut sim = Sim::new(seed);
        let mut replay = Replay {
            seed,
            step: 0,
            op: "setup",
        };
        let mut out = Vec::new();
        for step in 0..20 {
            sim.step = step;
            replay.step = step;
            sim.run_step(&mut replay);
            out.push(sim.members[0].group.epoch_authenticator().to_vec());
        }
        out
    };
    assert_eq!(trace(7), trace(7));
    assert_ne!(trace(7), trace(8));
}

/// Found by the simulation: a late message of epoch `e` from a member whose
/// leaf a commit of a later epoch (not the one ending `e`) gave to someone
/// else still verifies under the sender's key of epoch `e`.
#[test]
fn late_message_from_a_leaf_replaced_two_epochs_later() {
    let p = provider(0x5eed_1000);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let epoch = members[1].group.epoch();
    let late = {
        let bob = &mut members[1];
        bob.group
            .encrypt(&p, &bob.signer, b"sent before", b"")
            .unwrap()
    };
    commit_all(&p, &mut members, 0, |g| g.commit().force_path(true));
    // Bob leaves and dave takes his leaf.
    let (_, dave) = client(&p, SUITE, "dave");
    let kp = dave.key_package.clone();
    commit_all(&p, &mut members, 0, move |g| {
        g.commit().remove_member(LeafIndex(1)).add_member(kp)
    });
    let carol = &mut members[2].group;
    assert_ne!(
        carol.tree().leaf(LeafIndex(1)).unwrap().credential,
        Credential::basic("bob")
    );
    match carol.process(&p, &late).unwrap() {
        ProcessedMessage::Application {
            sender,
            epoch: e,
            data,
            ..
        } => {
            assert_eq!(data, b"sent before");
            assert_eq!(sender, LeafIndex(1));
            assert_eq!(e, epoch);
        }
        other => panic!("{other:?}"),
    }
}
