//! Proposal-list validation and application (RFC 9420 sections 12.1 to
//! 12.3). Each broken rule is refused with its named error; check IDs refer
//! to `checks.md`.

mod common;

use cohort::codec::{VarBytes, VarVec, decode_exact, write_opaque};
use cohort::crypto::SuiteCrypto;
use cohort::framing::{
    AuthenticatedContent, FramedContent, FramedContentAuthData, FramedContentBody, Sender,
    WireFormat,
};
use cohort::group::{
    CredentialInfo, CredentialValidator, KeyPackageBuilder, ListOptions, ProposalCheck,
    ProposalInfo, ProposalPolicy, QueuedProposal, apply_proposals, path_required, proposal_ref,
    validate_proposal_list, validate_proposal_list_with,
};
use cohort::messages::{
    Add, Capabilities, Certificate, Credential, CredentialType, Extension, ExtensionType,
    Extensions, ExternalInit, ExternalSender, ExternalSenders, GroupContext,
    GroupContextExtensions, KeyPackage, LeafNode, LeafNodeSource, PreSharedKey, PreSharedKeyId,
    Proposal, ProposalType, ProtocolVersion, Psk, ReInit, Remove, RequiredCapabilities,
    ResumptionPskUsage, Update,
};
use cohort::tree::math::LeafIndex;
use cohort::tree::{LeafPolicy, RatchetTree, TreeView};
use cohort::{Error, MisuseError, ValidationError};
use cohort_basic_credential::SignatureKeyPair;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{Ciphersuite, Secret};
use common::*;

type Keys = SignatureKeyPair<RustCrypto>;

const COMMITTER: Sender = Sender::Member(0);

/// A group in some epoch: its tree and GroupContext (suite 1).
struct Group {
    cs: SuiteCrypto<'static, RustCrypto>,
    tree: RatchetTree,
    context: GroupContext,
}

impl Group {
    fn new(members: u32) -> Self {
        Self::with(members, &|_, _| {}, Extensions::new())
    }

    fn with(members: u32, hook: LeafHook<'_>, extensions: Extensions) -> Self {
        let cs = cs(1);
        let tree = tree_of_with(&cs, members, hook);
        let context = GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite: cs.suite(),
            group_id: GROUP_ID.to_vec().into(),
            epoch: 3,
            tree_hash: tree.tree_hash().to_vec().into(),
            confirmed_transcript_hash: VarBytes(vec![1; 32]),
            extensions,
        };
        Group { cs, tree, context }
    }

    fn check_with(
        &self,
        committer: Sender,
        list: &[QueuedProposal],
        options: &ListOptions<'_>,
    ) -> Result<(), Error> {
        let check = ProposalCheck {
            cs: &self.cs,
            context: &self.context,
            tree: &self.tree,
            committer,
            leaf_policy: LeafPolicy::default(),
        };
        validate_proposal_list_with(&check, list, options)
    }

    /// Validates `list` committed by member 0.
    fn check(&self, list: &[QueuedProposal]) -> Result<(), Error> {
        let check = ProposalCheck {
            cs: &self.cs,
            context: &self.context,
            tree: &self.tree,
            committer: COMMITTER,
            leaf_policy: LeafPolicy::default(),
        };
        validate_proposal_list(&check, list)
    }

    /// Validates an external commit's `list`.
    fn check_external(&self, list: &[QueuedProposal]) -> Result<(), Error> {
        self.check_with(Sender::NewMemberCommit, list, &ListOptions::default())
    }
}

fn err(e: ValidationError) -> Result<(), Error> {
    Err(Error::Validation(e))
}

// ---- proposals -------------------------------------------------------------

/// By value from member 0, the committer.
fn val(proposal: Proposal) -> QueuedProposal {
    QueuedProposal {
        proposal,
        sender: COMMITTER,
        reference: None,
    }
}

/// By value in an external commit.
fn ext_val(proposal: Proposal) -> QueuedProposal {
    QueuedProposal {
        proposal,
        sender: Sender::NewMemberCommit,
        reference: None,
    }
}

/// By reference, from `sender`.
fn by_ref(proposal: Proposal, sender: Sender) -> QueuedProposal {
    QueuedProposal {
        proposal,
        sender,
        reference: Some(vec![0xab; 32]),
    }
}

fn add(key_package: KeyPackage) -> Proposal {
    Proposal::Add(Box::new(Add { key_package }))
}

fn update(leaf_node: LeafNode) -> Proposal {
    Proposal::Update(Box::new(Update { leaf_node }))
}

fn remove(removed: u32) -> Proposal {
    Proposal::Remove(Remove { removed })
}

fn psk(psk: Psk, nonce_len: usize) -> Proposal {
    Proposal::PreSharedKey(PreSharedKey {
        psk: PreSharedKeyId {
            psk,
            psk_nonce: VarBytes(vec![7; nonce_len]),
        },
    })
}

fn external_psk(id: &[u8]) -> Proposal {
    psk(
        Psk::External {
            psk_id: id.to_vec().into(),
        },
        32,
    )
}

fn resumption_psk(usage: ResumptionPskUsage) -> Proposal {
    psk(
        Psk::Resumption {
            usage,
            psk_group_id: b"old group".to_vec().into(),
            psk_epoch: 9,
        },
        32,
    )
}

fn gce(extensions: Vec<Extension>) -> Proposal {
    Proposal::GroupContextExtensions(GroupContextExtensions {
        extensions: Extensions(extensions),
    })
}

fn reinit(version: u16, extensions: Vec<Extension>) -> Proposal {
    Proposal::ReInit(ReInit {
        group_id: b"new group".to_vec().into(),
        version: ProtocolVersion(version),
        cipher_suite: Ciphersuite(3),
        extensions: Extensions(extensions),
    })
}

fn external_init() -> Proposal {
    Proposal::ExternalInit(ExternalInit {
        kem_output: VarBytes(vec![5; 32]),
    })
}

fn ext(t: u16, data: &[u8]) -> Extension {
    Extension {
        extension_type: ExtensionType(t),
        extension_data: VarBytes(data.to_vec()),
    }
}

fn required(extension_types: &[u16], credential_types: &[u16]) -> Extension {
    Extension::new(&RequiredCapabilities {
        extension_types: VarVec(extension_types.iter().map(|t| ExtensionType(*t)).collect()),
        proposal_types: VarVec::default(),
        credential_types: VarVec(
            credential_types
                .iter()
                .map(|t| CredentialType(*t))
                .collect(),
        ),
    })
    .unwrap()
}

fn x509() -> Credential {
    Credential::X509 {
        certificates: VarVec(vec![Certificate {
            cert_data: VarBytes(vec![0x30, 0x00]),
        }]),
    }
}

// ---- key packages and leaves ----------------------------------------------

fn keys(seed: u64) -> Keys {
    SignatureKeyPair::generate(
        RustCrypto,
        cs(1).params().signature,
        &SeededRand::from_u64(seed),
    )
    .unwrap()
}

/// The signature keys of member `leaf` of a [`tree_of`] tree.
fn member_keys(leaf: u32) -> Keys {
    let cs = cs(1);
    SignatureKeyPair::from_private_key(RustCrypto, cs.params().signature, signature_key(&cs, leaf))
        .unwrap()
}

fn kp_from(
    keys: &Keys,
    seed: u64,
    f: impl FnOnce(KeyPackageBuilder) -> KeyPackageBuilder,
) -> KeyPackage {
    f(KeyPackage::builder(Credential::basic(format!(
        "new {seed}"
    ))))
    .build(&cs(1), &SeededRand::from_u64(seed), keys)
    .unwrap()
    .key_package
}

/// A valid KeyPackage of a new client.
fn kp(seed: u64) -> KeyPackage {
    kp_from(&keys(seed), seed, |b| b)
}

/// Re-signs a KeyPackage and its leaf after a change.
fn resign_kp(keys: &Keys, mut kp: KeyPackage) -> KeyPackage {
    let cs = cs(1);
    let tbs = kp.leaf_node.to_be_signed(None).unwrap();
    kp.leaf_node.signature = cs
        .sign_with_label(keys, b"LeafNodeTBS", &tbs)
        .unwrap()
        .into();
    let tbs = kp.to_be_signed().unwrap();
    kp.signature = cs
        .sign_with_label(keys, b"KeyPackageTBS", &tbs)
        .unwrap()
        .into();
    kp
}

/// A KeyPackage whose leaf has `encryption_key`.
fn kp_with_encryption_key(seed: u64, encryption_key: &[u8]) -> KeyPackage {
    let keys = keys(seed);
    let mut kp = kp_from(&keys, seed, |b| b);
    kp.leaf_node.encryption_key = encryption_key.to_vec().into();
    resign_kp(&keys, kp)
}

/// A fresh encryption key, distinct from every key of the test trees.
fn fresh_encryption_key(n: u32) -> Vec<u8> {
    node_keys(&cs(1), 100_000 + n).1
}

/// A valid Update leaf of member `leaf`, changed by `hook` before signing.
fn update_leaf_with(leaf: u32, hook: LeafHook<'_>) -> LeafNode {
    leaf_node_with(&cs(1), leaf, LeafNodeSource::Update, &|l, node| {
        node.encryption_key = fresh_encryption_key(l).into();
        hook(l, node);
    })
}

fn update_leaf(leaf: u32) -> LeafNode {
    update_leaf_with(leaf, &|_, _| {})
}

/// Signs `node` for `(GROUP_ID, position)` with `key`.
fn sign_leaf(mut node: LeafNode, key: &Secret, position: u32) -> LeafNode {
    let cs = cs(1);
    let tbs = node
        .to_be_signed(Some((GROUP_ID, LeafIndex(position))))
        .unwrap();
    node.signature = cs
        .sign_with_label_key(key.as_bytes(), b"LeafNodeTBS", &tbs)
        .unwrap()
        .into();
    node
}

// ---- accepted lists --------------------------------------------------------

#[test]
fn a_valid_list_of_every_member_proposal_type_passes() {
    let g = Group::new(4);
    let list = [
        by_ref(update(update_leaf(1)), Sender::Member(1)),
        val(remove(2)),
        val(add(kp(1))),
        val(add(kp(2))),
        val(external_psk(b"psk")),
        val(resumption_psk(ResumptionPskUsage::Application)),
        by_ref(external_psk(b"other psk"), Sender::Member(3)),
        val(gce(vec![ext(0x0003, &[0, 0, 0])])),
    ];
    g.check(&list).unwrap();
}

#[test]
fn an_empty_list_passes() {
    Group::new(3).check(&[]).unwrap();
}

/// C-PROP-13 (accept): an Add of a client the same list removes.
#[test]
fn re_adding_a_removed_member_passes_c_prop_13() {
    let g = Group::new(4);
    let readd = kp_from(&member_keys(1), 5, |b| b);
    g.check(&[val(remove(1)), val(add(readd))]).unwrap();
}

/// C-CAP-14 (accept): default types in required_capabilities are supported
/// by everyone.
#[test]
fn default_types_in_required_capabilities_are_met_c_cap_14() {
    let g = Group::new(4);
    let rc = Extension::new(&RequiredCapabilities {
        extension_types: VarVec(vec![ExtensionType::EXTERNAL_SENDERS]),
        proposal_types: VarVec(vec![ProposalType::ADD, ProposalType::REINIT]),
        credential_types: VarVec(vec![CredentialType::BASIC]),
    })
    .unwrap();
    g.check(&[val(gce(vec![rc])), val(add(kp(1)))]).unwrap();
}

// ---- who sends and who commits ---------------------------------------------

/// C-FRAME-12: only members and new members commit.
#[test]
fn external_sender_cannot_commit() {
    let g = Group::new(3);
    assert_eq!(
        g.check_with(Sender::External(0), &[], &ListOptions::default()),
        err(ValidationError::SenderContentMismatch {
            sender_type: 2,
            content_type: 3
        })
    );
}

/// C-FRAME-09: a committer that is not a member.
#[test]
fn committer_must_be_a_member() {
    let g = Group::new(3);
    assert_eq!(
        g.check_with(Sender::Member(3), &[], &ListOptions::default()),
        err(ValidationError::SenderNotMember)
    );
}

#[test]
fn by_value_proposal_from_another_sender_is_misuse() {
    let g = Group::new(3);
    let q = QueuedProposal {
        proposal: remove(2),
        sender: Sender::Member(1),
        reference: None,
    };
    assert!(matches!(
        g.check(&[q]),
        Err(Error::Misuse(MisuseError::InconsistentFields(_)))
    ));
}

/// C-EXT-01: an external proposal to a group without external_senders.
#[test]
fn external_proposal_without_external_senders_c_ext_01() {
    let g = Group::new(3);
    assert_eq!(
        g.check(&[by_ref(remove(2), Sender::External(0))]),
        err(ValidationError::UnknownExternalSender)
    );
}

fn group_with_external_sender() -> Group {
    let senders = ExternalSenders(VarVec(vec![ExternalSender {
        signature_key: VarBytes(vec![9; 32]),
        credential: Credential::basic("delivery service"),
    }]));
    Group::with(
        3,
        &|_, _| {},
        Extensions(vec![Extension::new(&senders).unwrap()]),
    )
}

/// C-EXT-02: sender_index equal to the list length.
#[test]
fn external_sender_index_out_of_range_c_ext_02() {
    let g = group_with_external_sender();
    g.check(&[by_ref(remove(2), Sender::External(0))]).unwrap();
    assert_eq!(
        g.check(&[by_ref(remove(2), Sender::External(1))]),
        err(ValidationError::UnknownExternalSender)
    );
}

/// C-FRAME-13: an external sender's Update is refused.
#[test]
fn external_sender_update_c_frame_13() {
    let g = group_with_external_sender();
    assert_eq!(
        g.check(&[by_ref(update(update_leaf(1)), Sender::External(0))]),
        err(ValidationError::ProposalNotAllowedForSender {
            sender_type: 2,
            proposal_type: 2
        })
    );
}

/// Authorizes new members' self-Adds (C-EXT-04).
struct AllowNewMembers;

impl ProposalPolicy for AllowNewMembers {
    fn allow_new_member_add(&self, _info: &ProposalInfo<'_>) -> bool {
        true
    }
}

/// C-FRAME-15: a new_member_proposal sender sends only Adds.
#[test]
fn new_member_proposal_only_adds_c_frame_15() {
    let g = Group::new(3);
    let allow = ListOptions {
        policy: Some(&AllowNewMembers),
        ..Default::default()
    };
    g.check_with(
        COMMITTER,
        &[by_ref(add(kp(1)), Sender::NewMemberProposal)],
        &allow,
    )
    .unwrap();
    // Without the application's authorization the self-Add is refused
    // (C-EXT-04).
    assert_eq!(
        g.check(&[by_ref(add(kp(1)), Sender::NewMemberProposal)]),
        err(ValidationError::NewMemberAddNotAuthorized)
    );
    assert_eq!(
        g.check(&[by_ref(remove(2), Sender::NewMemberProposal)]),
        err(ValidationError::ProposalNotAllowedForSender {
            sender_type: 3,
            proposal_type: 3
        })
    );
}

// ---- single proposals (12.1) -----------------------------------------------

/// A custom proposal of type `t` with a small body.
fn custom(t: u16) -> Proposal {
    Proposal::Custom(
        ProposalType(t),
        cohort::messages::CustomProposal {
            data: VarBytes(vec![7, 7]),
        },
    )
}

/// A group of `members` whose members list the custom proposal types `t`
/// in their capabilities, except the members in `lacking`.
fn group_supporting(members: u32, types: &[u16], lacking: &[u32]) -> Group {
    Group::with(
        members,
        &|leaf, node| {
            if !lacking.contains(&leaf) {
                node.capabilities
                    .proposals
                    .0
                    .extend(types.iter().map(|t| ProposalType(*t)));
            }
        },
        Extensions::new(),
    )
}

/// C-PROP-03, C-GREASE-07, C-GREASE-11: a proposal of a type outside RFC
/// 9420 decodes as a custom proposal (type, then `opaque data<V>`) and is
/// refused as unsupported when a member does not support it; a GREASE type
/// is refused even when every member lists it, like any unsupported type.
#[test]
fn unknown_proposal_type_is_refused_c_prop_03() {
    for t in [0xF0F0u16, 0x0A0A, 0x7777] {
        let [a, b] = t.to_be_bytes();
        assert_eq!(
            decode_exact::<Proposal>(&[a, b, 2, 7, 7]).unwrap(),
            custom(t)
        );
        assert_eq!(
            Group::new(3).check(&[val(custom(t))]),
            err(ValidationError::UnsupportedProposalType { proposal_type: t })
        );
    }
    let all_list_grease = group_supporting(3, &[0x0A0A], &[]);
    assert_eq!(
        all_list_grease.check(&[val(custom(0x0A0A))]),
        err(ValidationError::UnsupportedProposalType {
            proposal_type: 0x0A0A
        })
    );
}

/// C-PROP-19: a custom proposal type is committed only if every member
/// processing the commit lists it; members the commit removes or adds do
/// not count.
#[test]
fn custom_type_needs_every_remaining_member_c_prop_19() {
    assert_eq!(
        group_supporting(4, &[0xF0F0], &[]).check(&[val(custom(0xF0F0))]),
        Ok(())
    );
    let one_lacks = group_supporting(4, &[0xF0F0], &[2]);
    assert_eq!(
        one_lacks.check(&[val(custom(0xF0F0))]),
        err(ValidationError::UnsupportedProposalType {
            proposal_type: 0xF0F0
        })
    );
    // The member lacking it leaves in this commit: it does not process it.
    assert_eq!(
        one_lacks.check(&[val(custom(0xF0F0)), val(remove(2))]),
        Ok(())
    );
    // A member joining with it does not process it either.
    assert_eq!(
        group_supporting(4, &[0xF0F0], &[]).check(&[val(custom(0xF0F0)), val(add(kp(9)))]),
        Ok(())
    );
    // A custom type needs a path (unknown "Path Required"), and applies no
    // change to the tree.
    assert!(path_required(&[val(custom(0xF0F0))]));
}

/// C-PROP-04: an Add with a badly signed KeyPackage.
#[test]
fn add_with_invalid_key_package_c_prop_04() {
    let g = Group::new(3);
    let mut bad = kp(1);
    bad.init_key.0[0] ^= 1;
    assert_eq!(
        g.check(&[val(add(bad))]),
        err(ValidationError::KeyPackageSignatureInvalid)
    );
}

/// C-PROP-05: an Update leaf with source commit, one reusing the replaced
/// encryption key (C-LN-19), and one signed for another leaf (C-LN-02).
#[test]
fn update_with_invalid_leaf_c_prop_05() {
    let g = Group::new(3);
    let sender = Sender::Member(1);
    let commit_source = leaf_node_with(
        &cs(1),
        1,
        LeafNodeSource::Commit(VarBytes(vec![1; 32])),
        &|l, n| n.encryption_key = fresh_encryption_key(l).into(),
    );
    assert_eq!(
        g.check(&[by_ref(update(commit_source), sender)]),
        err(ValidationError::LeafNodeSourceMismatch)
    );

    let old_key = g.tree.leaf(LeafIndex(1)).unwrap().encryption_key.clone();
    let same_key = update_leaf_with(1, &move |_, n| n.encryption_key = old_key.clone());
    assert_eq!(
        g.check(&[by_ref(update(same_key), sender)]),
        err(ValidationError::UpdateReusesEncryptionKey)
    );

    let for_leaf_2 = sign_leaf(update_leaf(1), &signature_key(&cs(1), 1), 2);
    assert_eq!(
        g.check(&[by_ref(update(for_leaf_2), sender)]),
        err(ValidationError::LeafSignatureInvalid { leaf: 1 })
    );
}

/// C-PROP-06: a Remove of a blank leaf, or of a leaf outside the tree.
#[test]
fn remove_of_blank_leaf_c_prop_06() {
    let g = Group::new(3);
    for leaf in [3, 9, u32::MAX] {
        assert_eq!(
            g.check(&[val(remove(leaf))]),
            err(ValidationError::RemovedLeafBlank { leaf })
        );
    }
}

/// C-PROP-07: one invalid proposal rejects the whole list.
#[test]
fn one_invalid_proposal_rejects_the_list_c_prop_07() {
    let g = Group::new(3);
    assert_eq!(
        g.check(&[val(add(kp(1))), val(remove(2)), val(remove(3))]),
        err(ValidationError::RemovedLeafBlank { leaf: 3 })
    );
}

/// C-PSK-01: a 16-byte nonce in a SHA-256 suite.
#[test]
fn psk_nonce_of_wrong_length_c_psk_01() {
    let g = Group::new(3);
    let id = Psk::External {
        psk_id: b"id".to_vec().into(),
    };
    for len in [0, 16, 33] {
        assert_eq!(
            g.check(&[val(psk(id.clone(), len))]),
            err(ValidationError::PskNonceLength)
        );
    }
}

/// C-PSK-04: a reinit-usage resumption PSK outside a reinitialization.
#[test]
fn reinit_psk_outside_reinit_c_psk_04() {
    let g = Group::new(3);
    let list = [val(resumption_psk(ResumptionPskUsage::Reinit))];
    assert_eq!(
        g.check(&list),
        err(ValidationError::ResumptionPskUsageNotAllowed { usage: 2 })
    );
    let reinit = ListOptions {
        psk_usage: Some(ResumptionPskUsage::Reinit),
        ..Default::default()
    };
    g.check_with(COMMITTER, &list, &reinit).unwrap();
}

/// C-PSK-05: a branch-usage resumption PSK outside branching.
#[test]
fn branch_psk_outside_branch_c_psk_05() {
    let g = Group::new(3);
    let list = [val(resumption_psk(ResumptionPskUsage::Branch))];
    assert_eq!(
        g.check(&list),
        err(ValidationError::ResumptionPskUsageNotAllowed { usage: 3 })
    );
    let branch = ListOptions {
        psk_usage: Some(ResumptionPskUsage::Branch),
        ..Default::default()
    };
    g.check_with(COMMITTER, &list, &branch).unwrap();
    // A branch operation does not allow a reinit PSK.
    let list = [val(resumption_psk(ResumptionPskUsage::Reinit))];
    assert_eq!(
        g.check_with(COMMITTER, &list, &branch),
        err(ValidationError::ResumptionPskUsageNotAllowed { usage: 2 })
    );
}

/// C-REINIT-01: a ReInit version below the group's.
#[test]
fn reinit_version_downgrade_c_reinit_01() {
    let g = Group::new(3);
    g.check(&[val(reinit(1, vec![]))]).unwrap();
    assert_eq!(
        g.check(&[val(reinit(0, vec![]))]),
        err(ValidationError::ReInitVersionDowngrade)
    );
}

/// C-CAP-07: a ReInit's extensions hold each type once.
#[test]
fn reinit_with_duplicate_extensions_c_cap_07() {
    let g = Group::new(3);
    assert_eq!(
        g.check(&[val(reinit(1, vec![ext(0xF001, b""), ext(0xF001, b"")]))]),
        err(ValidationError::DuplicateExtension {
            extension_type: 0xF001
        })
    );
}

/// C-CAP-07: a GCE with two extensions of one type.
#[test]
fn gce_with_duplicate_extensions_c_cap_07() {
    let g = Group::new(3);
    let rc = required(&[], &[]);
    assert_eq!(
        g.check(&[val(gce(vec![rc.clone(), rc]))]),
        err(ValidationError::DuplicateExtension { extension_type: 3 })
    );
}

/// C-CAP-17: a GCE carrying ratchet_tree or application_id.
#[test]
fn gce_with_misplaced_extension_c_cap_17() {
    let g = Group::new(3);
    for t in [1u16, 2, 4] {
        assert_eq!(
            g.check(&[val(gce(vec![ext(t, &[0])]))]),
            err(ValidationError::ExtensionNotAllowed { extension_type: t })
        );
    }
}

/// C-GREASE-10: a GCE containing a GREASE extension.
#[test]
fn gce_with_grease_c_grease_10() {
    let g = Group::new(3);
    assert_eq!(
        g.check(&[val(gce(vec![ext(0x5A5A, b"")]))]),
        err(ValidationError::GreaseGroupContextExtension {
            extension_type: 0x5A5A
        })
    );
}

#[test]
fn gce_with_undecodable_required_capabilities_is_malformed() {
    let g = Group::new(3);
    assert!(matches!(
        g.check(&[val(gce(vec![ext(3, &[1])]))]),
        Err(Error::Malformed(_))
    ));
}

// ---- list rules (12.2) -----------------------------------------------------

/// C-PROP-08: the committer's own Update, by reference or by value.
#[test]
fn committer_update_c_prop_08() {
    let g = Group::new(3);
    let own = update_leaf(0);
    assert_eq!(
        g.check(&[by_ref(update(own.clone()), COMMITTER)]),
        err(ValidationError::CommitterUpdate)
    );
    assert_eq!(
        g.check(&[val(update(own))]),
        err(ValidationError::CommitterUpdate)
    );
}

/// C-PROP-09: a Remove of the committer.
#[test]
fn committer_removed_c_prop_09() {
    let g = Group::new(3);
    assert_eq!(
        g.check(&[by_ref(remove(0), Sender::Member(1))]),
        err(ValidationError::CommitterRemoved)
    );
}

/// C-PROP-10: two Removes of leaf 2; an Update from leaf 2 and a Remove of
/// leaf 2 (in either order).
#[test]
fn two_changes_to_one_leaf_c_prop_10() {
    let g = Group::new(3);
    let e = err(ValidationError::MultipleChangesToLeaf { leaf: 2 });
    assert_eq!(
        g.check(&[val(remove(2)), by_ref(remove(2), Sender::Member(1))]),
        e
    );
    let upd = by_ref(update(update_leaf(2)), Sender::Member(2));
    assert_eq!(g.check(&[upd.clone(), val(remove(2))]), e);
    assert_eq!(g.check(&[val(remove(2)), upd.clone()]), e);
    assert_eq!(g.check(&[upd.clone(), upd]), e);
}

/// C-PROP-12: two Adds with one signature key.
#[test]
fn two_adds_of_one_client_c_prop_12() {
    let g = Group::new(3);
    let keys = keys(77);
    let a = kp_from(&keys, 1, |b| b);
    let b = kp_from(&keys, 2, |b| b);
    assert_eq!(
        g.check(&[val(add(a)), val(add(b))]),
        err(ValidationError::DuplicateAdd)
    );
}

/// C-PROP-13: an Add of an existing member without a Remove.
#[test]
fn add_of_existing_member_c_prop_13() {
    let g = Group::new(4);
    let readd = kp_from(&member_keys(1), 5, |b| b);
    assert_eq!(
        g.check(&[val(add(readd))]),
        err(ValidationError::AddOfExistingMember)
    );
}

/// C-PROP-14: two PSK proposals with identical type, id and nonce; the same
/// id with another nonce is a different PreSharedKeyID.
#[test]
fn duplicate_psk_c_prop_14() {
    let g = Group::new(3);
    assert_eq!(
        g.check(&[
            val(external_psk(b"a")),
            by_ref(external_psk(b"a"), Sender::Member(1))
        ]),
        err(ValidationError::DuplicatePsk)
    );
    let id = Psk::External {
        psk_id: b"a".to_vec().into(),
    };
    let mut other_nonce = psk(id, 32);
    if let Proposal::PreSharedKey(p) = &mut other_nonce {
        p.psk.psk_nonce.0[0] = 8;
    }
    g.check(&[val(external_psk(b"a")), val(other_nonce)])
        .unwrap();
}

/// C-PROP-15: two GCE proposals.
#[test]
fn two_gces_c_prop_15() {
    let g = Group::new(3);
    assert_eq!(
        g.check(&[val(gce(vec![])), val(gce(vec![]))]),
        err(ValidationError::MultipleGroupContextExtensions)
    );
}

/// C-PROP-16: a ReInit with another proposal.
#[test]
fn reinit_not_alone_c_prop_16() {
    let g = Group::new(3);
    assert_eq!(
        g.check(&[val(reinit(1, vec![])), val(add(kp(1)))]),
        err(ValidationError::ReInitNotAlone)
    );
    assert_eq!(
        g.check(&[val(external_psk(b"x")), val(reinit(1, vec![]))]),
        err(ValidationError::ReInitNotAlone)
    );
}

/// C-PROP-18: a member commit with an ExternalInit.
#[test]
fn external_init_in_member_commit_c_prop_18() {
    let g = Group::new(3);
    assert_eq!(
        g.check(&[val(external_init())]),
        err(ValidationError::ExternalInitInMemberCommit)
    );
}

/// C-PROP-22: a GCE adding required_capabilities and an Add lacking them,
/// wherever the GCE stands in the list; the same Add meeting them passes.
#[test]
fn adds_are_checked_against_the_new_extensions_c_prop_22() {
    let all_support = |_: u32, n: &mut LeafNode| {
        n.capabilities.extensions.0.push(ExtensionType(0xF002));
    };
    let g = Group::with(4, &all_support, Extensions::new());
    let rc = || val(gce(vec![required(&[0xF002], &[])]));
    for list in [vec![val(add(kp(1))), rc()], vec![rc(), val(add(kp(1)))]] {
        assert_eq!(
            g.check(&list),
            err(ValidationError::LeafLacksRequiredCapabilities)
        );
    }
    let supporting = kp_from(&keys(2), 2, |b| {
        b.capabilities(Capabilities {
            extensions: VarVec(vec![ExtensionType(0xF002)]),
            ..Default::default()
        })
    });
    g.check(&[val(add(supporting)), rc()]).unwrap();
}

// ---- the resulting tree (C-PROP-20) ----------------------------------------

/// C-LN-21: an Update taking another member's signature key.
#[test]
fn update_with_a_members_signature_key_c_ln_21() {
    let g = Group::new(4);
    let mut leaf = update_leaf(1);
    leaf.signature_key = g.tree.leaf(LeafIndex(2)).unwrap().signature_key.clone();
    let leaf = sign_leaf(leaf, &signature_key(&cs(1), 2), 1);
    assert_eq!(
        g.check(&[by_ref(update(leaf), Sender::Member(1))]),
        err(ValidationError::DuplicateSignatureKey)
    );
}

/// C-LN-21: an Update and an Add sharing a signature key.
#[test]
fn update_and_add_sharing_a_signature_key_c_ln_21() {
    let g = Group::new(4);
    let keys = keys(31);
    let mut leaf = update_leaf(1);
    leaf.signature_key = VarBytes(cohort_traits::Signer::public_key(&keys).to_vec());
    let leaf = sign_leaf(leaf, keys.private_key(), 1);
    let kp = kp_from(&keys, 3, |b| b);
    assert_eq!(
        g.check(&[by_ref(update(leaf), Sender::Member(1)), val(add(kp))]),
        err(ValidationError::DuplicateSignatureKey)
    );
}

/// C-LN-22: an Add whose leaf encryption_key equals an existing leaf's or a
/// parent node's; two Adds sharing one; an Update taking a member's.
#[test]
fn duplicate_encryption_keys_c_ln_22() {
    let g = Group::new(4);
    let e = err(ValidationError::DuplicateEncryptionKey);
    let leaf2 = g.tree.leaf(LeafIndex(2)).unwrap().encryption_key.0.clone();
    assert_eq!(g.check(&[val(add(kp_with_encryption_key(1, &leaf2)))]), e);

    let parent1 = g.tree.parent_node(1).unwrap().encryption_key.0.clone();
    assert_eq!(g.check(&[val(add(kp_with_encryption_key(2, &parent1)))]), e);
    // Removing leaf 1 blanks node 1, whose key may then be reused.
    g.check(&[
        val(remove(1)),
        val(add(kp_with_encryption_key(2, &parent1))),
    ])
    .unwrap();
    // The removed leaf's own key is free as well.
    let leaf1 = g.tree.leaf(LeafIndex(1)).unwrap().encryption_key.0.clone();
    g.check(&[val(remove(1)), val(add(kp_with_encryption_key(3, &leaf1)))])
        .unwrap();

    let shared = fresh_encryption_key(7);
    assert_eq!(
        g.check(&[
            val(add(kp_with_encryption_key(4, &shared))),
            val(add(kp_with_encryption_key(5, &shared)))
        ]),
        e
    );

    let leaf3 = g.tree.leaf(LeafIndex(3)).unwrap().encryption_key.clone();
    let upd = update_leaf_with(1, &move |_, n| n.encryption_key = leaf3.clone());
    assert_eq!(g.check(&[by_ref(update(upd), Sender::Member(1))]), e);
}

/// C-LN-10: an x509 leaf entering a group whose members support only basic.
#[test]
fn credential_type_unsupported_by_members_c_ln_10() {
    let g = Group::new(3);
    let newcomer = KeyPackage::builder(x509())
        .capabilities(Capabilities {
            credentials: VarVec(vec![CredentialType::BASIC, CredentialType::X509]),
            ..Default::default()
        })
        .build(&cs(1), &SeededRand::from_u64(3), &keys(3))
        .unwrap()
        .key_package;
    assert_eq!(
        g.check(&[val(add(newcomer))]),
        err(ValidationError::CredentialTypeUnsupportedByMember { leaf: 0 })
    );
}

/// C-LN-11: a basic-only leaf entering a group with an x509 member.
#[test]
fn leaf_lacking_a_credential_type_in_use_c_ln_11() {
    let hook = |l: u32, n: &mut LeafNode| {
        n.capabilities.credentials = VarVec(vec![CredentialType::BASIC, CredentialType::X509]);
        if l == 2 {
            n.credential = x509();
        }
    };
    let g = Group::with(3, &hook, Extensions::new());
    assert_eq!(
        g.check(&[val(add(kp(1)))]),
        err(ValidationError::LeafLacksMemberCredentialType { credential_type: 2 })
    );
    // Once the x509 member is removed, basic-only is enough.
    g.check(&[val(remove(2)), val(add(kp(1)))]).unwrap();
    // A leaf supporting both enters.
    let both = kp_from(&keys(4), 4, |b| {
        b.capabilities(Capabilities {
            credentials: VarVec(vec![CredentialType::BASIC, CredentialType::X509]),
            ..Default::default()
        })
    });
    g.check(&[val(add(both))]).unwrap();
}

fn group_using_extension_f001() -> Group {
    let hook = |_: u32, n: &mut LeafNode| {
        n.capabilities.extensions.0.push(ExtensionType(0xF001));
    };
    Group::with(4, &hook, Extensions(vec![ext(0xF001, b"in use")]))
}

/// C-CAP-09: an Add whose KeyPackage lacks a group extension type.
#[test]
fn added_leaf_lacks_group_extension_c_cap_09() {
    let g = group_using_extension_f001();
    assert_eq!(
        g.check(&[val(add(kp(1)))]),
        err(ValidationError::LeafLacksGroupExtension {
            extension_type: 0xF001
        })
    );
    let supporting = kp_from(&keys(2), 2, |b| {
        b.capabilities(Capabilities {
            extensions: VarVec(vec![ExtensionType(0xF001)]),
            ..Default::default()
        })
    });
    g.check(&[val(add(supporting))]).unwrap();
}

/// C-CAP-10: an Update dropping an extension in use from its capabilities.
#[test]
fn updated_leaf_lacks_group_extension_c_cap_10() {
    let g = group_using_extension_f001();
    let keeps = update_leaf_with(1, &|_, n| {
        n.capabilities.extensions.0.push(ExtensionType(0xF001));
    });
    g.check(&[by_ref(update(keeps), Sender::Member(1))])
        .unwrap();
    assert_eq!(
        g.check(&[by_ref(update(update_leaf(1)), Sender::Member(1))]),
        err(ValidationError::LeafLacksGroupExtension {
            extension_type: 0xF001
        })
    );
}

/// Every member but leaf 3 supports extension 0xF002.
fn group_where_3_lacks_f002() -> Group {
    let hook = |l: u32, n: &mut LeafNode| {
        if l != 3 {
            n.capabilities.extensions.0.push(ExtensionType(0xF002));
        }
    };
    Group::with(4, &hook, Extensions::new())
}

/// C-CAP-12: a GCE requiring 0xF002 that member 3 lacks; with member 3
/// removed in the same list it passes.
#[test]
fn gce_required_capabilities_unmet_c_cap_12() {
    let g = group_where_3_lacks_f002();
    let rc = val(gce(vec![required(&[0xF002], &[])]));
    assert_eq!(
        g.check(std::slice::from_ref(&rc)),
        err(ValidationError::GceRequiredCapabilitiesUnmet { leaf: 3 })
    );
    g.check(&[rc, val(remove(3))]).unwrap();
    // Credential types must be listed too (C-CAP-14).
    assert_eq!(
        g.check(&[val(gce(vec![required(&[], &[2])]))]),
        err(ValidationError::GceRequiredCapabilitiesUnmet { leaf: 0 })
    );
}

/// C-CAP-13: a GCE adding extension 0xF002 that member 3 does not list.
#[test]
fn gce_extension_unsupported_c_cap_13() {
    let g = group_where_3_lacks_f002();
    let list = [val(gce(vec![ext(0xF002, b"new")]))];
    assert_eq!(
        g.check(&list),
        err(ValidationError::GceExtensionUnsupported { leaf: 3 })
    );
    g.check(&[val(gce(vec![ext(0xF002, b"new")])), val(remove(3))])
        .unwrap();
}

// ---- external commits (12.2, 12.4.3.2) -------------------------------------

#[test]
fn valid_external_commits_pass() {
    let g = Group::new(4);
    g.check_external(&[ext_val(external_init())]).unwrap();
    g.check_external(&[
        ext_val(external_psk(b"p")),
        ext_val(remove(2)),
        ext_val(external_init()),
    ])
    .unwrap();
}

/// C-EXT-07: an external commit referencing a cached proposal.
#[test]
fn external_commit_with_reference_c_ext_07() {
    let g = Group::new(4);
    assert_eq!(
        g.check_external(&[
            ext_val(external_init()),
            by_ref(external_psk(b"p"), Sender::Member(1))
        ]),
        err(ValidationError::ExternalCommitReference)
    );
}

/// C-EXT-10: no ExternalInit.
#[test]
fn external_commit_without_external_init_c_ext_10() {
    let g = Group::new(4);
    for list in [vec![], vec![ext_val(remove(2))]] {
        assert_eq!(
            g.check_external(&list),
            err(ValidationError::ExternalCommitWithoutExternalInit)
        );
    }
}

/// C-EXT-11: two ExternalInits.
#[test]
fn external_commit_with_two_external_inits_c_ext_11() {
    let g = Group::new(4);
    assert_eq!(
        g.check_external(&[ext_val(external_init()), ext_val(external_init())]),
        err(ValidationError::MultipleExternalInits)
    );
}

/// C-EXT-12: two Removes.
#[test]
fn external_commit_with_two_removes_c_ext_12() {
    let g = Group::new(4);
    assert_eq!(
        g.check_external(&[
            ext_val(external_init()),
            ext_val(remove(1)),
            ext_val(remove(2))
        ]),
        err(ValidationError::ExternalCommitMultipleRemoves)
    );
}

/// C-EXT-13: Add, Update, GCE or ReInit in an external commit.
#[test]
fn external_commit_with_other_proposals_c_ext_13() {
    let g = Group::new(4);
    for (p, t) in [
        (add(kp(1)), 1u16),
        (update(update_leaf(1)), 2),
        (reinit(1, vec![]), 5),
        (gce(vec![]), 7),
    ] {
        assert_eq!(
            g.check_external(&[ext_val(external_init()), ext_val(p)]),
            err(ValidationError::ProposalNotAllowedInExternalCommit { proposal_type: t })
        );
    }
}

/// The path leaf of a resync of member 2: its credential, a new key.
fn resync_leaf(g: &Group) -> LeafNode {
    let mut leaf = g.tree.leaf(LeafIndex(2)).unwrap().clone();
    leaf.encryption_key = fresh_encryption_key(2).into();
    leaf.leaf_node_source = LeafNodeSource::Commit(VarBytes(vec![0; 32]));
    leaf
}

fn resync_options(path_leaf: &LeafNode) -> ListOptions<'_> {
    ListOptions {
        path_leaf: Some(path_leaf),
        ..Default::default()
    }
}

/// C-EXT-14: a resync leaf reusing the removed leaf's encryption key.
#[test]
fn resync_reusing_encryption_key_c_ext_14() {
    let g = Group::new(4);
    let list = [ext_val(external_init()), ext_val(remove(2))];
    let good = resync_leaf(&g);
    g.check_with(Sender::NewMemberCommit, &list, &resync_options(&good))
        .unwrap();
    let mut bad = resync_leaf(&g);
    bad.encryption_key = g.tree.leaf(LeafIndex(2)).unwrap().encryption_key.clone();
    assert_eq!(
        g.check_with(Sender::NewMemberCommit, &list, &resync_options(&bad)),
        err(ValidationError::UpdateReusesEncryptionKey)
    );
}

/// C-EXT-15: a resync removing member 2 with another member's credential.
#[test]
fn resync_with_another_identity_c_ext_15() {
    let g = Group::new(4);
    let list = [ext_val(external_init()), ext_val(remove(2))];
    let mut carol = resync_leaf(&g);
    carol.credential = Credential::basic("member 3");
    assert_eq!(
        g.check_with(Sender::NewMemberCommit, &list, &resync_options(&carol)),
        err(ValidationError::ResyncIdentityMismatch)
    );
    // The application may accept another credential for the same client:
    // its Authentication Service decides (C-CRED-10).
    struct Lenient;
    impl CredentialValidator for Lenient {
        fn validate(&self, _: &CredentialInfo<'_>) -> bool {
            true
        }
        fn valid_successor(&self, _: &LeafNode, _: &CredentialInfo<'_>) -> bool {
            true
        }
    }
    let options = ListOptions {
        path_leaf: Some(&carol),
        credentials: Some(&Lenient),
        ..Default::default()
    };
    g.check_with(Sender::NewMemberCommit, &list, &options)
        .unwrap();
}

// ---- path required (12.4) --------------------------------------------------

#[test]
fn path_required_follows_the_registry() {
    assert!(path_required(&[]));
    assert!(!path_required(&[val(add(kp(1)))]));
    assert!(!path_required(&[
        val(external_psk(b"x")),
        val(add(kp(1))),
        val(reinit(1, vec![]))
    ]));
    for p in [
        update(update_leaf(1)),
        remove(1),
        external_init(),
        gce(vec![]),
    ] {
        assert!(path_required(&[val(add(kp(2))), val(p)]));
    }
}

// ---- references (5.2) ------------------------------------------------------

/// C-CRYPTO-05: a ProposalRef hashes the whole AuthenticatedContent with
/// the group's suite, not the bare Proposal.
#[test]
fn proposal_ref_hashes_the_authenticated_content() {
    let cs = cs(1);
    let ac = AuthenticatedContent {
        wire_format: WireFormat::PUBLIC_MESSAGE,
        content: FramedContent {
            group_id: GROUP_ID.to_vec().into(),
            epoch: 3,
            sender: Sender::Member(1),
            authenticated_data: VarBytes::default(),
            body: FramedContentBody::Proposal(remove(2)),
        },
        auth: FramedContentAuthData {
            signature: VarBytes(vec![1; 64]),
            confirmation_tag: None,
        },
    };
    let mut input = Vec::new();
    write_opaque(b"MLS 1.0 Proposal Reference", &mut input).unwrap();
    write_opaque(&cohort::codec::encode(&ac).unwrap(), &mut input).unwrap();
    assert_eq!(proposal_ref(&cs, &ac).unwrap(), cs.hash(&input).unwrap());
    let bare = cs
        .make_proposal_ref(&cohort::codec::encode(&remove(2)).unwrap())
        .unwrap();
    assert_ne!(proposal_ref(&cs, &ac).unwrap(), bare);
}

// ---- application (12.3) ----------------------------------------------------

/// Every proposal type applied, and the base tree left as it was.
#[test]
fn apply_reports_every_change_and_leaves_the_base_tree_untouched() {
    let g = Group::new(4);
    let before = g.tree.clone();
    let new_leaf = update_leaf(1);
    let kp1 = kp(1);
    let list = [
        val(external_psk(b"first")),
        val(add(kp1.clone())),
        by_ref(update(new_leaf.clone()), Sender::Member(1)),
        val(remove(2)),
        val(gce(vec![ext(0xF00F, b"")])),
        val(external_psk(b"second")),
    ];
    let mut diff = g.tree.diff();
    let applied = apply_proposals(&mut diff, &list).unwrap();
    assert_eq!(applied.extensions, Some(Extensions(vec![ext(0xF00F, b"")])));
    assert_eq!(applied.updated, vec![LeafIndex(1)]);
    assert_eq!(
        applied.removed,
        vec![(LeafIndex(2), before.leaf(LeafIndex(2)).unwrap().clone())]
    );
    assert_eq!(applied.added, vec![(LeafIndex(2), kp1.clone())]);
    let ids: Vec<_> = applied
        .psks
        .iter()
        .map(|p| match &p.psk {
            Psk::External { psk_id } => psk_id.0.clone(),
            Psk::Resumption { .. } => vec![],
        })
        .collect();
    assert_eq!(ids, vec![b"first".to_vec(), b"second".to_vec()]);
    assert_eq!(applied.external_init, None);
    assert_eq!(applied.reinit, None);

    assert_eq!(diff.leaf(LeafIndex(1)), Some(&new_leaf));
    assert_eq!(diff.leaf(LeafIndex(2)), Some(&kp1.leaf_node));
    // The updated leaf's direct path is blank (RFC 9420 section 12.1.2).
    assert!(diff.node(1).is_none() && diff.node(3).is_none());
    let staged_hash = diff.tree_hash(&g.cs).unwrap();
    assert_ne!(staged_hash, before.tree_hash());
    assert_eq!(g.tree, before);
}

/// C-PROP-23: Removes apply before Adds, so an Add placed before a Remove
/// in the list takes the leaf the Remove frees; Adds fill blanks in list
/// order and then extend the tree.
#[test]
fn removes_apply_before_adds_c_prop_23() {
    let g = Group::new(4);
    let (a, b) = (kp(1), kp(2));
    let list = [val(add(a.clone())), val(add(b.clone())), val(remove(1))];
    g.check(&list).unwrap();
    let mut diff = g.tree.diff();
    let applied = apply_proposals(&mut diff, &list).unwrap();
    assert_eq!(applied.added, vec![(LeafIndex(1), a), (LeafIndex(4), b)]);
    assert_eq!(diff.n_leaves(), 8);
}

/// C-PROP-23: Removes truncate the tree before Adds extend it again.
#[test]
fn removes_truncate_before_adds_c_prop_23() {
    let g = Group::new(4);
    let a = kp(1);
    let list = [val(add(a.clone())), val(remove(3)), val(remove(2))];
    let mut diff = g.tree.diff();
    let applied = apply_proposals(&mut diff, &list).unwrap();
    assert_eq!(applied.added, vec![(LeafIndex(2), a)]);
    assert_eq!(diff.n_leaves(), 4);
    assert!(diff.leaf(LeafIndex(3)).is_none());
}

/// C-PROP-22, C-PROP-23: the GCE is reported whatever its place in the list;
/// an ExternalInit and a ReInit are noted.
#[test]
fn apply_notes_gce_external_init_and_reinit() {
    let g = Group::new(2);
    let mut diff = g.tree.diff();
    let applied =
        apply_proposals(&mut diff, &[ext_val(external_init()), ext_val(remove(1))]).unwrap();
    assert_eq!(applied.external_init, Some(vec![5; 32]));
    assert_eq!(applied.removed.len(), 1);

    let mut diff = g.tree.diff();
    let applied = apply_proposals(&mut diff, &[val(reinit(1, vec![]))]).unwrap();
    assert!(
        matches!(applied.reinit, Some(ReInit { version, .. }) if version == ProtocolVersion::MLS10)
    );
    assert_eq!(applied.extensions, None);
    assert_eq!(diff.tree_hash(&g.cs).unwrap(), g.tree.tree_hash());
}

/// An Update whose sender is not a member cannot be applied.
#[test]
fn apply_refuses_an_update_without_a_member_sender() {
    let g = Group::new(2);
    let mut diff = g.tree.diff();
    let q = by_ref(update(update_leaf(1)), Sender::External(0));
    assert_eq!(
        apply_proposals(&mut diff, &[q]),
        Err(Error::Validation(ValidationError::SenderNotMember))
    );
}
