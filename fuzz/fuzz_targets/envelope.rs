//! Envelopes sealed by clients: headers, shapes, padding and attachment layouts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    confide::fuzzing::envelope(data);
});
