//! Every input kept under fuzz/regressions/<target>/ (seeds, and anything the fuzzers found) is
//! replayed through the fuzz targets' harnesses (src/fuzzing.rs) on every test run.

use std::path::PathBuf;

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "{} holds inputs", dir.display());
    out
}

#[test]
fn every_kept_input_goes_through_every_parser_without_a_panic() {
    type Harness = fn(&[u8]);
    let targets: [(&str, Harness); 4] = [
        ("token", confide::fuzzing::token),
        ("envelope", confide::fuzzing::envelope),
        ("bodies", confide::fuzzing::bodies),
        ("multipart", confide::fuzzing::multipart),
    ];
    for (target, harness) in targets {
        for (path, bytes) in inputs(target) {
            let outcome = std::panic::catch_unwind(|| harness(&bytes));
            assert!(outcome.is_ok(), "{target} panicked on {}", path.display());
        }
    }
}
