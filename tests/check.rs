//! `confide check --config`: every problem of a broken configuration, in plain words, in one
//! run, and a clean bill for a good one.

mod common;

use std::path::Path;
use std::process::Command;

use common::{ORGANISATION_KEY, copy_of_keys};

/// Runs the check on a copy of the example keys changed by `change`: (exit code, output).
fn check_after(change: impl FnOnce(&Path)) -> (i32, String) {
    let dir = copy_of_keys();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("server-secret"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    change(dir.path());
    let output = Command::new(env!("CARGO_BIN_EXE_confide"))
        .args(["check", "--config"])
        .arg(dir.path().join("confide.toml"))
        .env("CONFIDE_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap(), text)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} in {}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

fn append(path: &Path, more: &str) {
    let mut text = std::fs::read_to_string(path).unwrap();
    text.push_str(more);
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_good_configuration_passes_with_only_its_warnings() {
    let (code, text) = check_after(|_| {});
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("no problems; the gateway can start"),
        "{text}"
    );
    assert!(!text.contains("problem:"), "{text}");
    assert!(
        text.contains("warning: pages.quick_exit_url is the default"),
        "{text}"
    );
}

#[test]
fn every_problem_of_a_broken_configuration_is_explained_in_one_run() {
    let (code, text) = check_after(|dir| {
        edit(
            &dir.join("keyring.toml"),
            "MINUSCA (Central African Republic)",
            "MINUSCA (edited)",
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                dir.join("server-secret"),
                std::fs::Permissions::from_mode(0o644),
            )
            .unwrap();
        }
        std::fs::remove_file(dir.join("tls/server-key.pem")).unwrap();
        append(
            &dir.join("confide.toml"),
            "\n[forward.unicef]\nurl = \"https://127.0.0.1:1/\"\nca = \"tls/ca.pem\"\ncertificate = \"tls/server.pem\"\nkey = \"tls/server-key.pem\"\n",
        );
    });
    assert_eq!(code, 1, "{text}");
    for expected in [
        "problem: the keyring's signature: it does not match the organisation key",
        "problem: the server secret",
        "is readable by other users; run: chmod 600",
        "problem: tls.certificate and tls.key:",
        "forward.unicef: there is no entity \"unicef\" in the keyring",
        "4 problem(s); the gateway would not start",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
}

#[test]
fn each_kind_of_mistake_gets_its_own_sentence() {
    type Change = Box<dyn FnOnce(&Path)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "no organisation key",
            Box::new(|dir: &Path| {
                edit(
                    &dir.join("confide.toml"),
                    &format!("organisation_key = \"{ORGANISATION_KEY}\"\n"),
                    "",
                )
            }),
            "problem: organisation_key is not set",
        ),
        (
            "no signature",
            Box::new(|dir: &Path| std::fs::remove_file(dir.join("keyring.toml.sig")).unwrap()),
            "keyring.toml.sig is missing",
        ),
        (
            "forwarding to an entity the keyring lacks",
            Box::new(|dir: &Path| {
                append(
                    &dir.join("confide.toml"),
                    "\n[forward.unicef]\nurl = \"https://127.0.0.1:1/\"\nca = \"tls/ca.pem\"\ncertificate = \"tls/server.pem\"\nkey = \"tls/server-key.pem\"\n",
                )
            }),
            "forward.unicef: there is no entity \"unicef\" in the keyring",
        ),
        (
            "forwarding in clear",
            Box::new(|dir: &Path| {
                append(
                    &dir.join("confide.toml"),
                    "\n[forward.minusca]\nurl = \"http://127.0.0.1:1/\"\nca = \"tls/ca.pem\"\ncertificate = \"tls/server.pem\"\nkey = \"tls/server-key.pem\"\n",
                )
            }),
            "forward.minusca.url must be an https:// address",
        ),
        (
            "forwarding with a missing client key",
            Box::new(|dir: &Path| {
                append(
                    &dir.join("confide.toml"),
                    "\n[forward.minusca]\nurl = \"https://127.0.0.1:1/\"\nca = \"tls/ca.pem\"\ncertificate = \"tls/server.pem\"\nkey = \"nowhere.pem\"\n",
                )
            }),
            "cannot read",
        ),
        (
            "a misspelt key",
            Box::new(|dir: &Path| append(&dir.join("confide.toml"), "\nretention_days = 30\n")),
            "unknown field `retention_days`",
        ),
        (
            "a bad organisation key",
            Box::new(|dir: &Path| edit(&dir.join("confide.toml"), ORGANISATION_KEY, "not-a-key")),
            "organisation_key must be the base64 of 32 bytes",
        ),
    ];
    for (what, change, expected) in cases {
        let (code, text) = check_after(change);
        assert_eq!(code, 1, "{what}: {text}");
        assert!(text.contains(expected), "{what}: {expected:?} in:\n{text}");
    }
}
