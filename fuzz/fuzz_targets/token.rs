//! Follow-up numbers as people type them: any text, parsed or refused, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    confide::fuzzing::token(data);
});
