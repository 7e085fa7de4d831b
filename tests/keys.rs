//! Keys people can manage: the organisation-signed keyring (refused unsigned or altered, served
//! with its signature, reloaded on SIGHUP), the key commands, and passphrase-protected
//! identities the staff CLI opens.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Gateway, ORGANISATION_KEY, copy_of_keys, keys};
use confide::keyring::OrganisationKey;
use serde_json::{Value, json};

const CONFIDE: &str = env!("CARGO_BIN_EXE_confide");

fn confide(args: &[&str]) -> Output {
    Command::new(CONFIDE).args(args).output().unwrap()
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} is in {}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

fn sign(dir: &Path) -> String {
    ok(confide(&[
        "keys",
        "sign",
        "--keyring",
        dir.join("keyring.toml").to_str().unwrap(),
        "--key",
        dir.join("organisation.key").to_str().unwrap(),
    ]))
}

/// Starts `confide serve` on a copy of the keys; the error output when it refuses.
fn serve(dir: &Path) -> Result<Gateway, String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.join("server-secret"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    Gateway::serve(&dir.join("confide.toml"), &dir.join("data"))
}

fn hang_up(gateway: &Gateway) {
    let before = gateway.logs().matches("keyring reloaded").count()
        + gateway
            .logs()
            .matches("reloading the keyring failed")
            .count();
    let status = Command::new("kill")
        .args(["-HUP", &gateway.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..100 {
        let logs = gateway.logs();
        if logs.matches("keyring reloaded").count()
            + logs.matches("reloading the keyring failed").count()
            > before
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the gateway did not report a reload: {}", gateway.logs());
}

#[tokio::test]
async fn a_production_gateway_starts_only_with_a_keyring_signed_by_the_pinned_organisation_key() {
    let dir = copy_of_keys();
    let config = dir.path().join("confide.toml");
    let keyring = dir.path().join("keyring.toml");
    let signature = dir.path().join("keyring.toml.sig");

    let pin_line = format!("organisation_key = \"{ORGANISATION_KEY}\"\n");
    edit(&config, &pin_line, "");
    let refused = serve(dir.path())
        .err()
        .expect("refused without a pinned key");
    assert!(refused.contains("organisation_key is not set"), "{refused}");
    edit(
        &config,
        "keyring = \"keyring.toml\"\n",
        &format!("keyring = \"keyring.toml\"\n{pin_line}"),
    );

    // Anything changed after signing: an entity's name, here.
    edit(
        &keyring,
        "MINUSCA (Central African Republic)",
        "MINUSCA (changed)",
    );
    let refused = serve(dir.path()).err().expect("refused when altered");
    assert!(
        refused.contains("does not match the organisation key"),
        "{refused}"
    );
    edit(
        &keyring,
        "MINUSCA (changed)",
        "MINUSCA (Central African Republic)",
    );

    // A comment is not content: the signature still holds.
    let mut text = std::fs::read_to_string(&keyring).unwrap();
    text.push_str("\n# reviewed by the security focal point\n");
    std::fs::write(&keyring, text).unwrap();

    let kept = std::fs::read(&signature).unwrap();
    std::fs::remove_file(&signature).unwrap();
    let refused = serve(dir.path())
        .err()
        .expect("refused without a signature");
    assert!(refused.contains("keyring.toml.sig is missing"), "{refused}");

    // Signed by another organisation's key.
    let other = dir.path().join("other.key");
    ok(confide(&[
        "keys",
        "organisation",
        "--out",
        other.to_str().unwrap(),
    ]));
    ok(confide(&[
        "keys",
        "sign",
        "--keyring",
        keyring.to_str().unwrap(),
        "--key",
        other.to_str().unwrap(),
    ]));
    let refused = serve(dir.path()).err().expect("refused with another key");
    assert!(
        refused.contains("does not match the organisation key"),
        "{refused}"
    );

    std::fs::write(&signature, kept).unwrap();
    let gateway = serve(dir.path()).expect("starts with the signed keyring");
    let served = gateway.keyring().await;
    let signed = &served["signed"];
    let document = signed["document"].as_str().unwrap();
    let pin: OrganisationKey = ORGANISATION_KEY.parse().unwrap();
    pin.verify_public(document, signed["signature"].as_str().unwrap())
        .expect("the served keyring verifies against the pinned key");
    // The public document names nobody: keys per entity only.
    for private in [
        "intake-minusca",
        "certificate_sha256",
        "auditor",
        "member-state-focal-point",
    ] {
        assert!(!document.contains(private), "{private} is not public");
    }
    let parsed: Value = serde_json::from_str(document).unwrap();
    for (entity, signed_entity) in served["entities"]
        .as_array()
        .unwrap()
        .iter()
        .zip(parsed["entities"].as_array().unwrap())
    {
        assert_eq!(entity["id"], signed_entity["id"]);
        assert_eq!(entity["recipients"], signed_entity["intake"]);
    }
    // Another document, or the full keyring's signature line, does not verify.
    assert!(
        pin.verify_public(
            &format!("{document} "),
            signed["signature"].as_str().unwrap()
        )
        .is_err()
    );
    assert!(
        pin.verify(document, signed["signature"].as_str().unwrap())
            .is_err()
    );
}

/// Runs the staff CLI as a member whose files are in `dir`.
fn staff_cli(gateway: &Gateway, dir: &Path, extra: &[&str]) -> Output {
    gateway.staff_cli_in(dir, extra)
}

/// The passphrase the new member's keys are protected with.
const PASSPHRASE: &str = "correct horse battery staple";

/// The member's certificate and TLS key, the key opened with [`PASSPHRASE`] (`keys staff`
/// protects it with the identity's passphrase).
fn unlocked_identity(dir: &Path) -> reqwest::Identity {
    let key = confide::keys::read_tls_key(&dir.join("key.pem"), || {
        Ok(secrecy::SecretString::from(PASSPHRASE.to_string()))
    })
    .unwrap();
    let mut pem = std::fs::read(dir.join("cert.pem")).unwrap();
    pem.extend_from_slice(&key);
    reqwest::Identity::from_pem(&pem).unwrap()
}

async fn staff_status(gateway: &Gateway, dir: &Path) -> u16 {
    common::client_builder()
        .identity(unlocked_identity(dir))
        .build()
        .unwrap()
        .get(format!("{}/api/v1/staff/cases", gateway.staff))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_new_staff_member_made_by_the_key_commands_works_after_signing_and_sighup_without_a_restart()
 {
    let dir = copy_of_keys();
    let keys_dir = dir.path();
    let data = tempfile::tempdir().unwrap();
    let gateway = Gateway::spawn_demo(keys_dir, data.path(), &[], &[]);

    let member = keys_dir.join("staff/intake-monusco-2");
    let passphrase = keys_dir.join("passphrase");
    std::fs::write(&passphrase, format!("{PASSPHRASE}\n")).unwrap();
    let entry = ok(confide(&[
        "keys",
        "staff",
        "--name",
        "intake-monusco-2",
        "--role",
        "intake",
        "--entities",
        "monusco",
        "--ca",
        keys_dir.join("tls/ca.pem").to_str().unwrap(),
        "--ca-key",
        keys_dir.join("tls/ca-key.pem").to_str().unwrap(),
        "--out",
        member.to_str().unwrap(),
        "--passphrase-file",
        passphrase.to_str().unwrap(),
    ]));
    assert!(
        entry.contains("[[staff]]") && entry.contains("name = \"intake-monusco-2\""),
        "{entry}"
    );
    let identity = std::fs::read_to_string(member.join("identity.txt")).unwrap();
    assert!(identity.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
    assert!(
        !identity.contains("AGE-SECRET-KEY"),
        "the private key is not in clear"
    );
    // The TLS key, which speaks for the member (replies to survivors, status changes), is
    // protected with the same passphrase: a stolen laptop gives away neither key.
    let tls_key = std::fs::read_to_string(member.join("key.pem")).unwrap();
    assert!(tls_key.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
    assert!(
        !tls_key.contains("PRIVATE KEY"),
        "the TLS key is not in clear"
    );
    assert_eq!(
        staff_status(&gateway, &member).await,
        403,
        "not in the keyring yet"
    );

    // Added but not signed: the reload is refused and the old keyring stays in use.
    let keyring = keys_dir.join("keyring.toml");
    let mut text = std::fs::read_to_string(&keyring).unwrap();
    text.push_str(&entry);
    std::fs::write(&keyring, &text).unwrap();
    hang_up(&gateway);
    assert!(gateway.logs().contains("reloading the keyring failed"));
    assert_eq!(staff_status(&gateway, &member).await, 403);

    sign(keys_dir);
    hang_up(&gateway);
    assert_eq!(
        staff_status(&gateway, &member).await,
        200,
        "{}",
        gateway.logs()
    );

    // New reports to MONUSCO are sealed to the new officer too, who opens them with the
    // protected identity and its passphrase.
    let (status, _) = gateway
        .submit_form(&[
            ("entity", "monusco"),
            ("description", "report for the new officer"),
        ])
        .await;
    assert_eq!(status, 200);
    let listed = staff_cli(
        &gateway,
        &member,
        &["--passphrase-file", passphrase.to_str().unwrap(), "cases"],
    );
    let listed = ok(listed);
    // The first digits of the id, under the header, name the case.
    let case = listed
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .expect("one case")
        .to_string();
    let out = tempfile::tempdir().unwrap();
    let wrong = keys_dir.join("wrong");
    std::fs::write(&wrong, "not the passphrase at all\n").unwrap();
    let refused = staff_cli(
        &gateway,
        &member,
        &[
            "--passphrase-file",
            wrong.to_str().unwrap(),
            "pull",
            &case,
            "--out",
            out.path().to_str().unwrap(),
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("wrong passphrase"));
    // Without the passphrase not even a listing goes out: the TLS key stays locked.
    let locked = staff_cli(
        &gateway,
        &member,
        &["--passphrase-file", wrong.to_str().unwrap(), "cases"],
    );
    assert!(!locked.status.success());
    let said = String::from_utf8_lossy(&locked.stderr);
    assert!(
        said.contains("TLS key") && said.contains("wrong passphrase"),
        "{said}"
    );
    ok(staff_cli(
        &gateway,
        &member,
        &[
            "--passphrase-file",
            passphrase.to_str().unwrap(),
            "pull",
            &case,
            "--out",
            out.path().to_str().unwrap(),
        ],
    ));
    let opened = common::files_under(out.path());
    assert!(
        opened
            .iter()
            .any(|(_, bytes)| common::contains(bytes, b"report for the new officer")),
        "the new officer opened the report"
    );

    // Removed from the keyring and signed again: their access ends at the reload.
    std::fs::write(&keyring, text.replace(&entry, "")).unwrap();
    sign(keys_dir);
    hang_up(&gateway);
    assert_eq!(staff_status(&gateway, &member).await, 403);
}

#[tokio::test]
async fn the_staff_cli_seals_to_nobody_the_organisation_did_not_sign() {
    let dir = copy_of_keys();
    let data = tempfile::tempdir().unwrap();
    // A demo without a pinned key serves the keyring unsigned.
    edit(
        &dir.path().join("confide.toml"),
        &format!("organisation_key = \"{ORGANISATION_KEY}\"\n"),
        "",
    );
    let gateway = Gateway::spawn_demo(dir.path(), data.path(), &[], &[]);
    let (status, _) = gateway
        .submit_form(&[("entity", "minusca"), ("description", "a report to assign")])
        .await;
    assert_eq!(status, 200);
    let intake = common::staff_dir("intake-minusca");
    let case = ok(staff_cli(&gateway, &intake, &["cases"]))
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let assign = ["assign", case.as_str(), "--to", "investigator-minusca"];

    let unpinned = staff_cli(&gateway, &intake, &assign);
    assert!(!unpinned.status.success());
    assert!(String::from_utf8_lossy(&unpinned.stderr).contains("not pinned"));

    let mut pinned: Vec<&str> = vec!["--organisation-key", ORGANISATION_KEY];
    pinned.extend(assign);
    let unsigned = staff_cli(&gateway, &intake, &pinned);
    assert!(!unsigned.status.success());
    assert!(
        String::from_utf8_lossy(&unsigned.stderr).contains("unsigned keyring"),
        "{}",
        String::from_utf8_lossy(&unsigned.stderr)
    );
    let cases = gateway.cases_seen_by("investigator-minusca").await;
    assert!(cases.is_empty(), "nothing was assigned");
}

#[tokio::test]
async fn a_revoked_member_is_refused_at_once_and_told_what_was_sealed_to_them() {
    let dir = copy_of_keys();
    let data = tempfile::tempdir().unwrap();
    let gateway = Gateway::spawn_demo(dir.path(), data.path(), &[], &[]);
    let (status, _) = gateway
        .submit_form(&[
            ("entity", "minusca"),
            ("description", "a report before the revocation"),
        ])
        .await;
    assert_eq!(status, 200);
    let case = gateway.first_case_seen_by("intake-minusca").await;
    common::staff_ok(
        &gateway,
        "intake-minusca",
        &["assign", &case, "--to", "investigator-minusca"],
    );
    let investigator = common::staff_dir("investigator-minusca");
    assert_eq!(staff_status(&gateway, &investigator).await, 200);

    let revoke = |name: &str| {
        Command::new(CONFIDE)
            .args(["keys", "revoke", "--json", "--name", name, "--config"])
            .arg(dir.path().join("confide.toml"))
            .env("CONFIDE_DATA_DIR", data.path())
            .output()
            .unwrap()
    };
    let listed: Value = serde_json::from_str(&ok(revoke("investigator-minusca"))).unwrap();
    assert_eq!(listed["revoked"], "investigator-minusca");
    let sealed = listed["envelopes_sealed_to_them"].as_array().unwrap();
    assert!(!sealed.is_empty());
    assert!(
        sealed.iter().all(|e| e["case_id"] == case.as_str()),
        "{sealed:?}"
    );
    // At once: the very next request.
    assert_eq!(staff_status(&gateway, &investigator).await, 403);

    // A revoked intake officer stops receiving new reports within seconds.
    let intake_key = common::age_identity("intake-monusco")
        .to_public()
        .to_string();
    let last = revoke("intake-monusco");
    assert!(String::from_utf8_lossy(&last.stderr).contains("monusco has no intake officer left"));
    let last: Value = serde_json::from_str(&ok(last)).unwrap();
    assert_eq!(last["entities_without_intake"], json!(["monusco"]));
    let mut listed_still = true;
    for _ in 0..50 {
        let ring = gateway.keyring().await;
        let monusco = ring["entities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == "monusco")
            .unwrap()
            .clone();
        listed_still = monusco["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == intake_key.as_str());
        if !listed_still {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        !listed_still,
        "the revoked officer's key is no longer served"
    );
    let unknown = revoke("nobody-of-that-name");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("is not in the keyring"));
}

/// Whether `identity` opens `body`.
fn opens(body: &[u8], identity: &age::x25519::Identity) -> bool {
    age::Decryptor::new(body)
        .unwrap()
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .is_ok()
}

fn identity_in(path: &Path) -> age::x25519::Identity {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_rotation_leaves_every_envelope_openable_by_the_new_key_and_none_by_the_old() {
    let dir = copy_of_keys();
    let keys_dir = dir.path();
    let data = tempfile::tempdir().unwrap();
    let gateway = Gateway::spawn_demo(keys_dir, data.path(), &[], &[]);

    // A report with a file large enough to travel as an upload when sealed again, assigned to
    // the investigator, and a reply (sealed to the reporter too).
    let file: Vec<u8> = (0..1_500_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (status, page) = gateway
        .post_multipart(
            "/report",
            &[
                ("entity", "minusca"),
                ("description", "a report before a rotation"),
            ],
            &[("files", "video.mp4", &file)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let token = common::token_on_page(&page);
    let case = gateway.first_case_seen_by("intake-minusca").await;
    common::staff_ok(
        &gateway,
        "intake-minusca",
        &["assign", &case, "--to", "investigator-minusca"],
    );
    common::staff_ok(
        &gateway,
        "intake-minusca",
        &["reply", &case, "--message", "reply before the rotation"],
    );

    // The investigator's new key goes into the keyring first.
    let old_path = common::staff_dir("investigator-minusca").join("identity.txt");
    let old = common::age_identity("investigator-minusca");
    let new_path = keys_dir.join("new-identity.txt");
    let printed = ok(confide(&[
        "keys",
        "identity",
        "--name",
        "investigator-minusca",
        "--out",
        new_path.to_str().unwrap(),
    ]));
    let new_key = printed
        .trim()
        .trim_start_matches("recipient = ")
        .trim_matches('"')
        .to_string();
    let new = identity_in(&new_path);
    assert_eq!(new.to_public().to_string(), new_key);
    let member = common::staff_dir("investigator-minusca");
    let rotate = || {
        Command::new(CONFIDE)
            .args(["keys", "rotate", "--json", "--server", &gateway.staff])
            .arg("--ca")
            .arg(keys().join("tls/ca.pem"))
            .arg("--cert")
            .arg(member.join("cert.pem"))
            .arg("--key")
            .arg(member.join("key.pem"))
            .args(["--organisation-key", ORGANISATION_KEY])
            .arg("--old-identity")
            .arg(&old_path)
            .arg("--identity")
            .arg(&new_path)
            .output()
            .unwrap()
    };
    let early = rotate();
    assert!(!early.status.success());
    assert!(String::from_utf8_lossy(&early.stderr).contains("does not list your new key"));

    // Nobody may seal a shared envelope again outside their own rotation.
    let (_, listed) = gateway
        .staff_get("investigator-minusca", "/api/v1/staff/sealed-to-me")
        .await;
    let shared = listed[0].clone();
    let shared_id = shared["id"].as_str().unwrap().to_string();
    let same_body = STANDARD.encode(gateway.download("investigator-minusca", &shared_id).await);
    let reseal = |name: &'static str, recipients: Value| {
        let body = json!({ "body": same_body, "recipients": recipients });
        let path = format!("/api/v1/staff/envelopes/{shared_id}/reseal");
        let gateway = &gateway;
        async move { gateway.staff_post(name, &path, body).await }
    };
    let (status, answer) = reseal("investigator-minusca", shared["recipients"].clone()).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"]["code"], "no_rotation");
    let (status, _) = reseal("intake-minusca", shared["recipients"].clone()).await;
    assert_eq!(
        status, 409,
        "an intake officer without a rotation cannot either"
    );

    edit(
        &keys_dir.join("keyring.toml"),
        &old.to_public().to_string(),
        &new_key,
    );
    sign(keys_dir);
    hang_up(&gateway);

    // In the rotation: the recipients must be exactly the envelope's (no dropping anyone).
    let (status, answer) = reseal("investigator-minusca", json!(["investigator-minusca"])).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_recipients");

    let (_, listed) = gateway
        .staff_get("investigator-minusca", "/api/v1/staff/sealed-to-me")
        .await;
    let sealed: Vec<(String, Vec<String>)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let names = e["recipients"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect();
            (e["id"].as_str().unwrap().to_string(), names)
        })
        .collect();
    assert!(sealed.len() >= 3, "report, file and reply copies: {listed}");

    let outcome: Value = serde_json::from_str(&ok(rotate())).unwrap();
    assert_eq!(outcome["resealed"], sealed.len());
    let intake = common::age_identity("intake-minusca");
    for (id, names) in &sealed {
        let body = gateway.download("investigator-minusca", id).await;
        assert!(opens(&body, &new), "{id} opens with the new key");
        assert!(!opens(&body, &old), "{id} no longer opens with the old key");
        if names.iter().any(|n| n == "intake-minusca") {
            assert!(
                opens(&body, &intake),
                "{id} still opens for the other recipients"
            );
        }
    }
    // Each envelope once per new key: the same request again is refused.
    let (status, answer) = reseal("investigator-minusca", shared["recipients"].clone()).await;
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already")
    );
    // The reporter still reads the reply, now sealed again.
    assert!(
        gateway
            .status_page(&token)
            .await
            .contains("reply before the rotation")
    );
    // Done twice, nothing changes.
    let again: Value = serde_json::from_str(&ok(rotate())).unwrap();
    assert_eq!(again["resealed"], 0);
    assert_eq!(again["already_with_new_key"], sealed.len());

    // What is sealed after the rotation cannot be sealed again by its holder.
    common::staff_ok(
        &gateway,
        "intake-minusca",
        &["reply", &case, "--message", "reply after the rotation"],
    );
    let (_, listed) = gateway
        .staff_get("investigator-minusca", "/api/v1/staff/sealed-to-me")
        .await;
    let fresh = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|e| !sealed.iter().any(|(id, _)| id == e["id"].as_str().unwrap()))
        .expect("the new reply")
        .clone();
    let fresh_id = fresh["id"].as_str().unwrap();
    let body = STANDARD.encode(gateway.download("investigator-minusca", fresh_id).await);
    let (status, answer) = gateway
        .staff_post(
            "investigator-minusca",
            &format!("/api/v1/staff/envelopes/{fresh_id}/reseal"),
            json!({ "body": body, "recipients": fresh["recipients"] }),
        )
        .await;
    assert_eq!(status, 409, "{answer}");
}

#[tokio::test]
async fn a_new_ca_and_a_client_certificate_from_it_let_a_member_in_and_the_old_ca_out() {
    let dir = copy_of_keys();
    let keys_dir = dir.path();
    let ca_dir = keys_dir.join("new-ca");
    let said = ok(confide(&[
        "keys",
        "ca",
        "--organisation",
        "Example organisation (TEST ONLY)",
        "--out",
        ca_dir.to_str().unwrap(),
    ]));
    assert!(said.contains("keep it offline"), "{said}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(ca_dir.join("ca-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the CA key is readable by its owner only");
    }
    let member = keys_dir.join("intake-minusca-new");
    let printed = ok(confide(&[
        "keys",
        "client",
        "--name",
        "intake-minusca",
        "--ca",
        ca_dir.join("ca.pem").to_str().unwrap(),
        "--ca-key",
        ca_dir.join("ca-key.pem").to_str().unwrap(),
        "--out",
        member.to_str().unwrap(),
    ]));
    let fingerprint = printed
        .trim()
        .trim_start_matches("certificate_sha256 = ")
        .trim_matches('"')
        .to_string();
    let der = confide::tls::load_certificates(&member.join("cert.pem")).unwrap();
    assert_eq!(hex::encode(confide::tls::fingerprint(&der[0])), fingerprint);

    // The gateway trusts the new CA for staff, and the keyring names the new certificate.
    let old_print = {
        let der =
            confide::tls::load_certificates(&common::staff_dir("intake-minusca").join("cert.pem"))
                .unwrap();
        hex::encode(confide::tls::fingerprint(&der[0]))
    };
    edit(&keys_dir.join("keyring.toml"), &old_print, &fingerprint);
    sign(keys_dir);
    edit(
        &keys_dir.join("confide.toml"),
        "staff_ca = \"tls/ca.pem\"",
        "staff_ca = \"new-ca/ca.pem\"",
    );
    std::fs::copy(
        common::staff_dir("intake-minusca").join("identity.txt"),
        member.join("identity.txt"),
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let gateway = Gateway::spawn_demo(keys_dir, data.path(), &[], &[]);
    assert_eq!(staff_status(&gateway, &member).await, 200);
    // A certificate of the old CA no longer gets through the handshake.
    let old = common::client_builder()
        .identity(common::identity(&common::staff_dir("investigator-minusca")))
        .build()
        .unwrap()
        .get(format!("{}/api/v1/staff/cases", gateway.staff))
        .send()
        .await;
    assert!(
        old.map(|r| !r.status().is_success()).unwrap_or(true),
        "the old CA's certificates are refused"
    );
}

#[tokio::test]
async fn an_earlier_signed_keyring_cannot_be_put_back() {
    let dir = copy_of_keys();
    let keys_dir = dir.path();
    let keyring = keys_dir.join("keyring.toml");
    let signature = keys_dir.join("keyring.toml.sig");
    let data = tempfile::tempdir().unwrap();
    let earlier = (
        std::fs::read(&keyring).unwrap(),
        std::fs::read(&signature).unwrap(),
    );

    // The next signing raises the serial; the gateway takes it on reload.
    edit(&keyring, "serial = 1", "serial = 2");
    sign(keys_dir);
    let gateway = Gateway::spawn_demo(keys_dir, data.path(), &[], &[]);

    // The earlier keyring, validly signed, is refused on reload and the current one stays.
    std::fs::write(&keyring, &earlier.0).unwrap();
    std::fs::write(&signature, &earlier.1).unwrap();
    hang_up(&gateway);
    let logs = gateway.logs();
    assert!(logs.contains("reloading the keyring failed"), "{logs}");
    assert!(logs.contains("serial is lower"), "{logs}");
    drop(gateway);

    // And at a start on the same database.
    let mut restarted = Command::new(CONFIDE)
        .args([
            "demo",
            "--public-addr",
            "127.0.0.1:0",
            "--staff-addr",
            "127.0.0.1:0",
            "--keys",
        ])
        .arg(keys_dir)
        .arg("--data-dir")
        .arg(data.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = restarted.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(restarted.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(!status.success());
    assert!(err.contains("serial is lower"), "{err}");
}

#[tokio::test]
async fn the_staff_cli_refuses_an_earlier_keyring_once_it_has_seen_a_later_one() {
    // The organisation's latest signing (serial 2) on one gateway; the earlier keyring
    // (serial 1, validly signed) on another, as a compromised server could send it again.
    let later_keys = common::keys_signed_at(2);
    let later_data = tempfile::tempdir().unwrap();
    let later = Gateway::spawn_demo(later_keys.path(), later_data.path(), &[], &[]);
    let mut earlier = Gateway::start();
    // One staff member's machine meets both.
    earlier.staff_state = later.staff_state.clone();
    let assign_first_case = |gateway: &Gateway| {
        let cases = ok(gateway.staff_cli("intake-minusca", &["cases"]));
        let case = cases
            .lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        gateway.staff_cli(
            "intake-minusca",
            &["assign", &case, "--to", "investigator-minusca"],
        )
    };
    for gateway in [&later, &earlier] {
        let (status, _) = gateway
            .submit_form(&[("entity", "minusca"), ("description", "a report to assign")])
            .await;
        assert_eq!(status, 200);
    }

    ok(assign_first_case(&later));
    let refused = assign_first_case(&earlier);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "the earlier keyring was used");
    assert!(
        said.contains("keyring serial 1, older than serial 2"),
        "{said}"
    );
    assert!(
        earlier
            .cases_seen_by("investigator-minusca")
            .await
            .is_empty(),
        "nothing was assigned under the earlier keyring"
    );
    // The refusal is the machine's memory: a machine that never saw serial 2 goes on.
    let fresh = tempfile::tempdir().unwrap();
    earlier.staff_state = fresh.path().to_path_buf();
    ok(assign_first_case(&earlier));
}
