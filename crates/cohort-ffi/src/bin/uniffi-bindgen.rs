//! UniFFI's bindings generator, built from this crate so it matches the
//! UniFFI version of the library: `cargo run -p cohort-ffi --features cli
//! --bin uniffi-bindgen -- generate --library <cdylib> --language python
//! --out-dir <dir>` (see `scripts/ffi-bindings`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
