//! The ratchet tree (RFC 9420 sections 4 and 7, Appendix C).

pub mod math;
