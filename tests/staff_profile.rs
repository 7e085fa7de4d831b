//! A profile instead of six flags: `confide staff init` writes one from the folder the
//! administrator handed over, checked against the gateway, and every command reads it.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{Gateway, ORGANISATION_KEY};

/// `confide staff --profile PROFILE ARGS…`, with nothing else given.
fn staff(profile: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_confide"))
        .env("XDG_CONFIG_HOME", "/nonexistent/confide-tests")
        // What the CLI remembers (the keyring serial) stays beside the test's profile.
        .env("XDG_STATE_HOME", profile.parent().unwrap().join("state"))
        .arg("staff")
        .arg("--profile")
        .arg(profile)
        .args(args)
        .output()
        .unwrap()
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// What an administrator hands an intake officer: their certificate, key and identity, and the
/// organisation's CA.
fn handover(into: &Path) {
    let own = common::staff_dir("intake-minusca");
    for file in ["cert.pem", "key.pem", "identity.txt"] {
        std::fs::copy(own.join(file), into.join(file)).unwrap();
    }
    std::fs::copy(common::keys().join("tls/ca.pem"), into.join("ca.pem")).unwrap();
}

#[tokio::test]
async fn init_writes_a_checked_profile_and_every_command_then_needs_only_the_case() {
    let gateway = Gateway::start();
    let (status, _) = gateway
        .submit_form(&[("entity", "minusca"), ("description", "what happened")])
        .await;
    assert_eq!(status, 200);
    let case = gateway.first_case_seen_by("intake-minusca").await;
    let home = tempfile::tempdir().unwrap();
    let from = home.path().join("from-admin");
    std::fs::create_dir(&from).unwrap();
    handover(&from);
    let profile = home.path().join("staff.toml");
    let cases = home.path().join("cases");
    let init = |profile: &Path, key: &str, extra: &[&str]| {
        let mut args = vec![
            "init",
            "--from",
            from.to_str().unwrap(),
            "--server",
            &gateway.staff,
            "--organisation-key",
            key,
        ];
        args.extend_from_slice(extra);
        staff(profile, &args)
    };

    let written = init(
        &profile,
        ORGANISATION_KEY,
        &["--folder", cases.to_str().unwrap()],
    );
    assert!(written.status.success(), "{}", said(&written));
    assert!(
        said(&written).contains("the gateway knows you as intake-minusca (intake, minusca)"),
        "{}",
        said(&written)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&profile).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    }

    // No flag but the case, and the first digits of its id are enough.
    let listed = staff(&profile, &["cases"]);
    assert!(listed.status.success(), "{}", said(&listed));
    assert!(said(&listed).contains(&case[..8]), "{}", said(&listed));
    assert!(
        said(&listed).contains(" NEW "),
        "the profile's folder is used: {}",
        said(&listed)
    );
    let shown = staff(&profile, &["case", &case[..6]]);
    assert!(shown.status.success(), "{}", said(&shown));
    assert!(
        said(&shown).contains("status: received"),
        "{}",
        said(&shown)
    );
    let pulled = staff(&profile, &["pull", &case[..6]]);
    assert!(pulled.status.success(), "{}", said(&pulled));
    let in_folder: Vec<_> = std::fs::read_dir(cases.join(&case)).unwrap().collect();
    assert!(!in_folder.is_empty(), "pulled into the profile's folder");

    // A flag still wins over the profile, for that command.
    let elsewhere = home.path().join("elsewhere");
    let pulled = staff(
        &profile,
        &["pull", &case, "--out", elsewhere.to_str().unwrap()],
    );
    assert!(pulled.status.success(), "{}", said(&pulled));
    assert!(elsewhere.join(&case).is_dir());

    // An existing profile is kept unless --force.
    let again = init(&profile, ORGANISATION_KEY, &[]);
    assert!(!again.status.success());
    assert!(
        said(&again).contains("exists already: pass --force"),
        "{}",
        said(&again)
    );

    // Nothing is written that the gateway does not confirm, and each refusal names its fix.
    let other = home.path().join("other.toml");
    let wrong_key = init(&other, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", &[]);
    assert!(!wrong_key.status.success());
    assert!(
        said(&wrong_key).contains("not signed by your organisation"),
        "{}",
        said(&wrong_key)
    );
    assert!(!other.exists(), "no profile from a check that failed");
    std::fs::remove_file(from.join("key.pem")).unwrap();
    let no_key = init(&other, ORGANISATION_KEY, &[]);
    assert!(!no_key.status.success());
    assert!(
        said(&no_key).contains("has no key.pem"),
        "{}",
        said(&no_key)
    );
    let missing = staff(&home.path().join("none.toml"), &["cases"]);
    assert!(!missing.status.success());
    assert!(
        said(&missing).contains("write one with `confide staff init`"),
        "{}",
        said(&missing)
    );
}
