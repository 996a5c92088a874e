//! Building commits (RFC 9420 section 12.4.1): the builder, the commit with
//! its path, key schedule step and Welcome.

use super::credentials::{CredentialEvent, check_replacement};
use super::key_package::key_package_ref;
use super::process::{OwnPath, StagedCommit};
use super::proposals::{
    ListOptions, ProposalCheck, QueuedProposal, apply_proposals_with, path_required_with,
    validate_proposal_list_with,
};
use super::psk::fresh_nonce;
use super::state::Group;
use crate::codec::{VarVec, encode};
use crate::framing::{AuthenticatedContent, FramedContentBody, MlsMessage, MlsMessageBody, Sender};
use crate::messages::{
    Add, AppDataChange, AppDataUpdate, AppEphemeral, Commit, ComponentId, Credential, Extensions,
    GroupContext, GroupSecrets, KeyPackage, PathSecret, PreSharedKeyId, Proposal, ProposalOrRef,
    Psk, ReInit, Remove, ResumptionPskUsage, Welcome,
};
use crate::schedule::{
    confirmation_tag, encrypt_group_secrets, interim_transcript_hash, prepare_group_secrets,
};
use crate::tree::math::{self, LeafIndex};
use crate::tree::{LeafPolicy, TreeView, create_path};
use crate::{Error, MisuseError, ValidationError};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::Arc;
use alloc::vec::Vec;
use cohort_traits::{Provider, Secret, Signer};

/// The messages a commit produces.
#[derive(Debug, Clone)]
pub struct CommitOutput {
    /// The commit, to send to the group.
    pub commit: MlsMessage,
    /// The Welcome for the members it adds, if any. (A GroupInfo for
    /// external joins is made on demand, once the commit is merged, with
    /// [`Group::group_info`].)
    pub welcome: Option<MlsMessage>,
}

/// A proposal of a [`CommitBuilder`], by value; PSK nonces are drawn when
/// the commit is built.
#[derive(Debug, Clone)]
enum Item {
    Proposal(alloc::boxed::Box<Proposal>),
    ExternalPsk(Vec<u8>),
    ResumptionPsk(u64),
}

/// Changes a built commit before it is signed (see
/// [`CommitBuilder::tamper_commit`]).
#[cfg(feature = "test-utils")]
pub type CommitHook = Arc<dyn Fn(&mut Commit) + Send + Sync>;

/// Changes a commit's confirmation tag (see
/// [`CommitBuilder::tamper_confirmation_tag`]).
#[cfg(feature = "test-utils")]
pub type TagHook = Arc<dyn Fn(&mut Vec<u8>) + Send + Sync>;

/// Test hooks (feature `test-utils`): they let a member send what a faulty
/// or malicious member could, to exercise the receivers' checks. Without
/// the feature the struct is empty and the hooks cannot be set.
#[derive(Clone, Default)]
struct Hooks {
    #[cfg(feature = "test-utils")]
    commit: Option<CommitHook>,
    #[cfg(feature = "test-utils")]
    tag: Option<TagHook>,
}

impl Hooks {
    /// Applies the commit hook, if any.
    fn on_commit(&self, _commit: &mut Commit) {
        #[cfg(feature = "test-utils")]
        if let Some(hook) = &self.commit {
            hook(_commit);
        }
    }

    /// Applies the confirmation-tag hook, if any.
    fn on_tag(&self, _tag: &mut Vec<u8>) {
        #[cfg(feature = "test-utils")]
        if let Some(hook) = &self.tag {
            hook(_tag);
        }
    }
}

impl core::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Hooks").finish_non_exhaustive()
    }
}

/// Proposals for one commit, built with [`Group::commit`].
#[derive(Debug, Clone, Default)]
pub struct CommitBuilder {
    items: Vec<Item>,
    force_path: bool,
    include_pending: bool,
    authenticated_data: Vec<u8>,
    hooks: Hooks,
    renewal: Option<Renewal>,
}

/// The committer's new credential and signature key, carried by its
/// commit's path leaf (see [`CommitBuilder::renew_credential`]).
#[derive(Clone)]
struct Renewal {
    credential: Credential,
    signer: Arc<dyn Signer>,
}

impl core::fmt::Debug for Renewal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Renewal")
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

impl CommitBuilder {
    /// Replaces the committer's credential and signature key through the
    /// commit's UpdatePath (RFC 9420 sections 5.3.1, 12.4; C-CRED-07,
    /// C-CRED-10, C-CRED-11): the path leaf carries `credential` and
    /// `signer`'s public key and is signed by `signer`, while the commit
    /// itself is signed with the current key, as receivers verify it. The
    /// commit gets a path. The committer's Authentication Service checks
    /// the new credential and that it is a valid successor before anything
    /// is sent; every receiver checks the same. Once the commit is merged,
    /// sign with `signer` in this group.
    pub fn renew_credential(mut self, credential: Credential, signer: Arc<dyn Signer>) -> Self {
        self.renewal = Some(Renewal { credential, signer });
        self.force_path = true;
        self
    }

    /// Adds a member (its KeyPackage is validated when the commit is built).
    pub fn add_member(self, key_package: KeyPackage) -> Self {
        self.proposal(Proposal::Add(alloc::boxed::Box::new(Add { key_package })))
    }

    /// Removes the member at `leaf`.
    pub fn remove_member(self, leaf: LeafIndex) -> Self {
        self.proposal(Proposal::Remove(Remove { removed: leaf.0 }))
    }

    /// Injects a pre-shared key given in full (RFC 9420 section 12.1.4).
    pub fn psk(self, psk: PreSharedKeyId) -> Self {
        self.proposal(Proposal::PreSharedKey(crate::messages::PreSharedKey {
            psk,
        }))
    }

    /// Injects the external PSK `psk_id` (registered with
    /// [`Group::add_external_psk`]) with a fresh nonce (RFC 9420 sections
    /// 8.4, 12.1.4).
    pub fn external_psk(mut self, psk_id: Vec<u8>) -> Self {
        self.items.push(Item::ExternalPsk(psk_id));
        self
    }

    /// Injects this group's resumption PSK of `epoch` (usage `application`)
    /// with a fresh nonce (RFC 9420 sections 8.6, 12.1.4).
    pub fn resumption_psk(mut self, epoch: u64) -> Self {
        self.items.push(Item::ResumptionPsk(epoch));
        self
    }

    /// Replaces the group context extensions.
    pub fn group_context_extensions(self, extensions: Extensions) -> Self {
        self.proposal(Proposal::GroupContextExtensions(
            crate::messages::GroupContextExtensions { extensions },
        ))
    }

    /// Reinitializes the group with new parameters (RFC 9420 sections 11.2,
    /// 12.1.5). A ReInit must be the only proposal of its commit.
    pub fn reinit(self, reinit: ReInit) -> Self {
        self.proposal(Proposal::ReInit(reinit))
    }

    /// Updates the entry of `component_id` in the group context's
    /// `app_data_dictionary` with `update`, which the component's
    /// registered logic folds into the entry (MLS extensions draft,
    /// AppDataUpdate; see [`AppRegistry`](super::AppRegistry)).
    pub fn app_data_update(self, component_id: ComponentId, update: Vec<u8>) -> Self {
        self.proposal(Proposal::AppDataUpdate(AppDataUpdate {
            component_id,
            change: AppDataChange::Update(update.into()),
        }))
    }

    /// Removes the entry of `component_id` from the group context's
    /// `app_data_dictionary` (MLS extensions draft, AppDataUpdate).
    pub fn app_data_remove(self, component_id: ComponentId) -> Self {
        self.proposal(Proposal::AppDataUpdate(AppDataUpdate {
            component_id,
            change: AppDataChange::Remove,
        }))
    }

    /// Attaches `data` for `component_id` to the commit (MLS extensions
    /// draft, AppEphemeral): every member processing it sees the same data.
    pub fn app_ephemeral(self, component_id: ComponentId, data: Vec<u8>) -> Self {
        self.proposal(Proposal::AppEphemeral(AppEphemeral {
            component_id,
            data: data.into(),
        }))
    }

    /// Adds any proposal by value.
    pub fn proposal(mut self, proposal: Proposal) -> Self {
        self.items
            .push(Item::Proposal(alloc::boxed::Box::new(proposal)));
        self
    }

    /// Includes an UpdatePath even when no proposal requires one (a
    /// self-update of the committer's keys).
    pub fn force_path(mut self, force: bool) -> Self {
        self.force_path = force;
        self
    }

    /// Also commits the proposals received this epoch, by reference
    /// (the default is true).
    pub fn include_pending_proposals(mut self, include: bool) -> Self {
        self.include_pending = include;
        self
    }

    /// Application data authenticated with the commit.
    pub fn authenticated_data(mut self, data: Vec<u8>) -> Self {
        self.authenticated_data = data;
        self
    }

    /// For negative tests only (feature `test-utils`): changes the commit
    /// after it is built and before it is signed, as a faulty member could.
    /// The epoch and confirmation tag still come from the unchanged commit.
    #[cfg(feature = "test-utils")]
    pub fn tamper_commit(mut self, hook: CommitHook) -> Self {
        self.hooks.commit = Some(hook);
        self
    }

    /// For negative tests only (feature `test-utils`): changes the
    /// confirmation tag sent.
    #[cfg(feature = "test-utils")]
    pub fn tamper_confirmation_tag(mut self, hook: TagHook) -> Self {
        self.hooks.tag = Some(hook);
        self
    }
}

impl Group {
    /// A builder for this member's next commit (the pending proposals
    /// included by reference unless turned off).
    pub fn commit(&self) -> CommitBuilder {
        CommitBuilder {
            include_pending: true,
            ..Default::default()
        }
    }

    /// Builds and signs a commit (RFC 9420 section 12.4.1), with a Welcome
    /// for the members it adds and a GroupInfo of the new epoch. The group
    /// does not change: the commit is returned with a [`StagedCommit`] to
    /// merge with [`Group::merge_staged_commit`] once the delivery service
    /// accepted it.
    ///
    /// The committer validates its own list first (C-COMMIT-09).
    pub fn create_commit<P: Provider>(
        &mut self,
        provider: &P,
        signer: &dyn Signer,
        builder: CommitBuilder,
    ) -> Result<(CommitOutput, StagedCommit), Error> {
        self.ensure_can_send()?;
        let built = self.build_commit(provider, signer, builder, None, &[])?;
        Ok((built.output, built.staged))
    }

    /// [`Group::create_commit`], with resumption PSKs of `usage` (reinit or
    /// branch) allowed and the resumption PSKs of `others` available.
    pub(crate) fn build_commit<P: Provider>(
        &mut self,
        provider: &P,
        signer: &dyn Signer,
        builder: CommitBuilder,
        psk_usage: Option<ResumptionPskUsage>,
        others: &[&Group],
    ) -> Result<Built, Error> {
        let cs = self.cs(provider.crypto())?;
        let me = Sender::Member(self.own_leaf.0);
        let mut list: Vec<QueuedProposal> = Vec::new();
        let mut refs: Vec<ProposalOrRef> = Vec::new();
        if builder.include_pending {
            // Competing proposals for one leaf (RFC 9420 section 12.2;
            // C-PROP-11): a Remove wins over Updates, one Remove per leaf,
            // and of several Updates from one member the newest.
            let by_value_removes = builder.items.iter().filter_map(|i| match i {
                Item::Proposal(p) => match p.as_ref() {
                    Proposal::Remove(r) => Some(r.removed),
                    _ => None,
                },
                _ => None,
            });
            let mut removed: BTreeSet<u32> = by_value_removes.collect();
            let newest_update: BTreeMap<u32, usize> = self
                .proposals
                .iter()
                .enumerate()
                .filter_map(|(i, q)| match (&q.proposal, q.sender) {
                    (Proposal::Update(_), Sender::Member(l)) => Some((l, i)),
                    _ => None,
                })
                .collect();
            let pending_removes: BTreeSet<u32> = self
                .proposals
                .iter()
                .filter_map(|q| match &q.proposal {
                    Proposal::Remove(r) => Some(r.removed),
                    _ => None,
                })
                .collect();
            // Members leaving by SelfRemove (extensions draft): their
            // SelfRemove is committed (the committer must), a Remove or
            // an Update of their leaf is not; never the committer's own.
            let self_removing: BTreeSet<u32> = self
                .proposals
                .iter()
                .filter_map(|q| match (&q.proposal, q.sender) {
                    (Proposal::SelfRemove(_), Sender::Member(l)) if q.sender != me => Some(l),
                    _ => None,
                })
                .collect();
            let mut self_removed: BTreeSet<u32> = BTreeSet::new();
            for (i, q) in self.proposals.iter().enumerate() {
                let Some(r) = &q.reference else { continue };
                match &q.proposal {
                    // An Update from this member is replaced by the path.
                    Proposal::Update(_) if q.sender == me => continue,
                    Proposal::Update(_) => {
                        let keep = match q.sender {
                            Sender::Member(l) => {
                                !removed.contains(&l)
                                    && !pending_removes.contains(&l)
                                    && !self_removing.contains(&l)
                                    && newest_update.get(&l) == Some(&i)
                            }
                            _ => true,
                        };
                        if !keep {
                            continue;
                        }
                    }
                    Proposal::SelfRemove(_) => match q.sender {
                        Sender::Member(l)
                            if q.sender != me
                                && !removed.contains(&l)
                                && self_removed.insert(l) => {}
                        _ => continue,
                    },
                    Proposal::Remove(rm)
                        if self_removing.contains(&rm.removed) || !removed.insert(rm.removed) =>
                    {
                        continue;
                    }
                    _ => {}
                }
                list.push(q.clone());
                refs.push(ProposalOrRef::Reference(r.clone().into()));
            }
        }
        for item in builder.items {
            let p = match item {
                Item::Proposal(p) => *p,
                Item::ExternalPsk(psk_id) => psk_proposal(
                    Psk::External {
                        psk_id: psk_id.into(),
                    },
                    fresh_nonce(&cs, provider.rand())?,
                ),
                Item::ResumptionPsk(psk_epoch) => psk_proposal(
                    Psk::Resumption {
                        usage: ResumptionPskUsage::Application,
                        psk_group_id: self.context.group_id.clone(),
                        psk_epoch,
                    },
                    fresh_nonce(&cs, provider.rand())?,
                ),
            };
            list.push(QueuedProposal {
                proposal: p.clone(),
                sender: me,
                reference: None,
            });
            refs.push(ProposalOrRef::Proposal(alloc::boxed::Box::new(p)));
        }
        let required = crate::tree::RequiredSet::of(&self.context.extensions)?;
        let check = ProposalCheck {
            cs: &cs,
            context: &self.context,
            tree: &self.tree,
            committer: me,
            leaf_policy: LeafPolicy {
                required: required.as_ref(),
                now: self.config.clock.now(),
                max_extensions: self.config.limits.max_extensions_per_leaf,
                ..Default::default()
            },
        };
        let options = ListOptions {
            psk_usage,
            policy: Some(self.config.proposal_policy.get()),
            credentials: Some(self.config.credential_validator.get()),
            app: Some(&self.config.app),
            ..Default::default()
        };
        self.config.limits.check_proposals(list.len())?;
        validate_proposal_list_with(&check, &list, &options)?;

        let mut diff = self.tree.diff();
        let applied =
            apply_proposals_with(&mut diff, &list, &self.context, &self.config.app, false)?;
        self.config.limits.check_leaves(diff.n_leaves().into())?;
        let extensions = applied
            .extensions
            .clone()
            .unwrap_or_else(|| self.context.extensions.clone());
        let new_leaves: Vec<LeafIndex> = applied.added.iter().map(|(l, _)| *l).collect();
        let new_epoch = self
            .context
            .epoch
            .checked_add(1)
            .ok_or(MisuseError::EpochExhausted)?;

        let with_path = builder.force_path || path_required_with(&list, &self.config.app);
        let mut private_keys = self.private_keys.clone();
        let mut pending_path = None;
        let (path, commit_secret) = if with_path {
            let old = self
                .tree
                .leaf(self.own_leaf)
                .ok_or(ValidationError::SenderNotMember)?;
            let mut template = old.clone();
            let path_signer: &dyn Signer = match &builder.renewal {
                Some(renewal) => {
                    template.credential = renewal.credential.clone();
                    template.signature_key = renewal.signer.public_key().to_vec().into();
                    // The committer's own Authentication Service first
                    // (C-COMMIT-09): the receivers run the same checks.
                    check_replacement(
                        self.config.credential_validator.get(),
                        CredentialEvent::CommitPath {
                            leaf: self.own_leaf.0,
                        },
                        self.own_leaf.0,
                        old,
                        &template,
                        &self.context,
                    )?;
                    // A new credential type, and a multi-credential's
                    // bindings, must be ones every member after the commit
                    // supports (C-LN-10; extensions draft), as receivers
                    // check.
                    let new_type = template.credential.credential_type();
                    let multi = template.credential.bindings().is_some();
                    if multi || new_type != old.credential.credential_type() {
                        for l in 0..diff.n_leaves() {
                            if let Some(leaf) = diff.leaf(LeafIndex(l))
                                && (!leaf.capabilities.credentials.0.contains(&new_type)
                                    || !crate::tree::supports_bindings(
                                        &leaf.capabilities,
                                        &template.credential,
                                    ))
                            {
                                return Err(ValidationError::CredentialTypeUnsupportedByMember {
                                    leaf: l,
                                }
                                .into());
                            }
                        }
                    }
                    renewal.signer.as_ref()
                }
                None => signer,
            };
            let pending = create_path(
                &cs,
                provider.rand(),
                &mut diff,
                self.own_leaf,
                template,
                path_signer,
                self.context.group_id.as_slice(),
            )?;
            let provisional = GroupContext {
                epoch: new_epoch,
                tree_hash: diff.tree_hash(&cs)?.into(),
                extensions: extensions.clone(),
                ..self.context.clone()
            };
            let path = pending.encrypt(
                &cs,
                provider.rand(),
                &diff,
                &encode(&provisional)?,
                &new_leaves,
            )?;
            private_keys = pending.private_keys().clone();
            let commit_secret = pending.commit_secret().clone();
            pending_path = Some(pending);
            (Some(path), commit_secret)
        } else {
            (None, Secret::zero(cs.hash_len()))
        };
        let mut commit = Commit {
            proposals: VarVec(refs),
            path: path.clone(),
        };
        builder.hooks.on_commit(&mut commit);
        let wire_format = self.config.handshake_wire_format();
        let mut ac = self.sign_own::<P>(
            &cs,
            signer,
            wire_format,
            FramedContentBody::Commit(commit),
            builder.authenticated_data,
        )?;

        let next = self.next_epoch(
            &cs,
            &ac,
            diff.tree_hash(&cs)?,
            extensions,
            &self.keys.secrets.init_secret,
            &commit_secret,
            &applied.psks,
            others,
        )?;
        let super::epoch::NextEpoch {
            context,
            confirmed,
            joiner_secret: joiner_bytes,
            welcome_secret,
            secrets,
        } = next;
        let tag = confirmation_tag(&cs, &secrets.confirmation_key, &confirmed)?;
        let mut sent_tag = tag.clone();
        builder.hooks.on_tag(&mut sent_tag);
        ac.auth.confirmation_tag = Some(sent_tag.into());
        let interim = interim_transcript_hash(&cs, &confirmed, &tag)?;

        let welcome = if applied.added.is_empty() {
            None
        } else {
            // The GroupInfo of the new epoch, signed by this member.
            let tree_nodes = self
                .config
                .ratchet_tree_extension
                .then(|| diff.encode_extension())
                .transpose()?;
            let group_info = super::group_info::signed_group_info(
                &cs,
                signer,
                self.own_leaf,
                context.clone(),
                super::group_info::Optional {
                    tree_nodes,
                    grease: self.config.grease.then_some(provider.rand()),
                },
                &secrets,
                &tag,
            )?;
            let encrypted_group_info =
                crate::schedule::encrypt_group_info(&cs, &welcome_secret, &group_info)?;
            let prepared = prepare_group_secrets(&cs, &encrypted_group_info)?;
            let my_node = self
                .own_leaf
                .node_index()
                .ok_or(crate::Error::Internal("a node index outside the tree"))?;
            // One HPKE encryption per new member, independent of each other
            // (in parallel with the `parallel` feature), with randomness
            // drawn in member order.
            let rand_len = cs
                .params()
                .kem
                .encap_randomness_len()
                .ok_or(MisuseError::UnsupportedCiphersuite(self.suite))?;
            let drawn = crate::par::predraw(provider.rand(), applied.added.len(), rand_len)?;
            let jobs: Vec<(&(LeafIndex, KeyPackage), crate::par::Drawn)> =
                applied.added.iter().zip(drawn).collect();
            let secrets_out = crate::par::map(&jobs, |((leaf, kp), rand)| {
                let path_secret = match &pending_path {
                    Some(p) => {
                        let their = leaf
                            .node_index()
                            .ok_or(crate::Error::Internal("a node index outside the tree"))?;
                        p.path_secret_at(math::common_ancestor(my_node, their))
                            .map(|s| PathSecret {
                                path_secret: crate::codec::SecretVarBytes(s.clone()),
                            })
                    }
                    None => None,
                };
                let group_secrets = GroupSecrets {
                    joiner_secret: crate::codec::SecretVarBytes(joiner_bytes.clone()),
                    path_secret,
                    psks: VarVec(applied.psks.clone()),
                };
                encrypt_group_secrets(
                    &cs,
                    rand,
                    &prepared,
                    key_package_ref(&cs, kp)?.into(),
                    kp.init_key.as_slice(),
                    &group_secrets,
                )
            })
            .into_iter()
            .collect::<Result<Vec<_>, Error>>()?;
            Some(MlsMessage::new(MlsMessageBody::Welcome(Welcome {
                cipher_suite: self.suite,
                secrets: VarVec(secrets_out),
                encrypted_group_info: encrypted_group_info.into(),
            })))
        };

        let removes_self = applied.removed.iter().any(|(l, _)| *l == self.own_leaf);
        let tree_changes = diff.into_changes(&cs)?;
        let content = ac.clone();
        let own = OwnPath {
            private_keys: private_keys.clone(),
            commit_secret,
        };
        let commit_msg = self.protect_own(&cs, provider, ac)?;
        let staged = StagedCommit {
            base: super::process::StagedBase::of(self),
            sender: me,
            applied,
            proposals: list,
            tree_changes,
            context,
            secrets: Some(secrets),
            private_keys: (!removes_self).then_some(private_keys),
            interim_transcript_hash: interim,
            confirmation_tag: tag,
            old_epoch_update: None,
            path_leaf: pending_path.map(|p| p.leaf_node().clone()),
        };
        let output = CommitOutput {
            commit: commit_msg,
            welcome,
        };
        Ok(Built {
            output,
            staged,
            content,
            own,
        })
    }
}

/// A commit this member built: what it sends, its staged form, and what it
/// keeps to stage it again (after a restart).
pub(crate) struct Built {
    pub(crate) output: CommitOutput,
    pub(crate) staged: StagedCommit,
    pub(crate) content: AuthenticatedContent,
    pub(crate) own: OwnPath,
}

/// A PreSharedKey proposal for `psk` with `nonce`.
fn psk_proposal(psk: Psk, nonce: Vec<u8>) -> Proposal {
    Proposal::PreSharedKey(crate::messages::PreSharedKey {
        psk: PreSharedKeyId {
            psk,
            psk_nonce: nonce.into(),
        },
    })
}
