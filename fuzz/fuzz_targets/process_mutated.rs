#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = cohort_fuzz::process_mutated(data);
});
