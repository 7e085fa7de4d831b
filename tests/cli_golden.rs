//! Golden tests of the staff CLI's words: its help and its refusals, as a person reads them
//! (`tests/cli/*.toml`, each with the exact output expected). `TRYCMD=overwrite cargo test
//! --test cli_golden` rewrites the expected output after a deliberate change.

#[test]
fn the_staff_cli_says_the_same_words_it_said_when_they_were_reviewed() {
    trycmd::TestCases::new()
        .env("XDG_CONFIG_HOME", "/nonexistent/confide-tests")
        .env("NO_COLOR", "1")
        // A backtrace is for those who ask for one; these are the words everyone else reads.
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .case("tests/cli/*.toml");
}
