//! Algorithm identifiers (IANA registries of RFC 9420 section 17 and RFC 9180
//! section 7). Every identifier is an open newtype: unknown code points decode
//! and re-encode unchanged, and only the operations that need the algorithm
//! reject them.

crate::open_u16!(
    /// An MLS cipher suite (RFC 9420 section 17.1).
    Ciphersuite {
        /// 0x0001
        MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519 = 0x0001 => "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
        /// 0x0002
        MLS_128_DHKEMP256_AES128GCM_SHA256_P256 = 0x0002 => "MLS_128_DHKEMP256_AES128GCM_SHA256_P256",
        /// 0x0003
        MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519 = 0x0003 => "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
        /// 0x0004
        MLS_256_DHKEMX448_AES256GCM_SHA512_ED448 = 0x0004 => "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448",
        /// 0x0005
        MLS_256_DHKEMP521_AES256GCM_SHA512_P521 = 0x0005 => "MLS_256_DHKEMP521_AES256GCM_SHA512_P521",
        /// 0x0006
        MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_ED448 = 0x0006 => "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448",
        /// 0x0007
        MLS_256_DHKEMP384_AES256GCM_SHA384_P384 = 0x0007 => "MLS_256_DHKEMP384_AES256GCM_SHA384_P384",
        /// 0x004D: X-Wing (ML-KEM-768 + X25519) hybrid KEM, HKDF-SHA256,
        /// ChaCha20-Poly1305, Ed25519 (the code point other MLS libraries use
        /// for this suite; not in the IANA registry).
        MLS_256_XWING_CHACHA20POLY1305_SHA256_ED25519 = 0x004D => "MLS_256_XWING_CHACHA20POLY1305_SHA256_Ed25519",
        /// 0x0906, **provisional**: ML-KEM-1024, HKDF-SHA512, AES-256-GCM,
        /// ML-DSA-87, from draft-ietf-mls-pq-ciphersuites. The final code
        /// point is not assigned yet; this one may change.
        MLS_256_MLKEM1024_AES256GCM_SHA512_MLDSA87 = 0x0906 => "MLS_256_MLKEM1024_AES256GCM_SHA512_MLDSA87",
    }
);

crate::open_u16!(
    /// A TLS SignatureScheme value (RFC 8446 section 4.2.3) as used by MLS.
    SignatureScheme {
        /// ECDSA over P-256 with SHA-256, DER signatures.
        ECDSA_SECP256R1_SHA256 = 0x0403 => "ecdsa_secp256r1_sha256",
        /// ECDSA over P-384 with SHA-384, DER signatures.
        ECDSA_SECP384R1_SHA384 = 0x0503 => "ecdsa_secp384r1_sha384",
        /// ECDSA over P-521 with SHA-512, DER signatures.
        ECDSA_SECP521R1_SHA512 = 0x0603 => "ecdsa_secp521r1_sha512",
        /// EdDSA over edwards25519.
        ED25519 = 0x0807 => "ed25519",
        /// EdDSA over edwards448.
        ED448 = 0x0808 => "ed448",
        /// ML-DSA-87 (FIPS 204), pure mode with an empty context
        /// (draft-ietf-tls-mldsa).
        MLDSA87 = 0x0906 => "mldsa87",
    }
);

crate::open_u16!(
    /// An HPKE KEM identifier (RFC 9180 section 7.1).
    KemId {
        /// DHKEM(P-256, HKDF-SHA256)
        DHKEM_P256 = 0x0010 => "DHKEM(P-256, HKDF-SHA256)",
        /// DHKEM(P-384, HKDF-SHA384)
        DHKEM_P384 = 0x0011 => "DHKEM(P-384, HKDF-SHA384)",
        /// DHKEM(P-521, HKDF-SHA512)
        DHKEM_P521 = 0x0012 => "DHKEM(P-521, HKDF-SHA512)",
        /// DHKEM(X25519, HKDF-SHA256)
        DHKEM_X25519 = 0x0020 => "DHKEM(X25519, HKDF-SHA256)",
        /// DHKEM(X448, HKDF-SHA512)
        DHKEM_X448 = 0x0021 => "DHKEM(X448, HKDF-SHA512)",
        /// ML-KEM-1024 (FIPS 203) as an HPKE KEM (draft-ietf-hpke-pq): the
        /// private key is the 64-byte seed `d || z`.
        ML_KEM_1024 = 0x0042 => "ML-KEM-1024",
        /// X-Wing, the ML-KEM-768 + X25519 hybrid KEM
        /// (draft-connolly-cfrg-xwing-kem): the private key is the 32-byte seed.
        XWING = 0x647a => "X-Wing",
    }
);

crate::open_u16!(
    /// An HPKE KDF identifier (RFC 9180 section 7.2).
    KdfId {
        /// HKDF-SHA256
        HKDF_SHA256 = 0x0001 => "HKDF-SHA256",
        /// HKDF-SHA384
        HKDF_SHA384 = 0x0002 => "HKDF-SHA384",
        /// HKDF-SHA512
        HKDF_SHA512 = 0x0003 => "HKDF-SHA512",
    }
);

crate::open_u16!(
    /// An HPKE AEAD identifier (RFC 9180 section 7.3).
    AeadId {
        /// AES-128-GCM
        AES_128_GCM = 0x0001 => "AES-128-GCM",
        /// AES-256-GCM
        AES_256_GCM = 0x0002 => "AES-256-GCM",
        /// ChaCha20Poly1305
        CHACHA20_POLY1305 = 0x0003 => "ChaCha20Poly1305",
        /// Export-only (no AEAD).
        EXPORT_ONLY = 0xffff => "Export-only",
    }
);

/// A hash function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-256
    Sha256,
    /// SHA-384
    Sha384,
    /// SHA-512
    Sha512,
}

impl HashAlgorithm {
    /// Output length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
        }
    }
}

impl KdfId {
    /// The hash underlying this KDF, for known KDFs.
    pub const fn hash(self) -> Option<HashAlgorithm> {
        match self.0 {
            0x0001 => Some(HashAlgorithm::Sha256),
            0x0002 => Some(HashAlgorithm::Sha384),
            0x0003 => Some(HashAlgorithm::Sha512),
            _ => None,
        }
    }

    /// `Nh`: the output size of Extract, in bytes.
    pub const fn extract_len(self) -> Option<usize> {
        match self.hash() {
            Some(h) => Some(h.output_len()),
            None => None,
        }
    }
}

impl AeadId {
    /// `Nk`: key length in bytes.
    pub const fn key_len(self) -> Option<usize> {
        match self.0 {
            0x0001 => Some(16),
            0x0002 | 0x0003 => Some(32),
            _ => None,
        }
    }

    /// `Nn`: nonce length in bytes.
    pub const fn nonce_len(self) -> Option<usize> {
        match self.0 {
            0x0001..=0x0003 => Some(12),
            _ => None,
        }
    }

    /// `Nt`: tag length in bytes.
    pub const fn tag_len(self) -> Option<usize> {
        match self.0 {
            0x0001..=0x0003 => Some(16),
            _ => None,
        }
    }
}

impl KemId {
    /// `Nsecret`: length of the KEM shared secret.
    pub const fn secret_len(self) -> Option<usize> {
        match self.0 {
            0x0010 | 0x0020 | 0x0042 | 0x647a => Some(32),
            0x0011 => Some(48),
            0x0012 | 0x0021 => Some(64),
            _ => None,
        }
    }

    /// `Nenc`: length of the encapsulated key.
    pub const fn enc_len(self) -> Option<usize> {
        match self.0 {
            0x0010 => Some(65),
            0x0011 => Some(97),
            0x0012 => Some(133),
            0x0020 => Some(32),
            0x0021 => Some(56),
            0x0042 => Some(1568),
            0x647a => Some(1120),
            _ => None,
        }
    }

    /// `Npk`: length of an encoded public key.
    pub const fn public_key_len(self) -> Option<usize> {
        match self.0 {
            0x0042 => Some(1568),
            0x647a => Some(1216),
            // For the DHKEMs the encapsulated key is a public key.
            _ => self.enc_len(),
        }
    }

    /// `Nsk`: length of an encoded private key.
    pub const fn private_key_len(self) -> Option<usize> {
        match self.0 {
            0x0010 | 0x0020 | 0x647a => Some(32),
            0x0011 => Some(48),
            0x0012 => Some(66),
            0x0021 => Some(56),
            0x0042 => Some(64),
            _ => None,
        }
    }

    /// Length of the randomness consumed by one encapsulation: the ephemeral
    /// key's `ikm` for DHKEMs (`Nsk` bytes, RFC 9180 section 4.1), the
    /// message `m` for ML-KEM (32 bytes), and ML-KEM's `m` followed by the
    /// ephemeral X25519 key for X-Wing (64 bytes).
    pub const fn encap_randomness_len(self) -> Option<usize> {
        match self.0 {
            0x0042 => Some(32),
            0x647a => Some(64),
            _ => self.private_key_len(),
        }
    }
}

/// The algorithms that make up a cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CiphersuiteParams {
    /// HPKE KEM.
    pub kem: KemId,
    /// HPKE KDF (also the MLS KDF).
    pub kdf: KdfId,
    /// HPKE AEAD (also the MLS AEAD).
    pub aead: AeadId,
    /// Hash function.
    pub hash: HashAlgorithm,
    /// Signature scheme.
    pub signature: SignatureScheme,
}

impl Ciphersuite {
    /// The seven cipher suites registered by RFC 9420.
    pub const RFC9420: [Ciphersuite; 7] = [
        Ciphersuite(1),
        Ciphersuite(2),
        Ciphersuite(3),
        Ciphersuite(4),
        Ciphersuite(5),
        Ciphersuite(6),
        Ciphersuite(7),
    ];

    /// The post-quantum suites: 0x004D (X-Wing hybrid) and the provisional
    /// 0x0906 (ML-KEM-1024 with ML-DSA-87).
    pub const POST_QUANTUM: [Ciphersuite; 2] = [
        Ciphersuite::MLS_256_XWING_CHACHA20POLY1305_SHA256_ED25519,
        Ciphersuite::MLS_256_MLKEM1024_AES256GCM_SHA512_MLDSA87,
    ];

    /// Whether the code point is provisional (may change before its
    /// specification is final): true for 0x0906.
    pub const fn is_provisional(self) -> bool {
        self.0 == 0x0906
    }

    /// The algorithms of a known suite, `None` for an unknown code point.
    pub const fn params(self) -> Option<CiphersuiteParams> {
        use HashAlgorithm::*;
        let (kem, kdf, aead, hash, signature) = match self.0 {
            0x0001 => (
                KemId::DHKEM_X25519,
                KdfId::HKDF_SHA256,
                AeadId::AES_128_GCM,
                Sha256,
                SignatureScheme::ED25519,
            ),
            0x0002 => (
                KemId::DHKEM_P256,
                KdfId::HKDF_SHA256,
                AeadId::AES_128_GCM,
                Sha256,
                SignatureScheme::ECDSA_SECP256R1_SHA256,
            ),
            0x0003 => (
                KemId::DHKEM_X25519,
                KdfId::HKDF_SHA256,
                AeadId::CHACHA20_POLY1305,
                Sha256,
                SignatureScheme::ED25519,
            ),
            0x0004 => (
                KemId::DHKEM_X448,
                KdfId::HKDF_SHA512,
                AeadId::AES_256_GCM,
                Sha512,
                SignatureScheme::ED448,
            ),
            0x0005 => (
                KemId::DHKEM_P521,
                KdfId::HKDF_SHA512,
                AeadId::AES_256_GCM,
                Sha512,
                SignatureScheme::ECDSA_SECP521R1_SHA512,
            ),
            0x0006 => (
                KemId::DHKEM_X448,
                KdfId::HKDF_SHA512,
                AeadId::CHACHA20_POLY1305,
                Sha512,
                SignatureScheme::ED448,
            ),
            0x0007 => (
                KemId::DHKEM_P384,
                KdfId::HKDF_SHA384,
                AeadId::AES_256_GCM,
                Sha384,
                SignatureScheme::ECDSA_SECP384R1_SHA384,
            ),
            0x004D => (
                KemId::XWING,
                KdfId::HKDF_SHA256,
                AeadId::CHACHA20_POLY1305,
                Sha256,
                SignatureScheme::ED25519,
            ),
            0x0906 => (
                KemId::ML_KEM_1024,
                KdfId::HKDF_SHA512,
                AeadId::AES_256_GCM,
                Sha512,
                SignatureScheme::MLDSA87,
            ),
            _ => return None,
        };
        Some(CiphersuiteParams {
            kem,
            kdf,
            aead,
            hash,
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rfc_suite_has_consistent_params() {
        for cs in Ciphersuite::RFC9420 {
            let p = cs.params().unwrap();
            assert_eq!(p.kdf.hash(), Some(p.hash), "{cs}");
            assert!(p.kem.secret_len().is_some() && p.aead.key_len().is_some());
            assert!(cs.name().is_some());
        }
        assert_eq!(Ciphersuite(0x0a0a).params(), None);
        assert_eq!(Ciphersuite(0x0a0a).name(), None);
    }

    #[test]
    fn post_quantum_suites() {
        for cs in Ciphersuite::POST_QUANTUM {
            let p = cs.params().unwrap();
            assert_eq!(p.kdf.hash(), Some(p.hash), "{cs}");
            assert!(cs.name().is_some() && p.kem.name().is_some());
            assert!(!Ciphersuite::RFC9420.contains(&cs));
        }
        let xwing = Ciphersuite(0x004D).params().unwrap();
        assert_eq!(xwing.kem, KemId(0x647a));
        assert_eq!(xwing.signature, SignatureScheme::ED25519);
        assert_eq!(
            (
                xwing.kem.secret_len(),
                xwing.kem.enc_len(),
                xwing.kem.public_key_len(),
                xwing.kem.private_key_len(),
                xwing.kem.encap_randomness_len()
            ),
            (Some(32), Some(1120), Some(1216), Some(32), Some(64))
        );
        let mlkem = Ciphersuite(0x0906).params().unwrap();
        assert_eq!(mlkem.kem, KemId(0x0042));
        assert_eq!(mlkem.signature, SignatureScheme(0x0906));
        assert_eq!(
            (
                mlkem.kem.secret_len(),
                mlkem.kem.enc_len(),
                mlkem.kem.public_key_len(),
                mlkem.kem.private_key_len(),
                mlkem.kem.encap_randomness_len()
            ),
            (Some(32), Some(1568), Some(1568), Some(64), Some(32))
        );
        assert!(Ciphersuite(0x0906).is_provisional());
        assert!(!Ciphersuite(0x004D).is_provisional() && !Ciphersuite(1).is_provisional());
        // The DHKEM lengths are unchanged.
        assert_eq!(KemId::DHKEM_P256.public_key_len(), Some(65));
        assert_eq!(KemId::DHKEM_X448.encap_randomness_len(), Some(56));
    }

    #[test]
    fn unknown_code_points_round_trip() {
        use tls_codec::{DeserializeBytes, SerializeBytes};
        let grease = Ciphersuite(0x0a0a);
        let bytes = grease.tls_serialize_bytes().unwrap();
        assert_eq!(bytes, [0x0a, 0x0a]);
        assert_eq!(
            Ciphersuite::tls_deserialize_exact_bytes(&bytes).unwrap(),
            grease
        );
        assert!(Ciphersuite::tls_deserialize_exact_bytes(&[0x00]).is_err());
    }
}
