//! Form and JSON bodies through the gateway's own extractors and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    confide::fuzzing::bodies(data);
});
