//! Multipart forms (reports and messages with files) through the gateway's field readers.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    confide::fuzzing::multipart(data);
});
