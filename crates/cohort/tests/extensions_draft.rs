//! The MLS extensions draft (draft-ietf-mls-extensions, the working group's
//! editor's copy of 2026-07-01, after draft-10; provisional code points):
//! SelfRemove, AppDataUpdate with the `app_data_dictionary` extension,
//! AppEphemeral, and custom proposal types with application logic, in
//! groups of real clients. Every refusal names its error and leaves the
//! group as it was.

use cohort::client::{Client, ClientConfig, ClientGroup};
use cohort::codec::VarVec;
use cohort::framing::{MlsMessage, MlsMessageBody, WireFormat};
use cohort::group::{
    AppProposalInfo, AppRegistry, ComponentHandler, CustomProposalHandler, ExternalJoinOptions,
    GroupConfig, ProcessedMessage, WireFormatPolicy,
};
use cohort::messages::app::{ComponentsList, SafeAad};
use cohort::messages::{
    AppDataDictionary, Capabilities, Credential, ExtensionType, Extensions, Proposal,
    ProposalOrRef, ProposalType, RequiredCapabilities,
};
use cohort::tree::TreeView;
use cohort::{Error, MisuseError, ValidationError};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{ProviderBundle, SignatureScheme};
use std::sync::Arc;

type P = ProviderBundle<RustCrypto, SeededRand, Arc<MemoryStorage>>;

/// A component holding the group's name: an update replaces it.
const NAME: u16 = 0x8001;
/// A component holding a counter: each update adds its big-endian u32.
const COUNTER: u16 = 0x8002;
/// A custom proposal type setting the group's topic in [`TOPIC_EXT`].
const SET_TOPIC: ProposalType = ProposalType(0xF001);
/// The group context extension [`SET_TOPIC`] writes.
const TOPIC_EXT: ExtensionType = ExtensionType(0xF0F1);

struct Name;

impl ComponentHandler for Name {
    fn apply_updates(
        &self,
        _current: Option<&[u8]>,
        updates: &[&[u8]],
        _info: &AppProposalInfo<'_>,
    ) -> Result<Vec<u8>, String> {
        let last = updates.last().ok_or("no update")?;
        if last.len() > 32 {
            return Err("name longer than 32 bytes".into());
        }
        Ok(last.to_vec())
    }

    fn check_ephemeral(&self, data: &[u8], _info: &AppProposalInfo<'_>) -> Result<(), String> {
        if data.starts_with(b"ack:") {
            Ok(())
        } else {
            Err("not an ack".into())
        }
    }
}

struct Counter;

impl ComponentHandler for Counter {
    fn apply_updates(
        &self,
        current: Option<&[u8]>,
        updates: &[&[u8]],
        _info: &AppProposalInfo<'_>,
    ) -> Result<Vec<u8>, String> {
        let read = |b: &[u8]| -> Result<u32, String> {
            Ok(u32::from_be_bytes(
                b.try_into().map_err(|_| "not a u32".to_string())?,
            ))
        };
        let mut n = current.map(read).transpose()?.unwrap_or(0);
        for u in updates {
            n = n.checked_add(read(u)?).ok_or("counter overflow")?;
        }
        Ok(n.to_be_bytes().to_vec())
    }
}

struct SetTopic;

impl CustomProposalHandler for SetTopic {
    fn path_required(&self) -> bool {
        false
    }

    fn validate(&self, data: &[u8], _info: &AppProposalInfo<'_>) -> Result<(), String> {
        let topic: cohort::codec::VarBytes = tls_decode(data)?;
        if topic.0.is_empty() {
            return Err("empty topic".into());
        }
        Ok(())
    }

    fn apply(
        &self,
        data: &[u8],
        extensions: &mut Extensions,
        _info: &AppProposalInfo<'_>,
    ) -> Result<(), String> {
        let topic: cohort::codec::VarBytes = tls_decode(data)?;
        extensions.0.retain(|e| e.extension_type != TOPIC_EXT);
        extensions.push_encoded(TOPIC_EXT, topic.0);
        Ok(())
    }
}

fn tls_decode<T: tls_codec::DeserializeBytes>(data: &[u8]) -> Result<T, String> {
    cohort::codec::decode_exact(data).map_err(|e| e.to_string())
}

/// What a client supports.
#[derive(Clone, Copy)]
struct Features {
    /// Lists the draft's proposal types and `app_data_dictionary`.
    draft: bool,
    /// Registers the components and the custom type (and lists it).
    app: bool,
    /// Sends handshake messages as PrivateMessages.
    private: bool,
    /// Advertises the media types of [`media_types`] in its leaves.
    media: bool,
}

const ALL: Features = Features {
    draft: true,
    app: true,
    private: false,
    media: false,
};

/// The media types of the content-advertisement tests.
fn media_types() -> cohort::messages::app::MediaTypeList {
    use cohort::messages::app::{MediaType, MediaTypeList};
    MediaTypeList {
        media_type_list: VarVec(vec![
            MediaType::new("text/plain", &[("charset", "UTF-8")]),
            MediaType::new("image/png", &[]),
        ]),
    }
}

fn registry() -> AppRegistry {
    AppRegistry::new()
        .with_component(NAME, Name)
        .with_component(COUNTER, Counter)
        .with_app_ack()
        .with_proposal_type(SET_TOPIC, SetTopic)
}

fn client(storage: &Arc<MemoryStorage>, name: &str, seed: u64, f: Features) -> Client<P> {
    let signer = SignatureKeyPair::generate(
        RustCrypto::new(),
        SignatureScheme::ED25519,
        &SeededRand::from_u64(seed ^ 0x5e1f),
    )
    .unwrap();
    let mut proposals = Vec::new();
    let mut extensions = vec![TOPIC_EXT];
    if f.draft {
        proposals.extend([
            ProposalType::APP_DATA_UPDATE,
            ProposalType::APP_EPHEMERAL,
            ProposalType::SELF_REMOVE,
        ]);
        extensions.push(ExtensionType::APP_DATA_DICTIONARY);
    }
    if f.app {
        proposals.push(SET_TOPIC);
    }
    let config = ClientConfig {
        group: GroupConfig {
            grease: false,
            wire_format: if f.private {
                WireFormatPolicy::AlwaysPrivate
            } else {
                WireFormatPolicy::MixedPublic
            },
            app: if f.app {
                registry()
            } else {
                AppRegistry::new()
            },
            ..GroupConfig::default()
        },
        capabilities: Capabilities {
            proposals: VarVec(proposals),
            extensions: VarVec(extensions),
            ..Capabilities::default()
        },
        app_data: {
            let mut d = AppDataDictionary::new();
            if f.media {
                d.set(
                    cohort::messages::app::component::CONTENT_MEDIA_TYPES,
                    cohort::codec::encode(&media_types()).unwrap(),
                );
            }
            d
        },
        ..ClientConfig::default()
    };
    let p = ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(seed),
        storage.clone(),
    );
    Client::new(
        p,
        name.as_bytes().to_vec(),
        signer,
        Credential::basic(name),
        config,
    )
    .unwrap()
}

fn clients(features: &[Features]) -> Vec<Client<P>> {
    let storage = Arc::new(MemoryStorage::new());
    features
        .iter()
        .enumerate()
        .map(|(i, f)| client(&storage, &format!("m{i}"), 100 + i as u64, *f))
        .collect()
}

/// A group of all `clients`, the first creating it and adding the others.
fn group(clients: &[Client<P>]) -> Vec<ClientGroup<'_, P>> {
    group_with(clients, Extensions::new())
}

/// [`group`] with the group context extensions `extensions`.
fn group_with(clients: &[Client<P>], extensions: Extensions) -> Vec<ClientGroup<'_, P>> {
    let mut first = clients[0]
        .create_group_with(cohort::client::CreateOptions {
            group_id: None,
            extensions,
        })
        .unwrap();
    let kps: Vec<MlsMessage> = clients[1..]
        .iter()
        .map(|c| c.generate_key_package().unwrap())
        .collect();
    let mut builder = first.commit_builder();
    for kp in &kps {
        let MlsMessageBody::KeyPackage(kp) = &kp.body else {
            unreachable!()
        };
        builder = builder.add_member(kp.clone());
    }
    let out = first.commit(builder).unwrap();
    first.merge_pending_commit().unwrap();
    let welcome = out.welcome.unwrap();
    let mut groups = vec![first];
    for c in &clients[1..] {
        let staged = c.stage_welcome(&welcome, Default::default()).unwrap();
        groups.push(c.join(staged).unwrap());
    }
    groups
}

/// Every group in `gs` processes `m` (a commit) and merges it.
fn apply_commit(gs: &mut [&mut ClientGroup<'_, P>], m: &MlsMessage) {
    for g in gs.iter_mut() {
        match g.process(m).unwrap() {
            ProcessedMessage::Commit(staged) => g.merge_staged_commit(*staged).unwrap(),
            other => panic!("expected a commit, got {other:?}"),
        }
    }
}

/// Every group in `gs` processes `m` (a proposal).
fn apply_proposal(gs: &mut [&mut ClientGroup<'_, P>], m: &MlsMessage) {
    for g in gs.iter_mut() {
        assert!(matches!(
            g.process(m).unwrap(),
            ProcessedMessage::Proposal { .. }
        ));
    }
}

fn agree(gs: &[&ClientGroup<'_, P>]) {
    for g in gs {
        assert_eq!(g.epoch(), gs[0].epoch());
        assert_eq!(g.epoch_authenticator(), gs[0].epoch_authenticator());
        assert_eq!(g.group().context(), gs[0].group().context());
    }
}

/// What must not change when a message is refused.
fn state(g: &ClientGroup<'_, P>) -> (u64, Vec<u8>, usize) {
    (
        g.epoch(),
        g.epoch_authenticator().to_vec(),
        g.pending_proposals().len(),
    )
}

fn refused(g: &mut ClientGroup<'_, P>, m: &MlsMessage, expected: Error) {
    let before = state(g);
    assert_eq!(g.process(m).unwrap_err(), expected);
    assert_eq!(state(g), before);
}

/// A client named `name` with `config`, presenting the credential `make`
/// builds for its signature key (Ed25519, seeded from the name).
fn new_client(
    storage: &Arc<MemoryStorage>,
    name: &str,
    config: ClientConfig,
    make: impl FnOnce(&[u8]) -> Credential,
) -> Client<P> {
    let seed = name.bytes().fold(0x5eedu64, |h, b| {
        h.wrapping_mul(31).wrapping_add(u64::from(b))
    });
    let signer = SignatureKeyPair::generate(
        RustCrypto::new(),
        SignatureScheme::ED25519,
        &SeededRand::from_u64(seed),
    )
    .unwrap();
    let credential = make(cohort_traits::Signer::public_key(&signer));
    Client::new(
        ProviderBundle::new(
            RustCrypto::new(),
            SeededRand::from_u64(seed ^ 1),
            storage.clone(),
        ),
        name.as_bytes().to_vec(),
        signer,
        credential,
        config,
    )
    .unwrap()
}

/// An Add of `kp` is refused with `expected`, and `g` is unchanged.
fn add_refused(g: &mut ClientGroup<'_, P>, kp: cohort::messages::KeyPackage, expected: Error) {
    let before = state(g);
    assert_eq!(
        g.commit(g.commit_builder().add_member(kp)).unwrap_err(),
        expected
    );
    assert_eq!(state(g), before);
}

/// A fresh KeyPackage of `c`.
fn key_package(c: &Client<P>) -> cohort::messages::KeyPackage {
    match c.generate_key_package().unwrap().body {
        MlsMessageBody::KeyPackage(kp) => kp,
        _ => unreachable!(),
    }
}

/// `joiner` joins `g`'s group: an Add of a fresh KeyPackage, merged, and
/// the Welcome; the two then agree.
fn add_and_join<'c>(g: &mut ClientGroup<'_, P>, joiner: &'c Client<P>) -> ClientGroup<'c, P> {
    add_and_join_kp(g, joiner, key_package(joiner))
}

/// [`add_and_join`] with the joiner's KeyPackage `kp`.
fn add_and_join_kp<'c>(
    g: &mut ClientGroup<'_, P>,
    joiner: &'c Client<P>,
    kp: cohort::messages::KeyPackage,
) -> ClientGroup<'c, P> {
    let out = g.commit(g.commit_builder().add_member(kp)).unwrap();
    g.merge_pending_commit().unwrap();
    let staged = joiner
        .stage_welcome(&out.welcome.unwrap(), Default::default())
        .unwrap();
    let joined = joiner.join(staged).unwrap();
    agree(&[g, &joined]);
    joined
}

fn dictionary(g: &ClientGroup<'_, P>) -> AppDataDictionary {
    g.group()
        .context()
        .extensions
        .get::<AppDataDictionary>()
        .unwrap()
        .unwrap_or_default()
}

fn public_body(m: &MlsMessage) -> &cohort::framing::PublicMessage {
    match &m.body {
        MlsMessageBody::PublicMessage(pm) => pm,
        other => panic!("expected a PublicMessage, got {other:?}"),
    }
}

// ---------------------------------------------------------------- SelfRemove

/// A member leaves by SelfRemove: sent as a PublicMessage even under an
/// always-private policy, committed by another member's next commit
/// (which must include it), and the leaver sees its own removal.
#[test]
fn self_remove_is_committed_by_the_next_commit() {
    let private = Features {
        private: true,
        ..ALL
    };
    let cs = clients(&[private, private, private]);
    let mut gs = group(&cs);
    let [a, b, c] = &mut gs[..] else {
        unreachable!()
    };
    let leave = c.propose_self_remove().unwrap();
    assert_eq!(leave.wire_format(), WireFormat::PUBLIC_MESSAGE);
    apply_proposal(&mut [a, b], &leave);
    // B's commit includes it by reference, with no other proposal.
    let out = b.commit(b.commit_builder()).unwrap();
    b.merge_pending_commit().unwrap();
    let ProcessedMessage::Commit(staged) = c.process(&out.commit).unwrap() else {
        panic!("expected a commit")
    };
    assert!(staged.removes_self());
    assert_eq!(staged.proposals().len(), 1);
    assert!(matches!(
        staged.proposals()[0].proposal,
        Proposal::SelfRemove(_)
    ));
    apply_commit(&mut [a], &out.commit);
    agree(&[a, b]);
    assert_eq!(a.roster().len(), 2);
}

/// A SelfRemove needs a self-remove-capable group: every member lists the
/// type (C-PROP-19 on the sending side); and one per member and epoch.
#[test]
fn self_remove_needs_support_and_is_sent_once() {
    let plain = Features {
        draft: false,
        app: false,
        private: false,
        media: false,
    };
    let cs = clients(&[ALL, plain]);
    let mut gs = group(&cs);
    assert_eq!(
        gs[0].propose_self_remove().unwrap_err(),
        Error::Misuse(MisuseError::NotSupportedByGroup {
            proposal_type: ProposalType::SELF_REMOVE.0,
            leaf: 1,
        })
    );
    let cs = clients(&[ALL, ALL]);
    let mut gs = group(&cs);
    gs[1].propose_self_remove().unwrap();
    assert_eq!(
        gs[1].propose_self_remove().unwrap_err(),
        Error::Misuse(MisuseError::SelfRemoveAlreadySent)
    );
}

/// A pending Remove of a member that removes itself is left out of the
/// next commit (the Remove is invalid beside the SelfRemove); a commit
/// holding both is refused with `SelfRemoveConflict`, and one holding a
/// SelfRemove by value with `SelfRemoveMisused`.
#[test]
fn self_remove_beside_a_remove_of_the_same_leaf() {
    let cs = clients(&[ALL, ALL, ALL, ALL]);
    let mut gs = group(&cs);
    let [a, b, c, d] = &mut gs[..] else {
        unreachable!()
    };
    let leave = c.propose_self_remove().unwrap();
    let remove = a.propose_remove(c.own_index()).unwrap();
    apply_proposal(&mut [a, b, d], &leave);
    apply_proposal(&mut [b, c, d], &remove);
    let leave_ref = b.pending_proposals()[0].reference.clone().unwrap();
    let remove_ref = b.pending_proposals()[1].reference.clone().unwrap();

    // A commit by reference to both, as a faulty member could send.
    let both = b
        .commit_builder()
        .include_pending_proposals(false)
        .tamper_commit(Arc::new(move |commit| {
            commit.proposals = VarVec(vec![
                ProposalOrRef::Reference(leave_ref.clone().into()),
                ProposalOrRef::Reference(remove_ref.clone().into()),
            ]);
        }))
        .force_path(true);
    let bad = b.commit(both).unwrap();
    b.clear_pending_commit().unwrap();
    refused(
        a,
        &bad.commit,
        ValidationError::SelfRemoveConflict { leaf: 2 }.into(),
    );

    // The SelfRemove by value in a commit.
    let by_value = b
        .commit_builder()
        .include_pending_proposals(false)
        .tamper_commit(Arc::new(|commit| {
            commit
                .proposals
                .0
                .push(ProposalOrRef::Proposal(Box::new(Proposal::SelfRemove(
                    cohort::messages::SelfRemove,
                ))));
        }))
        .force_path(true);
    let bad = b.commit(by_value).unwrap();
    b.clear_pending_commit().unwrap();
    refused(
        d,
        &bad.commit,
        ValidationError::SelfRemoveMisused("by value in a commit").into(),
    );

    // B's own commit keeps the SelfRemove and drops the Remove.
    let out = b.commit(b.commit_builder()).unwrap();
    b.merge_pending_commit().unwrap();
    let ProcessedMessage::Commit(staged) = a.process(&out.commit).unwrap() else {
        panic!()
    };
    let types: Vec<_> = staged
        .proposals()
        .iter()
        .map(|q| q.proposal.proposal_type())
        .collect();
    assert_eq!(types, vec![ProposalType::SELF_REMOVE]);
    a.merge_staged_commit(*staged).unwrap();
    apply_commit(&mut [d], &out.commit);
    agree(&[a, b, d]);
}

/// A new member joining by external commit includes the pending SelfRemove
/// it fetched with the GroupInfo, by reference (the draft's exception to
/// C-EXT-07); the members process it; a SelfRemove whose signature does
/// not verify is refused by the joiner.
#[test]
fn external_join_commits_pending_self_removes() {
    let cs = clients(&[ALL, ALL, ALL, ALL]);
    let mut gs = group(&cs[..3]);
    let [a, b, c] = &mut gs[..] else {
        unreachable!()
    };
    let leave = c.propose_self_remove().unwrap();
    apply_proposal(&mut [a, b], &leave);
    let gi = a.group_info(true).unwrap();

    let mut forged = leave.clone();
    if let MlsMessageBody::PublicMessage(pm) = &mut forged.body {
        let sig = &mut pm.auth.signature.0;
        sig[0] ^= 1;
    }
    let err = cs[3]
        .join_external(
            &gi,
            None,
            ExternalJoinOptions::new().self_remove_proposals(vec![forged]),
        )
        .unwrap_err();
    assert_eq!(err, ValidationError::InvalidSignature.into());
    assert!(cs[3].group_ids().unwrap().is_empty());

    let (mut d, commit) = cs[3]
        .join_external(
            &gi,
            None,
            ExternalJoinOptions::new().self_remove_proposals(vec![leave.clone()]),
        )
        .unwrap();
    let pm = public_body(&commit);
    let cohort::framing::FramedContentBody::Commit(body) = &pm.content.body else {
        panic!()
    };
    assert!(
        body.proposals
            .0
            .iter()
            .any(|p| matches!(p, ProposalOrRef::Reference(_)))
    );
    let ProcessedMessage::Commit(staged) = c.process(&commit).unwrap() else {
        panic!()
    };
    assert!(staged.removes_self());
    apply_commit(&mut [a, b], &commit);
    agree(&[a, b, &d]);
    assert_eq!(d.roster().len(), 3);
    // The joiner took the leaver's leaf, the leftmost blank one.
    assert_eq!(d.own_index().0, 2);
    d.encrypt(b"hello", b"").unwrap();
}

/// Without the SelfRemove in its cache a member refuses an external commit
/// referencing it (C-EXT-07 still holds for anything else).
#[test]
fn external_commit_with_an_unknown_reference_is_refused() {
    let cs = clients(&[ALL, ALL, ALL, ALL]);
    let mut gs = group(&cs[..3]);
    let [a, b, c] = &mut gs[..] else {
        unreachable!()
    };
    let leave = c.propose_self_remove().unwrap();
    apply_proposal(&mut [a], &leave);
    let gi = a.group_info(true).unwrap();
    let (_d, commit) = cs[3]
        .join_external(
            &gi,
            None,
            ExternalJoinOptions::new().self_remove_proposals(vec![leave]),
        )
        .unwrap();
    // B never received the SelfRemove.
    refused(b, &commit, ValidationError::ExternalCommitReference.into());
    apply_commit(&mut [a], &commit);
}

// ----------------------------------------------- AppDataUpdate, AppEphemeral

/// AppDataUpdates change the group context's `app_data_dictionary` through
/// each component's logic, with no UpdatePath; several updates of one
/// component fold in commit order; a remove deletes the entry; every
/// member ends with the same context.
#[test]
fn app_data_updates_change_the_dictionary() {
    let cs = clients(&[ALL, ALL, ALL]);
    let mut gs = group(&cs);
    let [a, b, c] = &mut gs[..] else {
        unreachable!()
    };
    let builder = a
        .commit_builder()
        .app_data_update(NAME, b"team".to_vec())
        .app_data_update(COUNTER, 5u32.to_be_bytes().to_vec())
        .app_data_update(COUNTER, 7u32.to_be_bytes().to_vec());
    let out = a.commit(builder).unwrap();
    let cohort::framing::FramedContentBody::Commit(body) = &public_body(&out.commit).content.body
    else {
        panic!()
    };
    assert!(body.path.is_none(), "AppDataUpdate needs no path");
    a.merge_pending_commit().unwrap();
    apply_commit(&mut [b, c], &out.commit);
    agree(&[a, b, c]);
    let d = dictionary(a);
    assert_eq!(d.get(NAME), Some(&b"team"[..]));
    assert_eq!(d.get(COUNTER), Some(&12u32.to_be_bytes()[..]));
    let ids: Vec<u16> = d.entries().iter().map(|e| e.component_id).collect();
    assert_eq!(ids, vec![NAME, COUNTER]);

    // An update proposed on its own by another member, then a remove.
    let p = b
        .propose(Proposal::AppDataUpdate(cohort::messages::AppDataUpdate {
            component_id: COUNTER,
            change: cohort::messages::AppDataChange::Update(1u32.to_be_bytes().to_vec().into()),
        }))
        .unwrap();
    apply_proposal(&mut [a, c], &p);
    let out = c.commit(c.commit_builder().app_data_remove(NAME)).unwrap();
    c.merge_pending_commit().unwrap();
    apply_commit(&mut [a, b], &out.commit);
    agree(&[a, b, c]);
    let d = dictionary(b);
    assert_eq!(d.get(NAME), None);
    assert_eq!(d.get(COUNTER), Some(&13u32.to_be_bytes()[..]));
}

/// The list rules of AppDataUpdate: a component the application does not
/// know, a remove of a component with no entry, an update beside a remove,
/// and an update the component's logic refuses are each refused by the
/// committer, with nothing changed.
#[test]
fn app_data_update_lists_that_are_refused() {
    let cs = clients(&[ALL, ALL]);
    let mut gs = group(&cs);
    let a = &mut gs[0];
    let before = state(a);
    let cases: Vec<(cohort::group::CommitBuilder, Error)> = vec![
        (
            a.commit_builder().app_data_update(0x9999, b"x".to_vec()),
            ValidationError::UnknownComponent {
                component_id: 0x9999,
            }
            .into(),
        ),
        (
            a.commit_builder().app_data_remove(NAME),
            ValidationError::AppDataUpdateInvalid {
                component_id: NAME,
                reason: "remove of a component with no entry",
            }
            .into(),
        ),
        (
            a.commit_builder()
                .app_data_update(NAME, b"x".to_vec())
                .app_data_remove(NAME),
            ValidationError::AppDataUpdateInvalid {
                component_id: NAME,
                reason: "update and remove together",
            }
            .into(),
        ),
        (
            a.commit_builder().app_data_update(NAME, vec![b'n'; 33]),
            ValidationError::ApplicationRefused {
                what: "app_data_update 0x8001".into(),
                reason: "name longer than 32 bytes".into(),
            }
            .into(),
        ),
    ];
    for (builder, expected) in cases {
        assert_eq!(a.commit(builder).unwrap_err(), expected);
        assert_eq!(state(a), before);
        assert!(a.pending_commit().is_none());
    }
}

/// A member that has not registered a component refuses a commit updating
/// it (UnknownComponent), with its group unchanged.
#[test]
fn a_member_without_the_component_refuses_the_commit() {
    let no_app = Features {
        draft: true,
        app: false,
        private: false,
        media: false,
    };
    let cs = clients(&[ALL, no_app]);
    let mut gs = group(&cs);
    let [a, b] = &mut gs[..] else { unreachable!() };
    let out = a
        .commit(a.commit_builder().app_data_update(NAME, b"x".to_vec()))
        .unwrap();
    refused(
        b,
        &out.commit,
        ValidationError::UnknownComponent { component_id: NAME }.into(),
    );
}

/// While `required_capabilities` lists AppDataUpdate, a
/// GroupContextExtensions may not touch `app_data_dictionary`; it may
/// change other extensions.
#[test]
fn gce_may_not_change_app_data_while_app_data_update_is_required() {
    let cs = clients(&[ALL, ALL]);
    let mut gs = group(&cs);
    let [a, b] = &mut gs[..] else { unreachable!() };
    let mut exts = Extensions::new();
    exts.push(&RequiredCapabilities {
        proposal_types: VarVec(vec![ProposalType::APP_DATA_UPDATE]),
        ..Default::default()
    })
    .unwrap();
    let out = a
        .commit(a.commit_builder().group_context_extensions(exts.clone()))
        .unwrap();
    a.merge_pending_commit().unwrap();
    apply_commit(&mut [b], &out.commit);

    let mut with_data = exts.clone();
    let mut dict = AppDataDictionary::new();
    dict.set(NAME, b"sneaky".to_vec());
    with_data.push(&dict).unwrap();
    let before = state(a);
    assert_eq!(
        a.commit(a.commit_builder().group_context_extensions(with_data))
            .unwrap_err(),
        ValidationError::GceChangesAppData.into()
    );
    assert_eq!(state(a), before);
    // A GCE leaving the dictionary alone is fine.
    let mut other = exts;
    other.push_encoded(TOPIC_EXT, b"t".to_vec());
    a.commit(a.commit_builder().group_context_extensions(other))
        .unwrap();
}

/// The component and data of each AppEphemeral `staged` applies, in order.
fn ephemerals(staged: &cohort::group::StagedCommit) -> Vec<(u16, Vec<u8>)> {
    staged
        .proposals()
        .iter()
        .filter_map(|q| match &q.proposal {
            Proposal::AppEphemeral(e) => Some((e.component_id, e.data.0.clone())),
            _ => None,
        })
        .collect()
}

/// An AppEphemeral reaches every member with the commit; data the
/// component refuses is refused, on receipt of the proposal too.
#[test]
fn app_ephemeral_is_delivered_with_the_commit() {
    let cs = clients(&[ALL, ALL]);
    let mut gs = group(&cs);
    let [a, b] = &mut gs[..] else { unreachable!() };
    let out = a
        .commit(a.commit_builder().app_ephemeral(NAME, b"ack:1-7".to_vec()))
        .unwrap();
    a.merge_pending_commit().unwrap();
    let ProcessedMessage::Commit(staged) = b.process(&out.commit).unwrap() else {
        panic!()
    };
    let data = ephemerals(&staged);
    assert_eq!(data, vec![(NAME, b"ack:1-7".to_vec())]);
    b.merge_staged_commit(*staged).unwrap();
    agree(&[a, b]);
    // The context does not change for an AppEphemeral.
    assert!(dictionary(a).is_empty());

    let expected: Error = ValidationError::ApplicationRefused {
        what: "app_ephemeral 0x8001".into(),
        reason: "not an ack".into(),
    }
    .into();
    assert_eq!(
        a.commit(a.commit_builder().app_ephemeral(NAME, b"nope".to_vec()))
            .unwrap_err(),
        expected
    );
    assert_eq!(
        a.propose(Proposal::AppEphemeral(cohort::messages::AppEphemeral {
            component_id: NAME,
            data: b"nope".to_vec().into(),
        }))
        .unwrap_err(),
        expected
    );
}

/// AppAck (extensions draft, "AppAck"; provisional): a member acks the
/// application messages it received, by sender and generation, in an
/// AppEphemeral of the next commit; a sender reads the ack and finds the
/// message the Delivery Service dropped. A malformed ack is refused by
/// name, and a member without the component refuses any.
#[test]
fn app_ack_reports_what_was_received() {
    use cohort::messages::app::{AppAck, MessageRange, component};
    let ack = AppAck::from_received([(1, 2), (1, 0), (0, 3), (1, 1), (1, 5), (1, 1)]);
    let range = |sender, first_generation, last_generation| MessageRange {
        sender,
        first_generation,
        last_generation,
    };
    assert_eq!(
        ack.received_ranges.0,
        vec![range(0, 3, 3), range(1, 0, 2), range(1, 5, 5)]
    );
    assert!(ack.acknowledges(1, 1) && !ack.acknowledges(1, 3) && !ack.acknowledges(2, 0));
    assert_eq!(AppAck::parse(&ack.encode().unwrap()).unwrap(), ack);

    let cs = clients(&[ALL, ALL, ALL]);
    let mut gs = group(&cs);
    let [a, b, c] = &mut gs[..] else {
        unreachable!()
    };
    // Bob sends three messages; the Delivery Service drops the second on
    // its way to Alice. Carol sends one.
    let sent: Vec<MlsMessage> = (0..3)
        .map(|i| b.encrypt(format!("b{i}").as_bytes(), b"").unwrap())
        .collect();
    let from_carol = c.encrypt(b"c0", b"").unwrap();
    let mut received = Vec::new();
    for m in [&sent[0], &sent[2], &from_carol] {
        match a.process(m).unwrap() {
            ProcessedMessage::Application {
                sender, generation, ..
            } => received.push((sender.0, generation)),
            other => panic!("expected application data, got {other:?}"),
        }
    }
    let ack = AppAck::from_received(received);
    let out = a
        .commit(
            a.commit_builder()
                .app_ephemeral(component::APP_ACK, ack.encode().unwrap()),
        )
        .unwrap();
    a.merge_pending_commit().unwrap();
    let ProcessedMessage::Commit(staged) = b.process(&out.commit).unwrap() else {
        panic!()
    };
    let acks: Vec<AppAck> = ephemerals(&staged)
        .into_iter()
        .filter(|(id, _)| *id == component::APP_ACK)
        .map(|(_, data)| AppAck::parse(&data).unwrap())
        .collect();
    assert_eq!(acks, vec![ack.clone()]);
    // Bob's generations are 0, 1, 2: Alice acked 0 and 2, so 1 was lost.
    let me = b.own_index().0;
    let lost: Vec<u32> = (0..3).filter(|g| !acks[0].acknowledges(me, *g)).collect();
    assert_eq!(lost, vec![1]);
    assert!(acks[0].acknowledges(c.own_index().0, 0));
    b.merge_staged_commit(*staged).unwrap();
    let ProcessedMessage::Commit(staged) = c.process(&out.commit).unwrap() else {
        panic!()
    };
    c.merge_staged_commit(*staged).unwrap();
    agree(&[a, b, c]);

    // A range that ends before it starts, and trailing bytes.
    let backwards = AppAck {
        received_ranges: VarVec(vec![range(1, 4, 2)]),
    };
    assert_eq!(
        AppAck::parse(&backwards.encode().unwrap()).unwrap_err(),
        ValidationError::AppAckRangeInvalid.into()
    );
    let before = state(a);
    for (data, reason) in [
        (
            backwards.encode().unwrap(),
            Error::from(ValidationError::AppAckRangeInvalid).to_string(),
        ),
        (
            [ack.encode().unwrap(), vec![0]].concat(),
            Error::from(cohort::DecodeError::TrailingBytes).to_string(),
        ),
    ] {
        assert_eq!(
            a.commit(a.commit_builder().app_ephemeral(component::APP_ACK, data))
                .unwrap_err(),
            ValidationError::ApplicationRefused {
                what: "app_ephemeral 0x0005".into(),
                reason,
            }
            .into()
        );
    }
    assert_eq!(state(a), before);

    // A member whose registry lacks the component refuses an AppAck.
    let plain = clients(&[
        Features { app: false, ..ALL },
        Features { app: false, ..ALL },
    ]);
    let mut ps = group(&plain);
    let p = &mut ps[0];
    let before = state(p);
    assert_eq!(
        p.commit(
            p.commit_builder()
                .app_ephemeral(component::APP_ACK, ack.encode().unwrap())
        )
        .unwrap_err(),
        ValidationError::UnknownComponent {
            component_id: component::APP_ACK,
        }
        .into()
    );
    assert_eq!(state(p), before);
}

// ------------------------------------------------------ custom proposal types

/// A custom proposal type registered with its logic: encoded and decoded
/// with the application's type, validated on receipt and in the commit,
/// committed without a path (its handler says so), and applied to the
/// group context extensions by every member.
#[test]
fn custom_proposal_type_with_registered_logic() {
    let cs = clients(&[ALL, ALL, ALL]);
    let mut gs = group(&cs);
    let [a, b, c] = &mut gs[..] else {
        unreachable!()
    };
    let topic = cohort::codec::VarBytes(b"release planning".to_vec());
    let p = Proposal::custom(SET_TOPIC, &topic).unwrap();
    let Proposal::Custom(_, body) = &p else {
        panic!()
    };
    assert_eq!(body.parse::<cohort::codec::VarBytes>().unwrap(), topic);
    let msg = a.propose(p).unwrap();
    apply_proposal(&mut [b, c], &msg);
    let out = b.commit(b.commit_builder()).unwrap();
    let cohort::framing::FramedContentBody::Commit(body) = &public_body(&out.commit).content.body
    else {
        panic!()
    };
    assert!(body.path.is_none());
    b.merge_pending_commit().unwrap();
    apply_commit(&mut [a, c], &out.commit);
    agree(&[a, b, c]);
    let ext = a
        .group()
        .context()
        .extensions
        .find(TOPIC_EXT)
        .unwrap()
        .extension_data
        .0
        .clone();
    assert_eq!(ext, b"release planning");

    // A body the handler refuses: refused when proposed and on receipt.
    let empty = Proposal::custom(SET_TOPIC, &cohort::codec::VarBytes(Vec::new())).unwrap();
    let expected: Error = ValidationError::ApplicationRefused {
        what: "proposal type 0xf001".into(),
        reason: "empty topic".into(),
    }
    .into();
    assert_eq!(a.propose(empty.clone()).unwrap_err(), expected);
    let bad = a
        .commit(
            a.commit_builder()
                .include_pending_proposals(false)
                .tamper_commit(Arc::new(move |commit| {
                    commit
                        .proposals
                        .0
                        .push(ProposalOrRef::Proposal(Box::new(empty.clone())))
                })),
        )
        .unwrap();
    a.clear_pending_commit().unwrap();
    refused(c, &bad.commit, expected);
}

/// C-PROP-19 with a registered type: a member that does not list it makes
/// the proposal unsendable, and a receiver not listing it refuses it.
#[test]
fn c_prop_19_custom_type_needs_every_members_support() {
    let draft_only = Features {
        draft: true,
        app: false,
        private: false,
        media: false,
    };
    let cs = clients(&[ALL, draft_only]);
    let mut gs = group(&cs);
    let p = Proposal::custom(SET_TOPIC, &cohort::codec::VarBytes(b"t".to_vec())).unwrap();
    assert_eq!(
        gs[0].propose(p).unwrap_err(),
        Error::Misuse(MisuseError::NotSupportedByGroup {
            proposal_type: SET_TOPIC.0,
            leaf: 1,
        })
    );
}

// ---------------------------------------------------------------- wire format

/// The draft's structures on the wire: SelfRemove is its type alone, an
/// AppDataUpdate carries its operation, and an unsorted dictionary or
/// SafeAAD does not decode.
#[test]
fn draft_structures_encode_as_specified() {
    use tls_codec::{DeserializeBytes, SerializeBytes};
    let sr = Proposal::SelfRemove(cohort::messages::SelfRemove);
    assert_eq!(sr.tls_serialize_bytes().unwrap(), vec![0x00, 0x0a]);
    let upd = Proposal::AppDataUpdate(cohort::messages::AppDataUpdate {
        component_id: 0x8001,
        change: cohort::messages::AppDataChange::Update(b"ab".to_vec().into()),
    });
    assert_eq!(
        upd.tls_serialize_bytes().unwrap(),
        vec![0x00, 0x08, 0x80, 0x01, 0x01, 0x02, b'a', b'b']
    );
    let rm = Proposal::AppDataUpdate(cohort::messages::AppDataUpdate {
        component_id: 0x8001,
        change: cohort::messages::AppDataChange::Remove,
    });
    let bytes = rm.tls_serialize_bytes().unwrap();
    assert_eq!(bytes, vec![0x00, 0x08, 0x80, 0x01, 0x02]);
    assert_eq!(Proposal::tls_deserialize_bytes(&bytes).unwrap().0, rm);
    // invalid(0) is not an operation.
    assert!(Proposal::tls_deserialize_bytes(&[0x00, 0x08, 0x80, 0x01, 0x00]).is_err());
    // Entries out of order.
    let unsorted = [0x08, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00];
    assert!(cohort::codec::decode_exact::<AppDataDictionary>(&unsorted).is_err());
    assert!(SafeAad::decode(&unsorted).is_err());
    let list = ComponentsList {
        component_ids: VarVec(vec![1, 2]),
    };
    assert_eq!(list.tls_serialize_bytes().unwrap(), vec![4, 0, 1, 0, 2]);
}

// ------------------------------------------------ the safe application API

/// The safe exporter: one secret per component, the same for every member
/// whatever the order of exports, different across components and epochs,
/// consumed by its first export (also across a reload from storage).
#[test]
fn safe_exporter_gives_each_component_one_secret_per_epoch() {
    let cs = clients(&[ALL, ALL]);
    let mut gs = group(&cs);
    let [a, b] = &mut gs[..] else { unreachable!() };
    let a5 = a.safe_export_secret(5).unwrap();
    let a4 = a.safe_export_secret(4).unwrap();
    let a_last = a.safe_export_secret(0xffff).unwrap();
    let b4 = b.safe_export_secret(4).unwrap();
    let b_last = b.safe_export_secret(0xffff).unwrap();
    let b5 = b.safe_export_secret(5).unwrap();
    assert_eq!(a5.as_bytes(), b5.as_bytes());
    assert_eq!(a4.as_bytes(), b4.as_bytes());
    assert_eq!(a_last.as_bytes(), b_last.as_bytes());
    assert_ne!(a4.as_bytes(), a5.as_bytes());
    assert_eq!(a5.as_bytes().len(), 32);
    let consumed: Error = MisuseError::SafeExportUnavailable { component_id: 5 }.into();
    assert_eq!(a.safe_export_secret(5).unwrap_err(), consumed);
    // The deletion is stored: a reload still refuses it.
    let reloaded_id = a.group_id().to_vec();
    let mut again = cs[0].load_group(&reloaded_id).unwrap().unwrap();
    assert_eq!(again.safe_export_secret(5).unwrap_err(), consumed);
    let a6 = again.safe_export_secret(6).unwrap();
    assert_eq!(a6.as_bytes(), b.safe_export_secret(6).unwrap().as_bytes());
    // A new epoch has a new tree.
    let out = b.commit(b.commit_builder().force_path(true)).unwrap();
    b.merge_pending_commit().unwrap();
    apply_commit(&mut [&mut again], &out.commit);
    let next = again.safe_export_secret(5).unwrap();
    assert_eq!(next.as_bytes(), b.safe_export_secret(5).unwrap().as_bytes());
    assert_ne!(next.as_bytes(), a5.as_bytes());
}

/// SafeSignWithLabel / SafeVerifyWithLabel: a member's signature for one
/// component verifies with its leaf key for that component and label only.
#[test]
fn safe_signatures_are_bound_to_their_component() {
    let cs = clients(&[ALL, ALL]);
    let gs = group(&cs);
    let sig = gs[0].safe_sign(0x8001, b"vote", b"yes").unwrap();
    let crypto = RustCrypto::new();
    let suite = gs[1].group().context().cipher_suite;
    let scs = cohort::crypto::SuiteCrypto::new(&crypto, suite).unwrap();
    let key = gs[1]
        .group()
        .tree()
        .leaf(gs[0].own_index())
        .unwrap()
        .signature_key
        .clone();
    scs.safe_verify_with_label(key.as_slice(), 0x8001, b"vote", b"yes", &sig)
        .unwrap();
    for (component, label) in [(0x8002, &b"vote"[..]), (0x8001, &b"veto"[..])] {
        assert_eq!(
            scs.safe_verify_with_label(key.as_slice(), component, label, b"yes", &sig)
                .unwrap_err(),
            ValidationError::InvalidSignature.into()
        );
    }
    // A plain SignWithLabel with the same bytes is a different signature
    // domain.
    assert!(
        scs.verify_with_label(key.as_slice(), b"vote", b"yes", &sig)
            .is_err()
    );
}

/// A group context extension `app_data_dictionary` holding `entries`.
fn app_data(entries: &[(u16, Vec<u8>)]) -> Extensions {
    let mut d = AppDataDictionary::new();
    for (id, data) in entries {
        d.set(*id, data.clone());
    }
    let mut e = Extensions::new();
    e.push(&d).unwrap();
    e
}

/// Safe AAD: with the `safe_aad` component in the group context, every
/// message's authenticated_data is a SafeAAD, for what a member sends
/// (refused before sending) and what it receives (an external sender's
/// proposal with plain AAD is refused); well-formed SafeAAD passes.
#[test]
fn safe_aad_is_required_once_the_group_lists_it() {
    use cohort::messages::app::component::SAFE_AAD;
    use cohort_traits::Signer as _;
    let storage = Arc::new(MemoryStorage::new());
    let ds = SignatureKeyPair::generate(
        RustCrypto::new(),
        SignatureScheme::ED25519,
        &SeededRand::from_u64(77),
    )
    .unwrap();
    let mut ext = app_data(&[(
        SAFE_AAD,
        cohort::codec::encode(&ComponentsList::default()).unwrap(),
    )]);
    ext.push(&cohort::messages::ExternalSenders(VarVec(vec![
        cohort::messages::ExternalSender {
            signature_key: ds.public_key().to_vec().into(),
            credential: Credential::basic("ds"),
        },
    ])))
    .unwrap();
    let cs: Vec<Client<P>> = (0..2)
        .map(|i| client(&storage, &format!("s{i}"), 300 + i, ALL))
        .collect();
    let mut gs = group_with(&cs, ext);
    let [a, b] = &mut gs[..] else { unreachable!() };
    let before = state(a);
    assert_eq!(
        a.encrypt(b"hi", b"plain aad").unwrap_err(),
        ValidationError::SafeAadMalformed.into()
    );
    assert_eq!(
        a.commit(
            a.commit_builder()
                .force_path(true)
                .authenticated_data(b"plain".to_vec())
        )
        .unwrap_err(),
        ValidationError::SafeAadMalformed.into()
    );
    assert_eq!(state(a), before);
    let aad = SafeAad::new(&[(0x8001, &b"thread-7"[..]), (0x0003, &b"x"[..])])
        .unwrap()
        .encode()
        .unwrap();
    let msg = a.encrypt(b"hi", &aad).unwrap();
    match b.process(&msg).unwrap() {
        ProcessedMessage::Application {
            authenticated_data, ..
        } => {
            let parsed = SafeAad::decode(&authenticated_data).unwrap();
            assert_eq!(parsed.get(0x8001), Some(&b"thread-7"[..]));
            let ids: Vec<u16> = parsed.items().iter().map(|i| i.component_id).collect();
            assert_eq!(ids, vec![0x0003, 0x8001]);
        }
        other => panic!("expected application data, got {other:?}"),
    }
    // An empty SafeAAD is one byte; a plain empty AAD is not a SafeAAD.
    let p = cohort::group::external_proposal(
        &ProviderBundle::new(RustCrypto::new(), SeededRand::from_u64(5), storage.clone()),
        &ds,
        b.group().context().cipher_suite,
        b.group_id(),
        b.epoch(),
        0,
        Proposal::Remove(cohort::messages::Remove { removed: 0 }),
    )
    .unwrap();
    refused(b, &p, ValidationError::SafeAadMalformed.into());
    // A delivery service's public view refuses it too.
    let crypto = RustCrypto::new();
    let gi = b.group_info(true).unwrap();
    let mut view =
        cohort::PublicGroup::from_group_info(&crypto, &gi, None, &Default::default()).unwrap();
    assert_eq!(
        view.process(&crypto, &p).unwrap_err(),
        ValidationError::SafeAadMalformed.into()
    );
}

/// Content advertisement: with `content_media_types` in the group
/// context, application data is an ApplicationFraming whose media type is
/// one of the group's (or empty, meaning the first); anything else is
/// refused by the sender.
#[test]
fn application_framing_follows_the_groups_media_types() {
    use cohort::messages::app::{ApplicationFraming, MediaType, MediaTypeList, component};
    let list: MediaTypeList = media_types();
    let ext = app_data(&[(
        component::CONTENT_MEDIA_TYPES,
        cohort::codec::encode(&list).unwrap(),
    )]);
    let with_media = Features { media: true, ..ALL };
    let cs = clients(&[with_media, with_media]);
    let mut gs = group_with(&cs, ext);
    let [a, b] = &mut gs[..] else { unreachable!() };
    let framed = |t: &str, params: &[(&str, &str)], body: &[u8]| {
        cohort::codec::encode(&ApplicationFraming {
            media_type: MediaType::new(t, params),
            inner_application_content: body.to_vec().into(),
        })
        .unwrap()
    };
    assert_eq!(
        a.encrypt(b"raw text", b"").unwrap_err(),
        ValidationError::ApplicationFramingInvalid("malformed").into()
    );
    assert_eq!(
        a.encrypt(&framed("application/pdf", &[], b"%PDF"), b"")
            .unwrap_err(),
        ValidationError::ApplicationFramingInvalid(
            "media type not among the group's content_media_types"
        )
        .into()
    );
    for data in [
        framed("TEXT/plain", &[("charset", "UTF-8")], b"hello"),
        framed("", &[], b"first type"),
        framed("image/png", &[], b"\x89PNG"),
    ] {
        let msg = a.encrypt(&data, b"").unwrap();
        match b.process(&msg).unwrap() {
            ProcessedMessage::Application { data: got, .. } => {
                let f: ApplicationFraming = cohort::codec::decode_exact(&got).unwrap();
                assert_eq!(got, data);
                assert!(f.media_type.media_type.0.is_empty() || list.supports(&f.media_type));
            }
            other => panic!("expected application data, got {other:?}"),
        }
    }
}

/// A delivery service's public view of the group
/// ([`cohort::PublicGroup`]) with the same application registry follows
/// AppDataUpdates and a SelfRemove to the members' GroupContext; a view
/// without the registry refuses the AppDataUpdate as a member without it
/// does.
#[test]
fn public_view_follows_app_data_and_self_remove() {
    let cs = clients(&[ALL, ALL, ALL]);
    let mut gs = group(&cs);
    let [a, b, c] = &mut gs[..] else {
        unreachable!()
    };
    let crypto = RustCrypto::new();
    let gi = a.group_info(true).unwrap();
    let config = |app| GroupConfig {
        app,
        ..GroupConfig::default()
    };
    let mut view =
        cohort::PublicGroup::from_group_info_with(&crypto, &gi, None, config(registry())).unwrap();
    let mut blind =
        cohort::PublicGroup::from_group_info_with(&crypto, &gi, None, config(AppRegistry::new()))
            .unwrap();

    let out = a
        .commit(a.commit_builder().app_data_update(NAME, b"team".to_vec()))
        .unwrap();
    assert_eq!(
        blind.process(&crypto, &out.commit).unwrap_err(),
        ValidationError::UnknownComponent { component_id: NAME }.into()
    );
    assert!(matches!(
        view.process(&crypto, &out.commit).unwrap(),
        cohort::group::PublicProcessed::Commit(_)
    ));
    a.merge_pending_commit().unwrap();
    apply_commit(&mut [b, c], &out.commit);
    assert_eq!(view.context(), a.group().context());
    assert_eq!(dictionary(a).get(NAME), Some(&b"team"[..]));

    let leave = c.propose_self_remove().unwrap();
    assert!(matches!(
        view.process(&crypto, &leave).unwrap(),
        cohort::group::PublicProcessed::Proposal {
            proposal,
            ..
        } if matches!(*proposal, Proposal::SelfRemove(_))
    ));
    apply_proposal(&mut [a, b], &leave);
    let out = b.commit(b.commit_builder()).unwrap();
    let cohort::group::PublicProcessed::Commit(summary) =
        view.process(&crypto, &out.commit).unwrap()
    else {
        panic!("expected a commit")
    };
    assert_eq!(summary.removed.len(), 1);
    assert_eq!(summary.removed[0].credential, Credential::basic("m2"));
    b.merge_pending_commit().unwrap();
    apply_commit(&mut [a], &out.commit);
    assert_eq!(view.context(), a.group().context());
    assert_eq!(view.members(), a.roster());
}

/// Component negotiation: a client listing `app_data_dictionary` advertises
/// `app_components` in its leaves (the draft's components and its
/// registered ones); a group whose context requires a component or media
/// types refuses to add a member lacking them.
#[test]
fn required_components_and_media_types_are_checked_on_add() {
    use cohort::messages::app::{ComponentsList, component};
    let draft_only = Features { app: false, ..ALL };
    let with_media = Features { media: true, ..ALL };
    let cs = clients(&[ALL, draft_only, ALL, with_media]);
    let kp = |i: usize| key_package(&cs[i]);
    let advertised = |kp: &cohort::messages::KeyPackage| -> Vec<u16> {
        AppDataDictionary::from_extensions(&kp.leaf_node.extensions)
            .unwrap()
            .unwrap()
            .parse::<ComponentsList>(component::APP_COMPONENTS)
            .unwrap()
            .unwrap()
            .component_ids
            .0
    };
    assert_eq!(advertised(&kp(0)), vec![1, 2, 3, 5, NAME, COUNTER]);
    assert_eq!(advertised(&kp(1)), vec![1, 2, 3]);

    let required = app_data(&[(
        component::APP_COMPONENTS,
        cohort::codec::encode(&ComponentsList {
            component_ids: VarVec(vec![NAME]),
        })
        .unwrap(),
    )]);
    let mut a = cs[0]
        .create_group_with(cohort::client::CreateOptions {
            group_id: None,
            extensions: required,
        })
        .unwrap();
    let before = state(&a);
    add_refused(
        &mut a,
        kp(1),
        ValidationError::LeafLacksComponent {
            component_id: NAME,
            list: "app_components",
        }
        .into(),
    );
    assert_eq!(state(&a), before);
    a.commit(a.commit_builder().add_member(kp(2))).unwrap();
    a.merge_pending_commit().unwrap();

    // content_media_types required: only the member advertising them joins.
    let media = app_data(&[(
        component::CONTENT_MEDIA_TYPES,
        cohort::codec::encode(&media_types()).unwrap(),
    )]);
    let mut g = cs[3]
        .create_group_with(cohort::client::CreateOptions {
            group_id: None,
            extensions: media,
        })
        .unwrap();
    add_refused(&mut g, kp(2), ValidationError::LeafLacksMediaType.into());
    let other = client(
        &Arc::new(MemoryStorage::new()),
        "m4",
        404,
        Features { media: true, ..ALL },
    );
    let MlsMessageBody::KeyPackage(kp4) = other.generate_key_package().unwrap().body else {
        unreachable!()
    };
    g.commit(g.commit_builder().add_member(kp4)).unwrap();
}

// ------------------------------------------------ custom credential types

/// An application-defined credential type: a device credential (user and
/// device name) framed as `opaque data<V>` after its type.
const DEVICE: cohort::messages::CredentialType = cohort::messages::CredentialType(0xF00D);

/// The device credential's content.
#[derive(
    Debug,
    PartialEq,
    tls_codec::TlsSize,
    tls_codec::TlsSerializeBytes,
    tls_codec::TlsDeserializeBytes,
)]
struct DeviceCredential {
    user: cohort::codec::VarBytes,
    device: cohort::codec::VarBytes,
}

/// An Authentication Service for basic and device credentials: a device
/// credential must decode to a user and a device, both non-empty.
struct DeviceAs;

impl cohort::group::CredentialValidator for DeviceAs {
    fn validate(&self, info: &cohort::group::CredentialInfo<'_>) -> bool {
        match info.credential {
            Credential::Basic { .. } => true,
            c @ Credential::Custom { .. } if c.credential_type() == DEVICE => matches!(
                c.parse_custom::<DeviceCredential>(),
                Some(Ok(d)) if !d.user.0.is_empty() && !d.device.0.is_empty()
            ),
            _ => false,
        }
    }
}

/// A device credential of `user` on `device`.
fn device_credential(user: &[u8], device: &[u8]) -> Credential {
    Credential::custom(
        DEVICE,
        &DeviceCredential {
            user: cohort::codec::VarBytes(user.to_vec()),
            device: cohort::codec::VarBytes(device.to_vec()),
        },
    )
    .unwrap()
}

fn device_client(
    storage: &Arc<MemoryStorage>,
    name: &str,
    credential: Credential,
    validator: bool,
) -> Client<P> {
    let mut group = GroupConfig {
        grease: false,
        ..GroupConfig::default()
    };
    if validator {
        group = group.with_credential_validator(DeviceAs);
    }
    let config = ClientConfig {
        group,
        capabilities: Capabilities {
            credentials: VarVec(vec![cohort::messages::CredentialType::BASIC, DEVICE]),
            ..Capabilities::default()
        },
        ..ClientConfig::default()
    };
    new_client(storage, name, config, |_| credential)
}

/// A custom credential type registered by the application: encoded and
/// decoded with the application's type, carried in KeyPackages and leaves,
/// validated by the application's Authentication Service (a malformed one
/// refused by name, and so is every custom credential under the default
/// service); 0 does not decode and the draft's multi-credential types
/// decode as such, not as custom, while a GREASE type decodes like any unknown type (C-GREASE-11)
/// but is refused in a leaf (C-GREASE-08).
#[test]
fn custom_credential_type_with_the_applications_validator() {
    use cohort::codec::VarBytes;
    let device = device_credential;
    let cred = device(b"bob", b"phone");
    let bytes = cohort::codec::encode(&cred).unwrap();
    assert_eq!(bytes[..2], [0xf0, 0x0d]);
    assert_eq!(
        cohort::codec::decode_exact::<Credential>(&bytes).unwrap(),
        cred
    );
    for t in [0u16, 3, 4, 0x1a1a] {
        assert!(
            Credential::custom(cohort::messages::CredentialType(t), &VarBytes(vec![])).is_err()
        );
        let mut b = t.to_be_bytes().to_vec();
        b.push(0);
        let decoded = cohort::codec::decode_exact::<Credential>(&b);
        match t {
            0 => assert_eq!(
                decoded.unwrap_err(),
                cohort::DecodeError::UnknownCredentialType(t).into()
            ),
            // The draft's multi-credentials, with no bindings.
            3 | 4 => assert_eq!(decoded.unwrap().bindings(), Some(&[][..])),
            _ => assert_eq!(
                decoded.unwrap(),
                Credential::Custom {
                    credential_type: cohort::messages::CredentialType(t),
                    data: VarBytes::default(),
                }
            ),
        }
    }

    let storage = Arc::new(MemoryStorage::new());
    let alice = device_client(&storage, "alice", Credential::basic("alice"), true);
    let bob = device_client(&storage, "bob", cred.clone(), true);
    let mallory = device_client(&storage, "mallory", device(b"", b"laptop"), true);
    let mut a = alice.create_group().unwrap();
    let kp = key_package;
    let before = state(&a);
    // C-GREASE-08: a KeyPackage whose credential is of a GREASE type
    // (listed in its own capabilities) is refused by name.
    let grease = cohort::messages::CredentialType(0x1a1a);
    let eve = device_client(
        &storage,
        "eve",
        Credential::Custom {
            credential_type: grease,
            data: VarBytes(b"eve".to_vec()),
        },
        true,
    );
    let eve_kp = kp(&eve);
    assert!(
        eve_kp
            .leaf_node
            .capabilities
            .credentials
            .0
            .contains(&grease)
    );
    add_refused(
        &mut a,
        eve_kp,
        ValidationError::GreaseCredentialType {
            credential_type: 0x1a1a,
        }
        .into(),
    );
    assert_eq!(state(&a), before);
    add_refused(
        &mut a,
        kp(&mallory),
        ValidationError::CredentialRejected {
            event: cohort::group::CredentialEvent::Add,
        }
        .into(),
    );
    assert_eq!(state(&a), before);
    let mut b = add_and_join(&mut a, &bob);
    let roster = b.roster();
    assert!(roster.iter().any(|m| m.credential == cred));
    let msg = b.encrypt(b"from my phone", b"").unwrap();
    assert!(matches!(
        a.process(&msg).unwrap(),
        ProcessedMessage::Application { .. }
    ));

    // Under the default Authentication Service a custom credential is
    // refused.
    let carol = device_client(
        &Arc::new(MemoryStorage::new()),
        "carol",
        Credential::basic("carol"),
        false,
    );
    let mut c = carol.create_group().unwrap();
    add_refused(
        &mut c,
        kp(&bob),
        ValidationError::CredentialRejected {
            event: cohort::group::CredentialEvent::Add,
        }
        .into(),
    );
}

// ------------------------------------------------------------ wire formats

/// A wire format outside RFC 9420's five, which a group may require.
const EXTRA_WIRE_FORMAT: WireFormat = WireFormat(0x0042);

/// A client that lists the draft's wire-format extensions and, when
/// `supports`, carries `supported_wire_formats` with [`EXTRA_WIRE_FORMAT`]
/// in its leaves.
fn wire_format_client(storage: &Arc<MemoryStorage>, name: &str, supports: bool) -> Client<P> {
    use cohort::messages::app::WireFormats;
    let mut leaf_extensions = Extensions::new();
    if supports {
        leaf_extensions.0.push(cohort::messages::Extension {
            extension_type: ExtensionType::SUPPORTED_WIRE_FORMATS,
            extension_data: cohort::codec::VarBytes(
                cohort::codec::encode(&WireFormats {
                    wire_formats: VarVec(vec![EXTRA_WIRE_FORMAT]),
                })
                .unwrap(),
            ),
        });
    }
    let config = ClientConfig {
        group: GroupConfig {
            grease: false,
            ..GroupConfig::default()
        },
        capabilities: Capabilities {
            extensions: VarVec(vec![
                ExtensionType::SUPPORTED_WIRE_FORMATS,
                ExtensionType::REQUIRED_WIRE_FORMATS,
            ]),
            ..Capabilities::default()
        },
        leaf_extensions,
        ..ClientConfig::default()
    };
    new_client(storage, name, config, |_| Credential::basic(name))
}

/// A `required_wire_formats` group context extension listing `formats`.
fn required_wire_formats(formats: &[u16]) -> Extensions {
    let mut extensions = Extensions::new();
    extensions.0.push(cohort::messages::Extension {
        extension_type: ExtensionType::REQUIRED_WIRE_FORMATS,
        extension_data: cohort::codec::VarBytes(
            cohort::codec::encode(&cohort::messages::app::WireFormats {
                wire_formats: VarVec(formats.iter().copied().map(WireFormat).collect()),
            })
            .unwrap(),
        ),
    });
    extensions
}

/// The draft's `required_wire_formats`: every leaf the group admits lists
/// each required non-default wire format in its `supported_wire_formats`
/// (RFC 9420's five need no listing). Checked on the creator's leaf, on
/// Adds, on every member when a GroupContextExtensions brings the
/// requirement, and on a commit's path leaf; each refusal by name with
/// the group unchanged.
#[test]
fn required_wire_formats_are_checked_on_every_new_leaf() {
    let storage = Arc::new(MemoryStorage::new());
    let alice = wire_format_client(&storage, "alice", true);
    let bob = wire_format_client(&storage, "bob", false);
    let carol = wire_format_client(&storage, "carol", true);
    let kp = key_package;
    fn create<'c>(c: &'c Client<P>, formats: &[u16]) -> Result<ClientGroup<'c, P>, Error> {
        c.create_group_with(cohort::client::CreateOptions {
            group_id: None,
            extensions: required_wire_formats(formats),
        })
    }
    let lacks = ValidationError::LeafLacksWireFormat {
        wire_format: EXTRA_WIRE_FORMAT.0,
    };

    // The creator's own leaf.
    assert_eq!(
        create(&bob, &[1, 0x42]).map(|_| ()).unwrap_err(),
        lacks.clone().into()
    );
    // RFC 9420's formats need no listing.
    let mut g = create(&bob, &[1, 2]).unwrap();
    g.commit(g.commit_builder().add_member(kp(&alice))).unwrap();
    g.merge_pending_commit().unwrap();

    // An Add of a leaf without the required format.
    let mut a = create(&alice, &[2, 0x42]).unwrap();
    let before = state(&a);
    add_refused(&mut a, kp(&bob), lacks.clone().into());
    assert_eq!(state(&a), before);
    let mut c = add_and_join(&mut a, &carol);

    // A commit whose path leaf drops `supported_wire_formats` (its
    // signature is not reached: the leaf's content fails first).
    let dropped = c
        .commit_builder()
        .force_path(true)
        .tamper_commit(Arc::new(|commit| {
            if let Some(path) = commit.path.as_mut() {
                path.leaf_node
                    .extensions
                    .0
                    .retain(|e| e.extension_type != ExtensionType::SUPPORTED_WIRE_FORMATS);
            }
        }));
    let bad = c.commit(dropped).unwrap();
    c.clear_pending_commit().unwrap();
    refused(&mut a, &bad.commit, lacks.clone().into());
    let good = c.commit(c.commit_builder().force_path(true)).unwrap();
    c.merge_pending_commit().unwrap();
    assert!(matches!(
        a.process(&good.commit).unwrap(),
        ProcessedMessage::Commit(_)
    ));

    // A GroupContextExtensions bringing the requirement to a group with a
    // member lacking it.
    g.commit(g.commit_builder().add_member(kp(&wire_format_client(
        &Arc::new(MemoryStorage::new()),
        "dave",
        true,
    ))))
    .unwrap();
    g.merge_pending_commit().unwrap();
    let before = state(&g);
    assert_eq!(
        g.commit(
            g.commit_builder()
                .group_context_extensions(required_wire_formats(&[0x42]))
        )
        .unwrap_err(),
        lacks.into()
    );
    assert_eq!(state(&g), before);
}

/// `ClientConfig::leaf_extensions` must be sendable: no duplicate, no
/// `app_data_dictionary` (it comes from `app_data`), every non-default
/// type in the capabilities.
#[test]
fn leaf_extensions_are_checked_when_the_client_is_made() {
    let ext = |t: ExtensionType| cohort::messages::Extension {
        extension_type: t,
        extension_data: cohort::codec::VarBytes(vec![]),
    };
    for extensions in [
        vec![ext(TOPIC_EXT)],
        vec![ext(ExtensionType::APP_DATA_DICTIONARY)],
        vec![
            ext(ExtensionType::SUPPORTED_WIRE_FORMATS),
            ext(ExtensionType::SUPPORTED_WIRE_FORMATS),
        ],
    ] {
        let signer = SignatureKeyPair::generate(
            RustCrypto::new(),
            SignatureScheme::ED25519,
            &SeededRand::from_u64(1),
        )
        .unwrap();
        let config = ClientConfig {
            capabilities: Capabilities {
                extensions: VarVec(vec![
                    ExtensionType::SUPPORTED_WIRE_FORMATS,
                    ExtensionType::APP_DATA_DICTIONARY,
                ]),
                ..Capabilities::default()
            },
            leaf_extensions: Extensions(extensions),
            ..ClientConfig::default()
        };
        let made = Client::new(
            ProviderBundle::new(
                RustCrypto::new(),
                SeededRand::from_u64(1),
                Arc::new(MemoryStorage::new()),
            ),
            b"x".to_vec(),
            signer,
            Credential::basic("x"),
            config,
        );
        assert_eq!(
            made.map(|_| ()).unwrap_err(),
            MisuseError::ConfigOutOfRange {
                field: "leaf_extensions"
            }
            .into()
        );
    }
}

/// An Authentication Service that accepts every credential and successor.
struct AcceptAll;

impl cohort::group::CredentialValidator for AcceptAll {
    fn validate(&self, _info: &cohort::group::CredentialInfo<'_>) -> bool {
        true
    }

    fn valid_successor(
        &self,
        _old: &cohort::messages::LeafNode,
        _new: &cohort::group::CredentialInfo<'_>,
    ) -> bool {
        true
    }
}

/// C-LN-10 through a commit path: a member may not renew its credential
/// into a type another member does not support. The committer refuses to
/// build such a commit, and a receiver refuses one whose path leaf
/// carries it; both groups unchanged.
#[test]
fn commit_path_credential_type_supported_by_all_c_ln_10() {
    let storage = Arc::new(MemoryStorage::new());
    let mut alice_config = GroupConfig {
        grease: false,
        ..GroupConfig::default()
    }
    .with_credential_validator(AcceptAll);
    alice_config.wire_format = WireFormatPolicy::MixedPublic;
    let alice = new_client(
        &storage,
        "alice",
        ClientConfig {
            group: alice_config,
            capabilities: Capabilities {
                credentials: VarVec(vec![cohort::messages::CredentialType::BASIC, DEVICE]),
                ..Capabilities::default()
            },
            ..ClientConfig::default()
        },
        |_| Credential::basic("alice"),
    );
    // Bob lists only `basic`.
    let bob = wire_format_client(&storage, "bob", false);
    let mut a = alice.create_group().unwrap();
    let mut b = add_and_join(&mut a, &bob);

    let device = device_credential(b"alice", b"phone");
    let new_signer: Arc<dyn cohort_traits::Signer> = Arc::new(
        SignatureKeyPair::generate(
            RustCrypto::new(),
            SignatureScheme::ED25519,
            &SeededRand::from_u64(0xa3),
        )
        .unwrap(),
    );
    let before = state(&a);
    assert_eq!(
        a.commit(
            a.commit_builder()
                .renew_credential(device.clone(), new_signer)
        )
        .unwrap_err(),
        ValidationError::CredentialTypeUnsupportedByMember { leaf: 1 }.into()
    );
    assert_eq!(state(&a), before);

    // The same leaf change made after the committer's checks reaches Bob.
    let tampered = a
        .commit_builder()
        .force_path(true)
        .tamper_commit(Arc::new(move |commit| {
            if let Some(path) = commit.path.as_mut() {
                path.leaf_node.credential = device.clone();
            }
        }));
    let bad = a.commit(tampered).unwrap();
    a.clear_pending_commit().unwrap();
    refused(
        &mut b,
        &bad.commit,
        ValidationError::CredentialTypeUnsupportedByMember { leaf: 1 }.into(),
    );
}

// ------------------------------------------------------- multi-credentials

use cohort::messages::{CredentialBinding, CredentialType};

/// An Authentication Service that understands basic credentials only and
/// refuses the identity `mallory`.
struct BasicOnly;

impl cohort::group::CredentialValidator for BasicOnly {
    fn validate(&self, info: &cohort::group::CredentialInfo<'_>) -> bool {
        matches!(info.credential, Credential::Basic { identity } if identity.0 != b"mallory")
    }

    fn supports(&self, credential_type: CredentialType) -> bool {
        credential_type == CredentialType::BASIC
    }
}

/// A binding of `credential` in suite `suite` (key from `seed`) to the leaf
/// signature key `leaf_key`.
fn binding(suite: u16, seed: u64, credential: Credential, leaf_key: &[u8]) -> CredentialBinding {
    let crypto = RustCrypto::new();
    let cs = cohort::crypto::SuiteCrypto::new(&crypto, cohort_traits::Ciphersuite(suite)).unwrap();
    let key = SignatureKeyPair::generate(
        RustCrypto::new(),
        cs.params().signature,
        &SeededRand::from_u64(seed),
    )
    .unwrap();
    CredentialBinding::new(&cs, credential, &key, leaf_key).unwrap()
}

/// A client whose capabilities list `suites` and `credentials`, presenting
/// the credential `make` builds for its signature key.
fn multi_client(
    name: &str,
    suites: &[u16],
    credentials: &[CredentialType],
    make: impl FnOnce(&[u8]) -> Credential,
) -> Client<P> {
    let config = ClientConfig {
        group: GroupConfig {
            grease: false,
            ..GroupConfig::default()
        }
        .with_credential_validator(BasicOnly),
        capabilities: Capabilities {
            cipher_suites: VarVec(
                suites
                    .iter()
                    .copied()
                    .map(cohort_traits::Ciphersuite)
                    .collect(),
            ),
            credentials: VarVec(credentials.to_vec()),
            ..Capabilities::default()
        },
        ..ClientConfig::default()
    };
    new_client(&Arc::new(MemoryStorage::new()), name, config, make)
}

const MULTI_TYPES: [CredentialType; 3] = [
    CredentialType::BASIC,
    CredentialType::MULTI,
    CredentialType::WEAK_MULTI,
];

/// Multi-credentials (extensions draft, "Multi-Credentials"; provisional
/// types 3 and 4): encoding, one level of nesting only, and the checks of
/// "Verifying a Multi-Credential": each binding's signature over the
/// leaf's signature key, each binding's credential put to the
/// Authentication Service with its own key, and support of every binding
/// (multi) or of at least one (weak-multi) by every member, both for a
/// new member's credential and for a new member facing the group's.
/// Every refusal names its error and leaves the group unchanged.
#[test]
fn multi_credentials_are_verified_and_negotiated() {
    // A `multi` credential: a basic identity under an Ed25519 key (suite
    // 1) and a corporate one under a P-256 key (suite 2).
    let corp = |key: &[u8]| Credential::Multi {
        bindings: VarVec(vec![
            binding(1, 11, Credential::basic("alice"), key),
            binding(2, 12, Credential::basic("alice@corp"), key),
        ]),
    };
    let alice = multi_client("alice", &[1, 2], &MULTI_TYPES, corp);
    let encoded = cohort::codec::encode(alice.credential()).unwrap();
    assert_eq!(encoded[..2], [0, 3]);
    assert_eq!(
        &cohort::codec::decode_exact::<Credential>(&encoded).unwrap(),
        alice.credential()
    );
    // A binding holding a multi-credential neither builds nor decodes.
    let crypto = RustCrypto::new();
    let cs1 = cohort::crypto::SuiteCrypto::new(&crypto, cohort_traits::Ciphersuite(1)).unwrap();
    let k = SignatureKeyPair::generate(
        RustCrypto::new(),
        SignatureScheme::ED25519,
        &SeededRand::from_u64(5),
    )
    .unwrap();
    assert_eq!(
        CredentialBinding::new(&cs1, alice.credential().clone(), &k, b"key").unwrap_err(),
        cohort::DecodeError::NestedMultiCredential.into()
    );
    let mut nested = vec![0, 3];
    let inner_binding = [&[0u8, 1][..], &encoded, &[0, 0]].concat();
    cohort::codec::write_opaque(&inner_binding, &mut nested).unwrap();
    assert_eq!(
        cohort::codec::decode_exact::<Credential>(&nested).unwrap_err(),
        cohort::DecodeError::NestedMultiCredential.into()
    );

    let mut a = alice.create_group().unwrap();
    let before = state(&a);
    // Bob supports both suites and the types: he joins and sees Alice's
    // bindings.
    let bob = multi_client("bob", &[1, 2], &MULTI_TYPES, |_| Credential::basic("bob"));
    // Carol lacks suite 2: she cannot support Alice's second binding.
    let carol = multi_client("carol", &[1], &MULTI_TYPES, |_| Credential::basic("carol"));
    add_refused(
        &mut a,
        key_package(&carol),
        ValidationError::LeafLacksCredentialBindingSupport.into(),
    );
    // Dave does not list `multi`.
    let dave = multi_client("dave", &[1, 2], &[CredentialType::BASIC], |_| {
        Credential::basic("dave")
    });
    add_refused(
        &mut a,
        key_package(&dave),
        ValidationError::LeafLacksMemberCredentialType {
            credential_type: CredentialType::MULTI.0,
        }
        .into(),
    );
    // Mallory's second binding is bound to another leaf key.
    let mallory = multi_client("mallory", &[1, 2], &MULTI_TYPES, |key| Credential::Multi {
        bindings: VarVec(vec![
            binding(1, 21, Credential::basic("m"), key),
            binding(1, 22, Credential::basic("m2"), b"another leaf key"),
        ]),
    });
    add_refused(
        &mut a,
        key_package(&mallory),
        ValidationError::CredentialBindingInvalid { binding: 1 }.into(),
    );
    // Eve's bindings verify, but one names an identity the Authentication
    // Service refuses.
    let eve = multi_client("eve", &[1, 2], &MULTI_TYPES, |key| Credential::Multi {
        bindings: VarVec(vec![
            binding(1, 31, Credential::basic("eve"), key),
            binding(2, 32, Credential::basic("mallory"), key),
        ]),
    });
    add_refused(
        &mut a,
        key_package(&eve),
        ValidationError::CredentialRejected {
            event: cohort::group::CredentialEvent::Add,
        }
        .into(),
    );
    // A multi-credential without bindings.
    let empty = multi_client("frank", &[1, 2], &MULTI_TYPES, |_| Credential::Multi {
        bindings: VarVec(vec![]),
    });
    add_refused(
        &mut a,
        key_package(&empty),
        ValidationError::MultiCredentialEmpty.into(),
    );
    assert_eq!(state(&a), before);

    let mut b = add_and_join(&mut a, &bob);
    assert!(
        b.roster()
            .iter()
            .any(|m| &m.credential == alice.credential())
    );
    let msg = a.encrypt(b"signed under a multi-credential", b"").unwrap();
    assert!(matches!(
        b.process(&msg).unwrap(),
        ProcessedMessage::Application { .. }
    ));

    // `weak-multi`: Grace binds a basic identity (suite 1) and a device
    // credential (suite 2). Henry supports only suite 1 and basic: one
    // binding is enough, and his Authentication Service checks only the
    // binding whose type it supports.
    let device = device_credential(b"grace", b"tablet");
    let all_types = [
        CredentialType::BASIC,
        DEVICE,
        CredentialType::MULTI,
        CredentialType::WEAK_MULTI,
    ];
    let grace = multi_client("grace", &[1, 2], &all_types, |key| Credential::WeakMulti {
        bindings: VarVec(vec![
            binding(1, 41, Credential::basic("grace"), key),
            binding(2, 42, device.clone(), key),
        ]),
    });
    let henry = multi_client(
        "henry",
        &[1],
        &[
            CredentialType::BASIC,
            CredentialType::MULTI,
            CredentialType::WEAK_MULTI,
        ],
        |_| Credential::basic("henry"),
    );
    let mut h = henry.create_group().unwrap();
    add_and_join(&mut h, &grace);
    // A `multi` credential with a binding in suite 2 is refused in that
    // group: Henry (leaf 0) does not support that suite.
    let ivan = multi_client("ivan", &[1, 2], &all_types, |key| Credential::Multi {
        bindings: VarVec(vec![
            binding(1, 51, Credential::basic("ivan"), key),
            binding(2, 52, Credential::basic("ivan@corp"), key),
        ]),
    });
    let before = state(&h);
    add_refused(
        &mut h,
        key_package(&ivan),
        ValidationError::CredentialBindingUnsupportedByMember { leaf: 0 }.into(),
    );
    assert_eq!(state(&h), before);
}

/// The draft's `last_resort_key_package` component: a client that speaks
/// the draft marks its last-resort KeyPackage with it as well as with the
/// `last_resort` extension; either marks the KeyPackage, the component
/// only with empty data; such a KeyPackage is added like any other.
#[test]
fn last_resort_key_package_component() {
    use cohort::messages::app::component;
    let cs = clients(&[
        ALL,
        ALL,
        Features {
            draft: false,
            ..ALL
        },
    ]);
    let last_resort = |c: &Client<P>| match c.generate_last_resort_key_package().unwrap().body {
        MlsMessageBody::KeyPackage(kp) => kp,
        _ => unreachable!(),
    };
    let marked = last_resort(&cs[1]);
    assert!(marked.is_last_resort());
    assert!(marked.extensions.contains(ExtensionType::LAST_RESORT));
    let dictionary = AppDataDictionary::from_extensions(&marked.extensions)
        .unwrap()
        .unwrap();
    assert_eq!(
        dictionary.get(component::LAST_RESORT_KEY_PACKAGE),
        Some(&[][..])
    );
    // A client without the draft marks it with the extension only.
    let plain = last_resort(&cs[2]);
    assert!(plain.is_last_resort());
    assert!(
        AppDataDictionary::from_extensions(&plain.extensions)
            .unwrap()
            .is_none()
    );
    assert!(!key_package(&cs[1]).is_last_resort());

    // The component alone marks it; with data it does not.
    let signer = SignatureKeyPair::generate(
        RustCrypto::new(),
        SignatureScheme::ED25519,
        &SeededRand::from_u64(9),
    )
    .unwrap();
    let crypto = RustCrypto::new();
    let suite = cohort::crypto::SuiteCrypto::new(&crypto, cohort_traits::Ciphersuite(1)).unwrap();
    for (data, expected) in [(vec![], true), (vec![1], false)] {
        let mut d = AppDataDictionary::new();
        d.set(component::LAST_RESORT_KEY_PACKAGE, data);
        let mut extensions = Extensions::new();
        extensions.push(&d).unwrap();
        let kp = cohort::messages::KeyPackage::builder(Credential::basic("x"))
            .extensions(extensions)
            .grease(false)
            .build(&suite, &SeededRand::from_u64(10), &signer)
            .unwrap()
            .key_package;
        assert_eq!(kp.is_last_resort(), expected);
    }

    let mut g = cs[0].create_group().unwrap();
    add_and_join_kp(&mut g, &cs[1], marked);
}
