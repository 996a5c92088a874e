use crate::crypto::SuiteCrypto;
use crate::tree::math;
use crate::{Error, MisuseError, ValidationError};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use cohort_traits::{Crypto, Secret};

/// Which of a sender's two ratchets (RFC 9420 section 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentKind {
    /// Proposals and commits.
    Handshake,
    /// Application messages.
    Application,
}

/// How far a receiver tolerates out-of-order delivery (RFC 9420 section 9.2
/// lets members keep unconsumed keys "for some reasonable amount of time").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RatchetConfig {
    /// How many skipped generations per ratchet keep their keys, so messages
    /// that arrive late still decrypt. Older skipped keys are deleted.
    pub out_of_order_tolerance: u32,
    /// The largest jump ahead of the next expected generation a receiver
    /// accepts; a larger one is refused before any key is derived.
    pub maximum_forward_distance: u32,
}

impl Default for RatchetConfig {
    fn default() -> Self {
        RatchetConfig {
            out_of_order_tolerance: 16,
            maximum_forward_distance: 1000,
        }
    }
}

/// The key and nonce of one generation of a sender ratchet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageKeys {
    /// The generation.
    pub generation: u32,
    /// `ratchet_key_[N]_[j]`.
    pub key: Secret,
    /// `ratchet_nonce_[N]_[j]`.
    pub nonce: Secret,
}

/// One sender's hash ratchet (RFC 9420 section 9.1).
///
/// Holds the ratchet secret of the next unused generation and the keys of
/// skipped generations kept for out-of-order delivery. Everything before is
/// deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderRatchet {
    secret: Secret,
    generation: u32,
    skipped: BTreeMap<u32, (Secret, Secret)>,
}

impl SenderRatchet {
    /// A ratchet at generation 0 with `ratchet_secret_[N]_[0] = secret`.
    pub fn new(secret: Secret) -> Self {
        SenderRatchet {
            secret,
            generation: 0,
            skipped: BTreeMap::new(),
        }
    }

    /// The next generation this ratchet will derive.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// A ratchet restored from storage: the secret of the next unused
    /// generation and the kept keys of skipped generations.
    pub(crate) fn from_parts(
        secret: Secret,
        generation: u32,
        skipped: BTreeMap<u32, (Secret, Secret)>,
    ) -> Self {
        SenderRatchet {
            secret,
            generation,
            skipped,
        }
    }

    /// The ratchet secret of the next unused generation (for storage).
    pub(crate) fn secret(&self) -> &Secret {
        &self.secret
    }

    /// The kept keys and nonces of skipped generations (for storage).
    pub(crate) fn skipped(&self) -> &BTreeMap<u32, (Secret, Secret)> {
        &self.skipped
    }

    /// Key and nonce of the current generation, then the ratchet moves on
    /// (the current secret is deleted).
    fn step<C: Crypto + ?Sized>(&mut self, cs: &SuiteCrypto<'_, C>) -> Result<MessageKeys, Error> {
        let j = self.generation;
        let next_gen = j.checked_add(1).ok_or(MisuseError::RatchetExhausted)?;
        let nk = u16::try_from(cs.aead_key_len())
            .map_err(|_| crate::Error::Internal("a length exceeds its field"))?;
        let nn = u16::try_from(cs.aead_nonce_len())
            .map_err(|_| crate::Error::Internal("a length exceeds its field"))?;
        let nh = u16::try_from(cs.hash_len())
            .map_err(|_| crate::Error::Internal("a length exceeds its field"))?;
        let s = self.secret.as_bytes();
        let nonce = cs.derive_tree_secret(s, b"nonce", j, nn)?;
        let key = cs.derive_tree_secret(s, b"key", j, nk)?;
        let next = cs.derive_tree_secret(s, b"secret", j, nh)?;
        self.secret = next;
        self.generation = next_gen;
        Ok(MessageKeys {
            generation: j,
            key,
            nonce,
        })
    }

    /// Merges into this ratchet (the current state) the consumption of
    /// `generation` that `fresh` records: `fresh` is this ratchet as it
    /// was at some earlier point, with `generation` consumed. Generations
    /// this ratchet consumed since stay consumed; `generation` is consumed
    /// too; the ratchet moves forward, never back.
    fn merge_consumed(&mut self, fresh: &SenderRatchet, generation: u32, config: &RatchetConfig) {
        if generation < self.generation {
            // Behind the ratchet: only its kept key, if any, goes.
            self.skipped.remove(&generation);
            return;
        }
        // At or ahead of the ratchet: the lookup stepped to generation + 1,
        // keeping the keys of the generations it skipped.
        if fresh.generation <= generation {
            return;
        }
        let from = self.generation;
        for (g, keys) in fresh.skipped.range(from..generation) {
            self.skipped.insert(*g, keys.clone());
        }
        self.secret = fresh.secret.clone();
        self.generation = fresh.generation;
        while self.skipped.len() > config.out_of_order_tolerance as usize {
            self.skipped.pop_first();
        }
    }

    /// This ratchet moved forward to `generation` (unchanged when it is
    /// there or beyond): the secret of that generation, no kept keys. What
    /// a member stores of its own ratchets to reserve the generations in
    /// between.
    pub fn advanced_to<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        generation: u32,
    ) -> Result<SenderRatchet, Error> {
        if generation <= self.generation {
            return Ok(self.clone());
        }
        let nh = u16::try_from(cs.hash_len())
            .map_err(|_| crate::Error::Internal("a length exceeds its field"))?;
        let mut secret = self.secret.clone();
        for j in self.generation..generation {
            secret = cs.derive_tree_secret(secret.as_bytes(), b"secret", j, nh)?;
        }
        Ok(SenderRatchet {
            secret,
            generation,
            skipped: BTreeMap::new(),
        })
    }

    /// Keys for sending: the next generation. The ratchet advances.
    pub fn next_keys<C: Crypto + ?Sized>(
        &mut self,
        cs: &SuiteCrypto<'_, C>,
    ) -> Result<MessageKeys, Error> {
        self.step(cs)
    }

    /// Keys for receiving `generation`, consuming them. Skipped generations
    /// keep their keys up to `config.out_of_order_tolerance`.
    ///
    /// Errors: [`ValidationError::GenerationTooFarAhead`] beyond
    /// `maximum_forward_distance`, [`ValidationError::GenerationConsumed`]
    /// for a generation already used (a replay) or expired.
    pub fn keys_for<C: Crypto + ?Sized>(
        &mut self,
        cs: &SuiteCrypto<'_, C>,
        generation: u32,
        config: &RatchetConfig,
    ) -> Result<MessageKeys, Error> {
        if generation < self.generation {
            let (key, nonce) = self
                .skipped
                .remove(&generation)
                .ok_or(ValidationError::GenerationConsumed { generation })?;
            return Ok(MessageKeys {
                generation,
                key,
                nonce,
            });
        }
        let distance = generation - self.generation;
        if distance > config.maximum_forward_distance {
            return Err(ValidationError::GenerationTooFarAhead {
                generation,
                next_expected: self.generation,
            }
            .into());
        }
        while self.generation < generation {
            let k = self.step(cs)?;
            if config.out_of_order_tolerance > 0 {
                self.skipped.insert(k.generation, (k.key, k.nonce));
            }
        }
        while self.skipped.len() > config.out_of_order_tolerance as usize {
            self.skipped.pop_first();
        }
        self.step(cs)
    }
}

/// The two ratchets of one leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LeafRatchets {
    handshake: SenderRatchet,
    application: SenderRatchet,
}

impl LeafRatchets {
    fn get(&self, kind: ContentKind) -> &SenderRatchet {
        match kind {
            ContentKind::Handshake => &self.handshake,
            ContentKind::Application => &self.application,
        }
    }

    fn get_mut(&mut self, kind: ContentKind) -> &mut SenderRatchet {
        match kind {
            ContentKind::Handshake => &mut self.handshake,
            ContentKind::Application => &mut self.application,
        }
    }
}

/// The secret tree of one epoch (RFC 9420 section 9).
///
/// Node secrets are derived lazily from `encryption_secret` and deleted as
/// soon as they are consumed (section 9.2): deriving a leaf's ratchets
/// replaces each node on its path by its off-path child. Lookups never change
/// the tree: they return the keys with a [`SecretTreeUpdate`] that the caller
/// applies with [`SecretTree::apply`] once the message decrypted (or was
/// sent), so a forged message cannot advance or burn a ratchet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretTree {
    n_leaves: u32,
    nodes: BTreeMap<u32, Secret>,
    ratchets: BTreeMap<u32, LeafRatchets>,
    config: RatchetConfig,
}

/// A change to a [`SecretTree`] computed by a lookup, applied on success:
/// the consumption of one generation of one ratchet of one leaf, with the
/// node secrets the derivation of that leaf's ratchets replaced.
///
/// [`SecretTree::apply`] merges it into the tree as the tree is when it is
/// applied, which may have moved on since the lookup (a commit staged,
/// then application messages read, then the commit merged): nothing the
/// tree consumed in between comes back.
#[derive(Debug, Clone)]
#[must_use = "an update does nothing until applied"]
pub struct SecretTreeUpdate {
    leaf: u32,
    kind: ContentKind,
    generation: u32,
    /// The off-path node secrets the derivation of the leaf's ratchets
    /// created (empty when they were derived already).
    new_nodes: Vec<(u32, Secret)>,
    ratchets: LeafRatchets,
}

impl SecretTreeUpdate {
    /// The generation of the key the message used.
    pub(crate) fn generation(&self) -> u32 {
        self.generation
    }
}

impl SecretTree {
    /// The tree for `n_leaves` leaves rooted at `encryption_secret`.
    pub fn new(
        encryption_secret: Secret,
        n_leaves: u32,
        config: RatchetConfig,
    ) -> Result<Self, Error> {
        let root =
            math::root(n_leaves).ok_or(crate::Error::Internal("a length exceeds its field"))?;
        let mut nodes = BTreeMap::new();
        nodes.insert(root, encryption_secret);
        Ok(SecretTree {
            n_leaves,
            nodes,
            ratchets: BTreeMap::new(),
            config,
        })
    }

    /// The number of leaves.
    pub fn n_leaves(&self) -> u32 {
        self.n_leaves
    }

    /// The out-of-order policy.
    pub fn config(&self) -> RatchetConfig {
        self.config
    }

    /// A tree restored from storage: its stored node secrets and the
    /// `(handshake, application)` ratchets of the leaves derived so far.
    pub(crate) fn from_parts(
        n_leaves: u32,
        nodes: BTreeMap<u32, Secret>,
        ratchets: BTreeMap<u32, (SenderRatchet, SenderRatchet)>,
        config: RatchetConfig,
    ) -> Self {
        let ratchets = ratchets
            .into_iter()
            .map(|(leaf, (handshake, application))| {
                (
                    leaf,
                    LeafRatchets {
                        handshake,
                        application,
                    },
                )
            })
            .collect();
        SecretTree {
            n_leaves,
            nodes,
            ratchets,
            config,
        }
    }

    /// The stored node secrets, by node index (for storage).
    pub(crate) fn node_secrets(&self) -> &BTreeMap<u32, Secret> {
        &self.nodes
    }

    /// The `(leaf, handshake, application)` ratchets of the leaves derived so
    /// far (for storage).
    pub(crate) fn leaf_ratchets(
        &self,
    ) -> impl ExactSizeIterator<Item = (u32, &SenderRatchet, &SenderRatchet)> {
        self.ratchets
            .iter()
            .map(|(leaf, r)| (*leaf, &r.handshake, &r.application))
    }

    /// The ratchets of `leaf` as an update: derived from the nearest stored
    /// ancestor secret when not derived yet, with the node changes that
    /// derivation makes.
    fn ratchets_of<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        leaf: u32,
    ) -> Result<SecretTreeUpdate, Error> {
        if let Some(r) = self.ratchets.get(&leaf) {
            return Ok(SecretTreeUpdate {
                leaf,
                kind: ContentKind::Application,
                generation: 0,
                new_nodes: Vec::new(),
                ratchets: r.clone(),
            });
        }
        let node = leaf
            .checked_mul(2)
            .filter(|n| math::in_tree(*n, self.n_leaves))
            .ok_or(ValidationError::SenderLeafOutsideTree { leaf })?;
        // Path from the leaf up; find the lowest node that still has a secret.
        let mut path = Vec::with_capacity(32);
        path.push(node);
        path.extend(math::direct_path(node, self.n_leaves));
        let top = path
            .iter()
            .position(|n| self.nodes.contains_key(n))
            .ok_or(ValidationError::GenerationConsumed { generation: 0 })?;
        let nh = u16::try_from(cs.hash_len())
            .map_err(|_| crate::Error::Internal("a length exceeds its field"))?;
        let mut created = Vec::new();
        let top_node = *path
            .get(top)
            .ok_or(crate::Error::Internal("a length exceeds its field"))?;
        let mut current = self
            .nodes
            .get(&top_node)
            .cloned()
            .ok_or(crate::Error::Internal("a length exceeds its field"))?;
        // Walk down: path[top-1], ..., path[0] (the leaf).
        for i in (0..top).rev() {
            let child = *path
                .get(i)
                .ok_or(crate::Error::Internal("a length exceeds its field"))?;
            let parent = *path
                .get(i + 1)
                .ok_or(crate::Error::Internal("a length exceeds its field"))?;
            let left = cs.expand_with_label(current.as_bytes(), b"tree", b"left", nh)?;
            let right = cs.expand_with_label(current.as_bytes(), b"tree", b"right", nh)?;
            let (on, off, off_node) = if Some(child) == math::left(parent) {
                (left, right, math::right(parent))
            } else {
                (right, left, math::left(parent))
            };
            if let Some(off_node) = off_node {
                created.push((off_node, off));
            }
            current = on;
        }
        let handshake = cs.expand_with_label(current.as_bytes(), b"handshake", b"", nh)?;
        let application = cs.expand_with_label(current.as_bytes(), b"application", b"", nh)?;
        let ratchets = LeafRatchets {
            handshake: SenderRatchet::new(handshake),
            application: SenderRatchet::new(application),
        };
        Ok(SecretTreeUpdate {
            leaf,
            kind: ContentKind::Application,
            generation: 0,
            new_nodes: created,
            ratchets,
        })
    }

    /// Keys to decrypt a message of `leaf` at `generation`, and the update
    /// that consumes them.
    pub fn decryption_keys<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        leaf: u32,
        kind: ContentKind,
        generation: u32,
    ) -> Result<(MessageKeys, SecretTreeUpdate), Error> {
        let mut update = self.ratchets_of(cs, leaf)?;
        let keys = update
            .ratchets
            .get_mut(kind)
            .keys_for(cs, generation, &self.config)?;
        update.kind = kind;
        update.generation = generation;
        Ok((keys, update))
    }

    /// Keys for `leaf` to encrypt its next message of `kind`, and the update
    /// that consumes them.
    pub fn encryption_keys<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        leaf: u32,
        kind: ContentKind,
    ) -> Result<(MessageKeys, SecretTreeUpdate), Error> {
        let mut update = self.ratchets_of(cs, leaf)?;
        let keys = update.ratchets.get_mut(kind).next_keys(cs)?;
        update.kind = kind;
        update.generation = keys.generation;
        Ok((keys, update))
    }

    /// Applies the update of a successful lookup, merged into the tree as
    /// it is now (RFC 9420 section 9.2: consumed secrets stay deleted):
    /// - if the leaf's ratchets exist (derived before the lookup or since),
    ///   only the consumed generation is merged into the ratchet of its
    ///   kind (`SenderRatchet::merge_consumed`), whatever else that
    ///   ratchet consumed meanwhile;
    /// - otherwise the leaf's ratchets are derived here as the lookup
    ///   derived them: the lowest stored ancestor of the leaf is deleted and
    ///   the off-path secrets below it are stored (the lookup's, restricted
    ///   to those below that ancestor, since another leaf's derivation may
    ///   have consumed the nodes above).
    ///
    /// Returns whether node secrets changed (the leaf's ratchets were
    /// derived here).
    pub fn apply(&mut self, update: SecretTreeUpdate) -> bool {
        let config = self.config;
        if let Some(current) = self.ratchets.get_mut(&update.leaf) {
            current.get_mut(update.kind).merge_consumed(
                update.ratchets.get(update.kind),
                update.generation,
                &config,
            );
            return false;
        }
        if let Some(node) = update
            .leaf
            .checked_mul(2)
            .filter(|n| math::in_tree(*n, self.n_leaves))
        {
            let mut path = Vec::with_capacity(32);
            path.push(node);
            path.extend(math::direct_path(node, self.n_leaves));
            if let Some(&top) = path.iter().find(|n| self.nodes.contains_key(n)) {
                self.nodes.remove(&top);
                let below = math::level(top);
                self.nodes.extend(
                    update
                        .new_nodes
                        .into_iter()
                        .filter(|(n, _)| math::level(*n) < below),
                );
            }
        }
        self.ratchets.insert(update.leaf, update.ratchets);
        true
    }

    /// The `(handshake, application)` ratchets of `leaf`, if derived.
    pub(crate) fn leaf_ratchet_pair(&self, leaf: u32) -> Option<(&SenderRatchet, &SenderRatchet)> {
        self.ratchets
            .get(&leaf)
            .map(|r| (&r.handshake, &r.application))
    }

    /// The next generation of `leaf`'s ratchet of `kind` (0 when not
    /// derived yet).
    pub fn next_generation(&self, leaf: u32, kind: ContentKind) -> u32 {
        self.ratchets
            .get(&leaf)
            .map_or(0, |r| r.get(kind).generation())
    }

    /// How many node secrets are stored (for tests of the deletion schedule).
    pub fn stored_node_secrets(&self) -> usize {
        self.nodes.len()
    }
}

/// `sender_data_key` and `sender_data_nonce` for a PrivateMessage ciphertext
/// (RFC 9420 section 6.3.2): derived from `sender_data_secret` and the first
/// `KDF.Nh` bytes of the ciphertext (all of it if shorter).
pub fn sender_data_key_nonce<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    sender_data_secret: &[u8],
    ciphertext: &[u8],
) -> Result<(Secret, Secret), Error> {
    let sample = ciphertext.get(..cs.hash_len()).unwrap_or(ciphertext);
    let nk = u16::try_from(cs.aead_key_len())
        .map_err(|_| crate::Error::Internal("a length exceeds its field"))?;
    let nn = u16::try_from(cs.aead_nonce_len())
        .map_err(|_| crate::Error::Internal("a length exceeds its field"))?;
    Ok((
        cs.expand_with_label(sender_data_secret, b"key", sample, nk)?,
        cs.expand_with_label(sender_data_secret, b"nonce", sample, nn)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_rust_crypto::RustCrypto;
    use cohort_traits::Ciphersuite;

    /// C-FRAME-28 (send), with C-FRAME-24: each generation's key and nonce
    /// protect one message, and a sender ratchet stops before its
    /// generation counter would wrap, so encryption in an epoch ends with
    /// [`MisuseError::RatchetExhausted`] instead of reusing a key.
    #[test]
    fn sender_ratchet_stops_at_its_last_generation_c_frame_28() {
        let crypto = RustCrypto::new();
        let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
        let mut r = SenderRatchet::from_parts(
            Secret::new(alloc::vec![1; 32]),
            u32::MAX - 2,
            BTreeMap::new(),
        );
        let a = r.next_keys(&cs).unwrap();
        let b = r.next_keys(&cs).unwrap();
        assert_eq!((a.generation, b.generation), (u32::MAX - 2, u32::MAX - 1));
        assert_ne!(a.key, b.key);
        assert_ne!(a.nonce, b.nonce);
        let before = r.clone();
        assert_eq!(
            r.next_keys(&cs),
            Err(Error::Misuse(MisuseError::RatchetExhausted))
        );
        assert_eq!(r, before);
    }
}
