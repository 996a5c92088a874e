//! The wire structures of the MLS extensions draft (draft-ietf-mls-extensions,
//! the working group's editor's copy of 2026-07-01, after draft-10): the
//! Safe Application Interface's component ids and labels, the
//! `app_data_dictionary` extension, the AppDataUpdate, AppEphemeral and
//! SelfRemove proposals, Safe AAD, and content advertisement.
//!
//! **Provisional.** The code points are the draft's "suggested" values
//! (extension `0x0006`, proposals `0x0008` to `0x000a`, components `0x0001`
//! to `0x0005`) and may change before the draft is published. None of this
//! changes RFC 9420's wire format: a group that uses none of it sends and
//! accepts exactly what it did before.

use super::{ExtensionContent, ExtensionType, ProposalType};
use crate::codec::{VarBytes, VarVec, closed_u8, decode_exact};
use crate::framing::WireFormat;
use crate::{Error, ValidationError};
use alloc::vec::Vec;
use tls_codec::{
    DeserializeBytes, SerializeBytes, Size, TlsDeserializeBytes, TlsSerializeBytes, TlsSize,
};

/// `uint16 ComponentID` (draft section "Component IDs"): a component of
/// the application, as the application numbers them (`0x8000` to `0xFFFF`
/// are for private use).
pub type ComponentId = u16;

/// The component ids of the draft's initial registry (section "MLS
/// Component Types").
pub mod component {
    use super::ComponentId;
    /// `app_components`: the supported (leaf) or required (group)
    /// components, a [`ComponentsList`](super::ComponentsList).
    pub const APP_COMPONENTS: ComponentId = 0x0001;
    /// `safe_aad`: the components using Safe AAD, a
    /// [`ComponentsList`](super::ComponentsList).
    pub const SAFE_AAD: ComponentId = 0x0002;
    /// `content_media_types`: a [`MediaTypeList`](super::MediaTypeList).
    pub const CONTENT_MEDIA_TYPES: ComponentId = 0x0003;
    /// `last_resort_key_package`.
    pub const LAST_RESORT_KEY_PACKAGE: ComponentId = 0x0004;
    /// `app_ack`.
    pub const APP_ACK: ComponentId = 0x0005;

    /// Whether `id` is one of the draft's GREASE component ids (`0x0A0A`,
    /// `0x1A1A`, ..., `0x7A7A`).
    pub fn is_grease(id: ComponentId) -> bool {
        let [hi, lo] = id.to_be_bytes();
        hi == lo && lo & 0x0f == 0x0a && hi <= 0x7a
    }
}

impl ExtensionType {
    /// `app_data_dictionary` (draft, suggested `0x0006`): an
    /// [`AppDataDictionary`] in a KeyPackage, LeafNode, GroupContext or
    /// GroupInfo.
    pub const APP_DATA_DICTIONARY: ExtensionType = ExtensionType(0x0006);
    /// `supported_wire_formats` (draft, suggested `0x0007`).
    pub const SUPPORTED_WIRE_FORMATS: ExtensionType = ExtensionType(0x0007);
    /// `required_wire_formats` (draft, suggested `0x0008`).
    pub const REQUIRED_WIRE_FORMATS: ExtensionType = ExtensionType(0x0008);
}

impl ProposalType {
    /// `app_data_update` (draft, suggested `0x0008`): External Y, Path
    /// Required N.
    pub const APP_DATA_UPDATE: ProposalType = ProposalType(0x0008);
    /// `app_ephemeral` (draft, suggested `0x0009`): External Y, Path
    /// Required N.
    pub const APP_EPHEMERAL: ProposalType = ProposalType(0x0009);
    /// `self_remove` (draft, suggested `0x000a`): External N, Path
    /// Required Y.
    pub const SELF_REMOVE: ProposalType = ProposalType(0x000a);
}

/// `ComponentOperationLabel` (draft section "Component IDs"): the label of
/// a Safe Application Interface operation, `base_label` fixed to
/// `"MLS Component"`.
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct ComponentOperationLabel {
    /// `"MLS Component"`.
    pub base_label: VarBytes,
    /// The component performing the operation.
    pub component_id: ComponentId,
    /// The operation.
    pub label: VarBytes,
}

impl ComponentOperationLabel {
    /// The label for `component_id`'s operation `label`.
    pub fn new(component_id: ComponentId, label: &[u8]) -> Self {
        ComponentOperationLabel {
            base_label: VarBytes(b"MLS Component".to_vec()),
            component_id,
            label: VarBytes(label.to_vec()),
        }
    }

    /// Its TLS encoding, the byte string used as a label.
    pub fn encoded(&self) -> Result<Vec<u8>, Error> {
        Ok(self.tls_serialize_bytes()?)
    }
}

/// `ComponentData { ComponentID component_id; opaque data<V>; }`.
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct ComponentData {
    /// The component.
    pub component_id: ComponentId,
    /// Its data, as the component encodes it.
    pub data: VarBytes,
}

/// `AppDataDictionary { ComponentData component_data<V>; }`: entries
/// sorted by `component_id`, at most one per id (draft section "Attaching
/// Application Data to MLS Messages"). Decoding refuses any other order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppDataDictionary {
    entries: Vec<ComponentData>,
}

impl AppDataDictionary {
    /// An empty dictionary.
    pub fn new() -> Self {
        Self::default()
    }

    /// The entries, in increasing `component_id` order.
    pub fn entries(&self) -> &[ComponentData] {
        &self.entries
    }

    /// The data of `component_id`, if present.
    pub fn get(&self, component_id: ComponentId) -> Option<&[u8]> {
        self.position(component_id)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|e| e.data.as_slice())
    }

    /// Sets the data of `component_id`, keeping the order.
    pub fn set(&mut self, component_id: ComponentId, data: Vec<u8>) {
        match self.position(component_id) {
            Ok(i) => {
                if let Some(e) = self.entries.get_mut(i) {
                    e.data = VarBytes(data);
                }
            }
            Err(i) => self.entries.insert(
                i,
                ComponentData {
                    component_id,
                    data: VarBytes(data),
                },
            ),
        }
    }

    /// Removes the entry of `component_id`; whether there was one.
    pub fn remove(&mut self, component_id: ComponentId) -> bool {
        match self.position(component_id) {
            Ok(i) => {
                self.entries.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Whether the dictionary has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, component_id: ComponentId) -> Result<usize, usize> {
        self.entries
            .binary_search_by_key(&component_id, |e| e.component_id)
    }

    /// The dictionary in `extensions`, if any (an empty one when absent is
    /// the caller's choice).
    pub fn from_extensions(extensions: &super::Extensions) -> Result<Option<Self>, Error> {
        extensions.get::<AppDataDictionary>()
    }

    /// The data of `component_id` decoded as exactly one `T`.
    pub fn parse<T: DeserializeBytes>(
        &self,
        component_id: ComponentId,
    ) -> Result<Option<T>, Error> {
        self.get(component_id).map(decode_exact).transpose()
    }
}

impl Size for AppDataDictionary {
    fn tls_serialized_len(&self) -> usize {
        crate::codec::vector_len(&self.entries)
    }
}

impl SerializeBytes for AppDataDictionary {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        crate::codec::serialize_vector(&self.entries)
    }
}

impl DeserializeBytes for AppDataDictionary {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (entries, rest): (Vec<ComponentData>, _) = crate::codec::deserialize_vector(bytes)?;
        strictly_sorted(
            entries.iter().map(|e| e.component_id),
            "app_data_dictionary",
        )?;
        Ok((AppDataDictionary { entries }, rest))
    }
}

/// Entries sorted by component, one per component: strictly increasing
/// ids, or a decoding error naming `what`.
fn strictly_sorted(
    ids: impl Iterator<Item = ComponentId>,
    what: &str,
) -> Result<(), tls_codec::Error> {
    let mut last: Option<ComponentId> = None;
    for id in ids {
        if last.is_some_and(|l| l >= id) {
            return Err(tls_codec::Error::DecodingError(alloc::format!(
                "{what} entries not strictly sorted by component_id"
            )));
        }
        last = Some(id);
    }
    Ok(())
}

impl ExtensionContent for AppDataDictionary {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::APP_DATA_DICTIONARY;
}

/// `ComponentsList { ComponentID component_ids<V>; }`: the content of the
/// `app_components` and `safe_aad` components (draft section
/// "Negotiating Extensions and Components").
#[derive(Clone, Debug, Default, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct ComponentsList {
    /// The components.
    pub component_ids: VarVec<ComponentId>,
}

impl ComponentsList {
    /// Whether `id` is listed.
    pub fn contains(&self, id: ComponentId) -> bool {
        self.component_ids.0.contains(&id)
    }
}

/// `WireFormats { WireFormat wire_formats<V>; }`: the content of the
/// `supported_wire_formats` and `required_wire_formats` extensions.
#[derive(Clone, Debug, Default, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct WireFormats {
    /// The wire formats.
    pub wire_formats: VarVec<WireFormat>,
}

closed_u8!(
    /// `AppDataUpdateOperation` (draft section "Updating Application Data
    /// in the GroupContext"); `invalid(0)` never decodes.
    AppDataUpdateOperation / InvalidAppDataUpdateOperation {
        /// `update(1)`
        Update = 1,
        /// `remove(2)`
        Remove = 2,
    }
);

/// What an [`AppDataUpdate`] does to its component's entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppDataChange {
    /// `update`: data for the component's registered logic to fold into
    /// its entry.
    Update(VarBytes),
    /// `remove`: the entry is deleted.
    Remove,
}

/// `AppDataUpdate` proposal (draft section "Updating Application Data in
/// the GroupContext").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppDataUpdate {
    /// The component whose entry changes.
    pub component_id: ComponentId,
    /// The change.
    pub change: AppDataChange,
}

impl Size for AppDataUpdate {
    fn tls_serialized_len(&self) -> usize {
        3usize.saturating_add(match &self.change {
            AppDataChange::Update(d) => d.tls_serialized_len(),
            AppDataChange::Remove => 0,
        })
    }
}

impl SerializeBytes for AppDataUpdate {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        crate::codec::append(&mut out, &self.component_id)?;
        match &self.change {
            AppDataChange::Update(d) => {
                crate::codec::append(&mut out, &AppDataUpdateOperation::Update)?;
                crate::codec::append(&mut out, d)?;
            }
            AppDataChange::Remove => {
                crate::codec::append(&mut out, &AppDataUpdateOperation::Remove)?
            }
        }
        Ok(out)
    }
}

impl DeserializeBytes for AppDataUpdate {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (component_id, rest) = u16::tls_deserialize_bytes(bytes)?;
        let (op, rest) = AppDataUpdateOperation::tls_deserialize_bytes(rest)?;
        let (change, rest) = match op {
            AppDataUpdateOperation::Update => {
                let (d, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                (AppDataChange::Update(d), rest)
            }
            AppDataUpdateOperation::Remove => (AppDataChange::Remove, rest),
        };
        Ok((
            AppDataUpdate {
                component_id,
                change,
            },
            rest,
        ))
    }
}

/// `AppEphemeral { ComponentID component_id; opaque data<V>; }` proposal
/// (draft section "Attaching Application Data to a Commit").
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct AppEphemeral {
    /// The component the data is for.
    pub component_id: ComponentId,
    /// The data.
    pub data: VarBytes,
}

/// `struct {} SelfRemove;` (draft section "SelfRemove Proposal"): the
/// sender asks to be removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SelfRemove;

impl Size for SelfRemove {
    fn tls_serialized_len(&self) -> usize {
        0
    }
}

impl SerializeBytes for SelfRemove {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        Ok(Vec::new())
    }
}

impl DeserializeBytes for SelfRemove {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        Ok((SelfRemove, bytes))
    }
}

/// `SafeAADItem { ComponentID component_id; opaque aad_item_data<V>; }`.
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct SafeAadItem {
    /// The component.
    pub component_id: ComponentId,
    /// Its AAD.
    pub aad_item_data: VarBytes,
}

/// `SafeAAD { SafeAADItem aad_items<V>; }` (draft section "Safe Additional
/// Authenticated Data"): items sorted by increasing `component_id`, one per
/// component. Decoding refuses any other order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SafeAad {
    items: Vec<SafeAadItem>,
}

impl SafeAad {
    /// Safe AAD from `(component, data)` pairs, in any order; two items of
    /// one component are refused.
    pub fn new(items: &[(ComponentId, &[u8])]) -> Result<Self, Error> {
        let mut items: Vec<SafeAadItem> = items
            .iter()
            .map(|(id, d)| SafeAadItem {
                component_id: *id,
                aad_item_data: VarBytes(d.to_vec()),
            })
            .collect();
        items.sort_by_key(|i| i.component_id);
        if items
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.component_id == b.component_id))
        {
            return Err(ValidationError::SafeAadMalformed.into());
        }
        Ok(SafeAad { items })
    }

    /// The items, in increasing `component_id` order.
    pub fn items(&self) -> &[SafeAadItem] {
        &self.items
    }

    /// The data of `component_id`, if present.
    pub fn get(&self, component_id: ComponentId) -> Option<&[u8]> {
        self.items
            .iter()
            .find(|i| i.component_id == component_id)
            .map(|i| i.aad_item_data.as_slice())
    }

    /// Decodes an `authenticated_data` field that must be exactly one
    /// SafeAAD (with `safe_aad` in the group context, the draft allows no
    /// other AAD).
    pub fn decode(authenticated_data: &[u8]) -> Result<Self, Error> {
        decode_exact(authenticated_data).map_err(|_| ValidationError::SafeAadMalformed.into())
    }

    /// Its encoding.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(self.tls_serialize_bytes()?)
    }
}

impl Size for SafeAad {
    fn tls_serialized_len(&self) -> usize {
        crate::codec::vector_len(&self.items)
    }
}

impl SerializeBytes for SafeAad {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        crate::codec::serialize_vector(&self.items)
    }
}

impl DeserializeBytes for SafeAad {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (items, rest): (Vec<SafeAadItem>, _) = crate::codec::deserialize_vector(bytes)?;
        strictly_sorted(items.iter().map(|i| i.component_id), "SafeAAD")?;
        Ok((SafeAad { items }, rest))
    }
}

/// `Parameter { opaque parameter_name<V>; opaque parameter_value<V>; }`
/// of a media type (draft section "Content Advertisement").
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, TlsSize, TlsSerializeBytes, TlsDeserializeBytes,
)]
pub struct MediaTypeParameter {
    /// The name, e.g. `charset`.
    pub parameter_name: VarBytes,
    /// The value without quoting, e.g. `UTF-8`.
    pub parameter_value: VarBytes,
}

/// `MediaType { opaque type<V>; Parameter parameters<V>; }`.
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct MediaType {
    /// Top-level type and subtype, e.g. `text/plain`; empty in an
    /// [`ApplicationFraming`] means the group's first media type.
    pub media_type: VarBytes,
    /// Parameters.
    pub parameters: VarVec<MediaTypeParameter>,
}

impl MediaType {
    /// The media type `type_and_subtype` with `parameters` (`(name,
    /// value)` pairs).
    pub fn new(type_and_subtype: &str, parameters: &[(&str, &str)]) -> Self {
        MediaType {
            media_type: VarBytes(type_and_subtype.as_bytes().to_vec()),
            parameters: VarVec(
                parameters
                    .iter()
                    .map(|(n, v)| MediaTypeParameter {
                        parameter_name: VarBytes(n.as_bytes().to_vec()),
                        parameter_value: VarBytes(v.as_bytes().to_vec()),
                    })
                    .collect(),
            ),
        }
    }

    /// Whether two media types name the same type (type and subtype
    /// compare case-insensitively, RFC 6838 section 4.2) with the same
    /// parameters.
    pub fn matches(&self, other: &MediaType) -> bool {
        self.media_type
            .as_slice()
            .eq_ignore_ascii_case(other.media_type.as_slice())
            && self.parameters == other.parameters
    }

    /// What [`MediaType::matches`] compares, as an ordered key: the
    /// lower-cased type and subtype, and the parameters.
    pub fn key(&self) -> (Vec<u8>, &[MediaTypeParameter]) {
        (
            self.media_type.as_slice().to_ascii_lowercase(),
            self.parameters.0.as_slice(),
        )
    }
}

/// `MediaTypeList { MediaType media_type_list<V>; }`: the
/// `content_media_types` component (non-empty where it appears).
#[derive(Clone, Debug, Default, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct MediaTypeList {
    /// The media types, in order of preference.
    pub media_type_list: VarVec<MediaType>,
}

impl MediaTypeList {
    /// Whether `media_type` is in the list.
    pub fn supports(&self, media_type: &MediaType) -> bool {
        self.media_type_list.0.iter().any(|m| m.matches(media_type))
    }
}

/// `ApplicationFraming { MediaType media_type; opaque
/// inner_application_content<V>; }` (draft section "Framing of
/// application_data"): the `application_data` of a group whose context
/// carries `content_media_types`.
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct ApplicationFraming {
    /// The content's media type.
    pub media_type: MediaType,
    /// The content.
    pub inner_application_content: VarBytes,
}

/// `MessageRange` (extensions draft, "AppAck"): the application messages
/// of `sender` with generations `first_generation..=last_generation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct MessageRange {
    /// The sender's leaf index.
    pub sender: u32,
    /// The first generation of the span.
    pub first_generation: u32,
    /// The last generation of the span (inclusive).
    pub last_generation: u32,
}

/// `AppAck` (extensions draft, "AppAck"; provisional): the application
/// messages of the current epoch its sender received, sent as the data of
/// an AppEphemeral proposal for component [`component::APP_ACK`] so it
/// enters the transcript with the next commit. A member reads others'
/// acks to see whether the Delivery Service dropped any of its messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct AppAck {
    /// The spans received.
    pub received_ranges: VarVec<MessageRange>,
}

impl AppAck {
    /// The ack of the messages `(sender, generation)` in `received`, in
    /// any order and with repeats: one range per run of consecutive
    /// generations of a sender, ranges sorted by sender and generation.
    pub fn from_received(received: impl IntoIterator<Item = (u32, u32)>) -> Self {
        let mut messages: Vec<(u32, u32)> = received.into_iter().collect();
        messages.sort_unstable();
        messages.dedup();
        let mut ranges: Vec<MessageRange> = Vec::new();
        for (sender, generation) in messages {
            match ranges.last_mut() {
                Some(r)
                    if r.sender == sender
                        && r.last_generation.checked_add(1) == Some(generation) =>
                {
                    r.last_generation = generation;
                }
                _ => ranges.push(MessageRange {
                    sender,
                    first_generation: generation,
                    last_generation: generation,
                }),
            }
        }
        AppAck {
            received_ranges: VarVec(ranges),
        }
    }

    /// An AppAck from an AppEphemeral's data: exactly one `AppAck`, every
    /// range with `first_generation <= last_generation`.
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        let ack: AppAck = decode_exact(data)?;
        if ack
            .received_ranges
            .0
            .iter()
            .any(|r| r.first_generation > r.last_generation)
        {
            return Err(ValidationError::AppAckRangeInvalid.into());
        }
        Ok(ack)
    }

    /// The encoding, the data of an AppEphemeral for [`component::APP_ACK`]
    /// (see [`CommitBuilder::app_ephemeral`](crate::group::CommitBuilder::app_ephemeral)).
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        crate::codec::encode(self)
    }

    /// Whether the ack covers the message of `sender` at `generation`.
    pub fn acknowledges(&self, sender: u32, generation: u32) -> bool {
        self.received_ranges.0.iter().any(|r| {
            r.sender == sender && (r.first_generation..=r.last_generation).contains(&generation)
        })
    }
}
