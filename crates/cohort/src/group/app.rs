//! Application-defined proposal logic: the components of the MLS
//! extensions draft (draft-ietf-mls-extensions, editor's copy of
//! 2026-07-01) that AppDataUpdate and AppEphemeral proposals address, and
//! custom proposal types (RFC 9420 sections 12.1, 13, 17.4).
//!
//! A group's [`AppRegistry`] says which components and custom types this
//! member understands and holds the logic for each: validation, and for
//! AppDataUpdate and custom types, how a commit changes the group context
//! extensions. Every member of a group must run the same logic, since the
//! result enters the GroupContext and so the key schedule: a member whose
//! logic differs fails the commit's confirmation tag.

use crate::framing::Sender;
use crate::framing::WireFormat;
use crate::messages::app::{
    ApplicationFraming, ComponentsList, MediaType, MediaTypeList, SafeAad, WireFormats, component,
};
use crate::messages::{
    AppDataChange, AppDataDictionary, ComponentId, ExtensionType, Extensions, GroupContext,
    LeafNode, Proposal, ProposalType,
};
use crate::{Error, ValidationError};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::proposals::QueuedProposal;

/// Where a component's or custom proposal's data is being checked.
#[derive(Clone, Copy, Debug)]
pub struct AppProposalInfo<'a> {
    /// The group context of the epoch the proposal belongs to.
    pub context: &'a GroupContext,
    /// Who sent the proposal (the committer for one by value).
    pub sender: Sender,
    /// Whether it comes in an external commit.
    pub external_commit: bool,
}

/// The logic of one application component (extensions draft, "Component
/// IDs"), registered by its [`ComponentId`].
pub trait ComponentHandler: Send + Sync {
    /// The component's new entry in the GroupContext's
    /// `app_data_dictionary`, from its current entry (`None` when absent)
    /// and the `update` payloads of the commit's AppDataUpdate proposals
    /// for it, in commit order. `Err` (a reason) makes the proposal list
    /// invalid. The default refuses every update.
    fn apply_updates(
        &self,
        current: Option<&[u8]>,
        updates: &[&[u8]],
        info: &AppProposalInfo<'_>,
    ) -> Result<Vec<u8>, String> {
        let _ = (current, updates, info);
        Err(String::from("this component takes no updates"))
    }

    /// Whether an AppEphemeral's `data` is valid for this component. The
    /// default refuses every AppEphemeral.
    fn check_ephemeral(&self, data: &[u8], info: &AppProposalInfo<'_>) -> Result<(), String> {
        let _ = (data, info);
        Err(String::from("this component takes no ephemeral data"))
    }

    /// Whether an AppDataUpdate `remove` of the component's entry is
    /// allowed. The default allows it.
    fn allow_remove(&self, info: &AppProposalInfo<'_>) -> bool {
        let _ = info;
        true
    }
}

/// The extensions draft's `app_ack` component (provisional id 0x0005),
/// registered with [`AppRegistry::with_app_ack`]: an AppEphemeral for it
/// must hold exactly one well-formed
/// [`AppAck`](crate::messages::app::AppAck) and come from a member (an
/// external sender receives no application messages to acknowledge). It
/// takes no AppDataUpdate.
#[derive(Clone, Copy, Debug, Default)]
pub struct AppAckHandler;

impl ComponentHandler for AppAckHandler {
    fn check_ephemeral(&self, data: &[u8], info: &AppProposalInfo<'_>) -> Result<(), String> {
        if !matches!(info.sender, Sender::Member(_)) {
            return Err(String::from("an AppAck comes from a member"));
        }
        crate::messages::app::AppAck::parse(data)
            .map(|_| ())
            .map_err(|e| alloc::string::ToString::to_string(&e))
    }
}

/// The logic of one custom proposal type (RFC 9420 section 17.4: its
/// "External" and "Path Required" columns, its validity, and its effect).
/// Its body is the `opaque data<V>` of a
/// [`CustomProposal`](crate::messages::CustomProposal).
pub trait CustomProposalHandler: Send + Sync {
    /// Whether a commit covering it must carry an UpdatePath ("Path
    /// Required"). Default: yes, as for a type nobody registered.
    fn path_required(&self) -> bool {
        true
    }

    /// Whether an external sender may send it ("External"). Default: no.
    fn external_sender_allowed(&self) -> bool {
        false
    }

    /// Whether the body is valid. `Err` (a reason) makes a proposal list
    /// holding it invalid, and a member refuses it when it arrives.
    fn validate(&self, data: &[u8], info: &AppProposalInfo<'_>) -> Result<(), String>;

    /// Its effect on the group context extensions of the new epoch,
    /// applied after RFC 9420's proposals (the extensions are those after
    /// any GroupContextExtensions). The default changes nothing.
    fn apply(
        &self,
        data: &[u8],
        extensions: &mut Extensions,
        info: &AppProposalInfo<'_>,
    ) -> Result<(), String> {
        let _ = (data, extensions, info);
        Ok(())
    }
}

/// The application's components and custom proposal types, as a group's
/// configuration holds them ([`GroupConfig::app`](super::GroupConfig)).
/// Runtime configuration, like the proposal policy: not saved with the
/// group. Two registries are equal when they hold the same handler objects
/// under the same ids.
#[derive(Clone, Default)]
pub struct AppRegistry {
    components: BTreeMap<ComponentId, Arc<dyn ComponentHandler>>,
    proposals: BTreeMap<ProposalType, Arc<dyn CustomProposalHandler>>,
}

/// The registry of a group with none installed.
pub(crate) static EMPTY_APP: AppRegistry = AppRegistry {
    components: BTreeMap::new(),
    proposals: BTreeMap::new(),
};

impl AppRegistry {
    /// An empty registry: no component, no custom type.
    pub fn new() -> Self {
        Self::default()
    }

    /// This registry with `handler` for `component_id`.
    pub fn with_component<T: ComponentHandler + 'static>(
        mut self,
        component_id: ComponentId,
        handler: T,
    ) -> Self {
        self.components.insert(component_id, Arc::new(handler));
        self
    }

    /// This registry with the draft's `app_ack` component
    /// ([`AppAckHandler`]), so this member accepts AppAcks in commits and
    /// advertises the component.
    pub fn with_app_ack(self) -> Self {
        self.with_component(component::APP_ACK, AppAckHandler)
    }

    /// This registry with `handler` for the custom proposal type
    /// `proposal_type` (a type outside RFC 9420's and the draft's).
    pub fn with_proposal_type<T: CustomProposalHandler + 'static>(
        mut self,
        proposal_type: ProposalType,
        handler: T,
    ) -> Self {
        self.proposals.insert(proposal_type, Arc::new(handler));
        self
    }

    /// The registered components.
    pub fn component_ids(&self) -> impl Iterator<Item = ComponentId> + '_ {
        self.components.keys().copied()
    }

    /// The registered custom proposal types (to list in capabilities).
    pub fn proposal_types(&self) -> impl Iterator<Item = ProposalType> + '_ {
        self.proposals.keys().copied()
    }

    /// The handler of `component_id`.
    pub fn component(&self, component_id: ComponentId) -> Option<&dyn ComponentHandler> {
        self.components.get(&component_id).map(|h| h.as_ref())
    }

    /// The handler of the custom type `proposal_type`.
    pub fn proposal_type(&self, proposal_type: ProposalType) -> Option<&dyn CustomProposalHandler> {
        self.proposals.get(&proposal_type).map(|h| h.as_ref())
    }

    /// "Path Required" for `t`: the registry column for known types, the
    /// handler's answer for registered custom ones, yes for the others.
    pub fn path_required(&self, t: ProposalType) -> bool {
        match t.path_required() {
            Some(required) => required,
            None => self.proposal_type(t).is_none_or(|h| h.path_required()),
        }
    }

    /// "External" for `t`, as [`AppRegistry::path_required`].
    pub fn external_sender_allowed(&self, t: ProposalType) -> bool {
        match t.external_sender_allowed() {
            Some(allowed) => allowed,
            None => self
                .proposal_type(t)
                .is_some_and(|h| h.external_sender_allowed()),
        }
    }

    /// The checks of one proposal that need nothing but itself and the
    /// registry: AppDataUpdate and AppEphemeral name a registered component
    /// and an AppEphemeral's data is valid for it; a registered custom type's
    /// body is valid. A member runs them when a proposal arrives and again
    /// on every list.
    pub(crate) fn check_one(&self, p: &Proposal, info: &AppProposalInfo<'_>) -> Result<(), Error> {
        match p {
            Proposal::AppDataUpdate(u) => {
                self.component(u.component_id)
                    .ok_or(ValidationError::UnknownComponent {
                        component_id: u.component_id,
                    })?;
                Ok(())
            }
            Proposal::AppEphemeral(e) => {
                let handler =
                    self.component(e.component_id)
                        .ok_or(ValidationError::UnknownComponent {
                            component_id: e.component_id,
                        })?;
                handler
                    .check_ephemeral(e.data.as_slice(), info)
                    .map_err(|reason| {
                        refused(format!("app_ephemeral {:#06x}", e.component_id), reason)
                    })
            }
            Proposal::Custom(t, body) => match self.proposal_type(*t) {
                Some(handler) => handler
                    .validate(body.data.as_slice(), info)
                    .map_err(|reason| refused(format!("proposal type {:#06x}", t.0), reason)),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// The AppDataUpdate rules of a whole list (extensions draft, "Updating
    /// Application Data in the GroupContext"): per component, a single
    /// `remove` of an existing entry or only `update`s. `extensions` are
    /// those in force after the list's GroupContextExtensions.
    pub(crate) fn check_app_data_updates(
        &self,
        list: &[QueuedProposal],
        extensions: &Extensions,
        context: &GroupContext,
        external_commit: bool,
    ) -> Result<(), Error> {
        let mut ops: BTreeMap<ComponentId, (usize, usize, Sender)> = BTreeMap::new();
        for q in list {
            if let Proposal::AppDataUpdate(u) = &q.proposal {
                let entry = ops.entry(u.component_id).or_insert((0, 0, q.sender));
                match u.change {
                    AppDataChange::Update(_) => entry.0 = entry.0.saturating_add(1),
                    AppDataChange::Remove => entry.1 = entry.1.saturating_add(1),
                }
            }
        }
        if ops.is_empty() {
            return Ok(());
        }
        let dictionary = AppDataDictionary::from_extensions(extensions)?.unwrap_or_default();
        for (&component_id, &(updates, removes, sender)) in &ops {
            let handler = self
                .component(component_id)
                .ok_or(ValidationError::UnknownComponent { component_id })?;
            let invalid = |reason| ValidationError::AppDataUpdateInvalid {
                component_id,
                reason,
            };
            match (updates, removes) {
                (_, 0) => {}
                (0, 1) => {
                    if dictionary.get(component_id).is_none() {
                        return Err(invalid("remove of a component with no entry").into());
                    }
                    let info = AppProposalInfo {
                        context,
                        sender,
                        external_commit,
                    };
                    if !handler.allow_remove(&info) {
                        return Err(refused(
                            format!("app_data_update {component_id:#06x}"),
                            String::from("remove not allowed"),
                        ));
                    }
                }
                (0, _) => return Err(invalid("several removes").into()),
                _ => return Err(invalid("update and remove together").into()),
            }
        }
        Ok(())
    }

    /// Applies the custom types' effects, then the AppDataUpdates by
    /// component (extensions draft: after RFC 9420's proposals and the
    /// AppEphemerals), to `extensions`. Returns whether anything changed.
    pub(crate) fn apply(
        &self,
        list: &[QueuedProposal],
        extensions: &mut Extensions,
        context: &GroupContext,
        external_commit: bool,
    ) -> Result<bool, Error> {
        let mut changed = false;
        for q in list {
            if let Proposal::Custom(t, body) = &q.proposal
                && let Some(handler) = self.proposal_type(*t)
            {
                let info = AppProposalInfo {
                    context,
                    sender: q.sender,
                    external_commit,
                };
                let before = extensions.clone();
                handler
                    .apply(body.data.as_slice(), extensions, &info)
                    .map_err(|reason| refused(format!("proposal type {:#06x}", t.0), reason))?;
                changed |= *extensions != before;
            }
        }
        // Per component, the updates in commit order.
        let mut by_component: BTreeMap<ComponentId, (Vec<&[u8]>, bool, Sender)> = BTreeMap::new();
        for q in list {
            if let Proposal::AppDataUpdate(u) = &q.proposal {
                let entry =
                    by_component
                        .entry(u.component_id)
                        .or_insert((Vec::new(), false, q.sender));
                match &u.change {
                    AppDataChange::Update(d) => entry.0.push(d.as_slice()),
                    AppDataChange::Remove => entry.1 = true,
                }
            }
        }
        if by_component.is_empty() {
            return Ok(changed);
        }
        let mut dictionary = AppDataDictionary::from_extensions(extensions)?.unwrap_or_default();
        for (component_id, (updates, remove, sender)) in by_component {
            if remove {
                dictionary.remove(component_id);
                continue;
            }
            let handler = self
                .component(component_id)
                .ok_or(ValidationError::UnknownComponent { component_id })?;
            let info = AppProposalInfo {
                context,
                sender,
                external_commit,
            };
            let new = handler
                .apply_updates(dictionary.get(component_id), &updates, &info)
                .map_err(|reason| {
                    refused(format!("app_data_update {component_id:#06x}"), reason)
                })?;
            dictionary.set(component_id, new);
        }
        // Replace the extension in place, or add it at the end (draft).
        let encoded = crate::codec::encode(&dictionary)?;
        match extensions
            .0
            .iter_mut()
            .find(|e| e.extension_type == crate::messages::ExtensionType::APP_DATA_DICTIONARY)
        {
            Some(e) => e.extension_data = crate::codec::VarBytes(encoded),
            None => extensions
                .push_encoded(crate::messages::ExtensionType::APP_DATA_DICTIONARY, encoded),
        }
        Ok(true)
    }
}

/// The rules a group's `app_data_dictionary` sets for the content of every
/// message (extensions draft, "Safe Additional Authenticated Data" and
/// "Framing of application_data"): with the `safe_aad` component in the
/// context, `authenticated_data` is exactly one SafeAAD, items sorted and
/// unique; with `content_media_types`, application data is an
/// ApplicationFraming whose media type is empty (the group's first) or one
/// of the group's. A group without the extension pays one lookup.
pub(crate) fn check_content(
    context: &GroupContext,
    authenticated_data: &[u8],
    application_data: Option<&[u8]>,
) -> Result<(), Error> {
    let Some(extension) = context
        .extensions
        .find(crate::messages::ExtensionType::APP_DATA_DICTIONARY)
    else {
        return Ok(());
    };
    let dictionary: AppDataDictionary =
        crate::codec::decode_exact(extension.extension_data.as_slice())?;
    if dictionary.get(component::SAFE_AAD).is_some() {
        SafeAad::decode(authenticated_data)?;
    }
    if let Some(data) = application_data
        && let Some(types) = dictionary.parse::<MediaTypeList>(component::CONTENT_MEDIA_TYPES)?
    {
        let framing: ApplicationFraming = crate::codec::decode_exact(data)
            .map_err(|_| ValidationError::ApplicationFramingInvalid("malformed"))?;
        if !framing.media_type.media_type.0.is_empty() && !types.supports(&framing.media_type) {
            return Err(ValidationError::ApplicationFramingInvalid(
                "media type not among the group's content_media_types",
            )
            .into());
        }
    }
    Ok(())
}

/// What a group context requires of every member's leaf under the
/// extensions draft ("Negotiating Extensions and Components", "Content
/// Advertisement"): the components of its `app_data_dictionary`'s
/// `app_components` and `safe_aad` lists in the leaf's lists of the same
/// name, support for each media type of its `content_media_types`, and
/// each non-default wire format of its `required_wire_formats` extension
/// in the leaf's `supported_wire_formats`. Checked with every leaf the
/// group's `required_capabilities` are checked with (new, updated and
/// commit-path leaves, a joined tree's leaves, the creator's leaf, and
/// every member after a GroupContextExtensions).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RequiredComponents {
    components: Vec<ComponentId>,
    safe_aad: Vec<ComponentId>,
    media: Option<MediaTypeList>,
    /// Sorted, deduplicated, without the default formats.
    wire_formats: Vec<WireFormat>,
}

/// Whether `w` is one of RFC 9420's wire formats (section 17.2), which
/// every member supports without listing them: the draft's
/// `supported_wire_formats` and `required_wire_formats` list the others.
fn default_wire_format(w: WireFormat) -> bool {
    (WireFormat::PUBLIC_MESSAGE.0..=WireFormat::KEY_PACKAGE.0).contains(&w.0)
}

/// The non-default wire formats of the `WireFormats` extension of type
/// `extension_type` in `extensions`, sorted and deduplicated; empty
/// without the extension.
fn wire_formats_of(
    extensions: &Extensions,
    extension_type: ExtensionType,
) -> Result<Vec<WireFormat>, Error> {
    let Some(extension) = extensions.find(extension_type) else {
        return Ok(Vec::new());
    };
    let list: WireFormats = crate::codec::decode_exact(extension.extension_data.as_slice())?;
    let mut formats: Vec<WireFormat> = list
        .wire_formats
        .0
        .into_iter()
        .filter(|w| !default_wire_format(*w))
        .collect();
    formats.sort_unstable();
    formats.dedup();
    Ok(formats)
}

impl RequiredComponents {
    /// The requirements of a group with `extensions`; `None` without any.
    pub(crate) fn of(extensions: &Extensions) -> Result<Option<Self>, Error> {
        let mut required = RequiredComponents {
            wire_formats: wire_formats_of(extensions, ExtensionType::REQUIRED_WIRE_FORMATS)?,
            ..RequiredComponents::default()
        };
        if let Some(dictionary) = AppDataDictionary::from_extensions(extensions)? {
            let list = |id| -> Result<Vec<ComponentId>, Error> {
                Ok(dictionary
                    .parse::<ComponentsList>(id)?
                    .map(|l| l.component_ids.0)
                    .unwrap_or_default())
            };
            required.components = list(component::APP_COMPONENTS)?;
            required.safe_aad = list(component::SAFE_AAD)?;
            required.media = dictionary.parse::<MediaTypeList>(component::CONTENT_MEDIA_TYPES)?;
        }
        let none = required.components.is_empty()
            && required.safe_aad.is_empty()
            && required.media.is_none()
            && required.wire_formats.is_empty();
        Ok((!none).then_some(required))
    }

    /// Whether `leaf` meets them.
    pub(crate) fn check(&self, leaf: &LeafNode) -> Result<(), Error> {
        if !self.wire_formats.is_empty() {
            let supported =
                wire_formats_of(&leaf.extensions, ExtensionType::SUPPORTED_WIRE_FORMATS)?;
            if let Some(w) = self
                .wire_formats
                .iter()
                .find(|w| supported.binary_search(w).is_err())
            {
                return Err(ValidationError::LeafLacksWireFormat { wire_format: w.0 }.into());
            }
        }
        if self.components.is_empty() && self.safe_aad.is_empty() && self.media.is_none() {
            return Ok(());
        }
        let dictionary = AppDataDictionary::from_extensions(&leaf.extensions)?.unwrap_or_default();
        for (required, id, name) in [
            (
                &self.components,
                component::APP_COMPONENTS,
                "app_components",
            ),
            (&self.safe_aad, component::SAFE_AAD, "safe_aad"),
        ] {
            if required.is_empty() {
                continue;
            }
            let mut listed = dictionary
                .parse::<ComponentsList>(id)?
                .unwrap_or_default()
                .component_ids
                .0;
            listed.sort_unstable();
            if let Some(&component_id) = required.iter().find(|c| listed.binary_search(c).is_err())
            {
                return Err(ValidationError::LeafLacksComponent {
                    component_id,
                    list: name,
                }
                .into());
            }
        }
        if let Some(media) = &self.media {
            // One sorted set of the leaf's types: each required type is a
            // lookup, not a scan.
            let leaf_types = dictionary
                .parse::<MediaTypeList>(component::CONTENT_MEDIA_TYPES)?
                .unwrap_or_default();
            let supported: alloc::collections::BTreeSet<_> = leaf_types
                .media_type_list
                .0
                .iter()
                .map(MediaType::key)
                .collect();
            if !media
                .media_type_list
                .0
                .iter()
                .all(|m| supported.contains(&m.key()))
            {
                return Err(ValidationError::LeafLacksMediaType.into());
            }
        }
        Ok(())
    }
}

/// The `authenticated_data` a member sends: in a group whose context lists
/// `safe_aad`, empty data becomes the empty SafeAAD (a zero-length item
/// vector), which is what "no AAD" means there (extensions draft, "Safe
/// Additional Authenticated Data").
pub(crate) fn outgoing_aad(context: &GroupContext, aad: Vec<u8>) -> Result<Vec<u8>, Error> {
    if !aad.is_empty() {
        return Ok(aad);
    }
    let Some(extension) = context
        .extensions
        .find(crate::messages::ExtensionType::APP_DATA_DICTIONARY)
    else {
        return Ok(aad);
    };
    let dictionary: AppDataDictionary =
        crate::codec::decode_exact(extension.extension_data.as_slice())?;
    if dictionary.get(component::SAFE_AAD).is_some() {
        SafeAad::default().encode()
    } else {
        Ok(aad)
    }
}

fn refused(what: String, reason: String) -> Error {
    ValidationError::ApplicationRefused { what, reason }.into()
}

impl PartialEq for AppRegistry {
    fn eq(&self, other: &Self) -> bool {
        self.components.len() == other.components.len()
            && self.proposals.len() == other.proposals.len()
            && self
                .components
                .iter()
                .zip(&other.components)
                .all(|((a, x), (b, y))| a == b && Arc::ptr_eq(x, y))
            && self
                .proposals
                .iter()
                .zip(&other.proposals)
                .all(|((a, x), (b, y))| a == b && Arc::ptr_eq(x, y))
    }
}

impl Eq for AppRegistry {}

impl core::fmt::Debug for AppRegistry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppRegistry")
            .field("components", &self.components.keys().collect::<Vec<_>>())
            .field("proposal_types", &self.proposals.keys().collect::<Vec<_>>())
            .finish()
    }
}
