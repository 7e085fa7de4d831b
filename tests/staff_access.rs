//! The staff listener gives nothing without a known certificate, and nobody sees another
//! entity's cases.

mod common;

use common::{Gateway, client_builder, keys};
use confide::keys::{Authority, Lifetime};

const REPORT: &str = "Report for the access tests.";

#[tokio::test]
async fn the_staff_listener_refuses_a_client_without_a_certificate() {
    let gateway = Gateway::start();
    let result = client_builder()
        .build()
        .unwrap()
        .get(format!("{}/api/v1/staff/cases", gateway.staff))
        .send()
        .await;
    assert!(
        result.is_err(),
        "the TLS handshake must fail without a client certificate: {result:?}"
    );
}

#[tokio::test]
async fn a_certificate_from_another_authority_is_refused_at_the_handshake() {
    let gateway = Gateway::start();
    let stranger = Authority::new("Somebody else", Lifetime::CA)
        .unwrap()
        .issue_client("intake-minusca", Lifetime::STAFF)
        .unwrap();
    let identity = reqwest::Identity::from_pem(
        format!("{}{}", stranger.cert_pem, stranger.key_pem).as_bytes(),
    )
    .unwrap();
    let result = client_builder()
        .identity(identity)
        .build()
        .unwrap()
        .get(format!("{}/api/v1/staff/cases", gateway.staff))
        .send()
        .await;
    assert!(result.is_err(), "{result:?}");
}

#[tokio::test]
async fn a_valid_certificate_that_is_not_in_the_keyring_gets_nothing_but_a_clear_refusal() {
    let gateway = Gateway::start();
    gateway
        .submit_form(&[("entity", "minusca"), ("description", REPORT)])
        .await;
    let ca = Authority::load(
        &std::fs::read_to_string(keys().join("tls/ca.pem")).unwrap(),
        &std::fs::read_to_string(keys().join("tls/ca-key.pem")).unwrap(),
    )
    .unwrap();
    let unknown = ca.issue_client("intake-minusca", Lifetime::STAFF).unwrap();
    let identity =
        reqwest::Identity::from_pem(format!("{}{}", unknown.cert_pem, unknown.key_pem).as_bytes())
            .unwrap();
    let client = client_builder().identity(identity).build().unwrap();
    let response = client
        .get(format!("{}/api/v1/staff/cases", gateway.staff))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body = response.text().await.unwrap();
    assert!(body.contains("not in the keyring"), "{body}");
    assert!(
        !body.contains("minusca"),
        "nothing about cases is revealed: {body}"
    );

    // The staff CLI says the same in words a person can act on.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), &unknown.cert_pem).unwrap();
    std::fs::write(dir.path().join("key.pem"), &unknown.key_pem).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_confide"))
        .args(["staff", "--server", &gateway.staff, "cases"])
        .arg("--ca")
        .arg(keys().join("tls/ca.pem"))
        .arg("--cert")
        .arg(dir.path().join("cert.pem"))
        .arg("--key")
        .arg(dir.path().join("key.pem"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not in the keyring"), "{stderr}");
}

#[tokio::test]
async fn an_officer_of_another_entity_and_an_unassigned_investigator_see_nothing() {
    let gateway = Gateway::start();
    gateway
        .submit_form(&[("entity", "minusca"), ("description", REPORT)])
        .await;
    let cases = gateway.cases_seen_by("intake-minusca").await;
    assert_eq!(cases.len(), 1);
    let case_id = cases[0]["id"].as_str().unwrap();
    let envelopes: Vec<serde_json::Value> = gateway
        .staff_client("intake-minusca")
        .get(format!(
            "{}/api/v1/staff/cases/{case_id}/envelopes",
            gateway.staff
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let envelope_id = envelopes[0]["id"].as_str().unwrap();

    for outsider in [
        "intake-monusco",
        "investigator-minusca",
        "assistance-minusca",
        "member-state-focal-point",
        "auditor",
    ] {
        assert!(
            gateway.cases_seen_by(outsider).await.is_empty(),
            "{outsider} lists no case"
        );
        let client = gateway.staff_client(outsider);
        for path in [
            format!("cases/{case_id}/envelopes"),
            format!("envelopes/{envelope_id}"),
        ] {
            let response = client
                .get(format!("{}/api/v1/staff/{path}", gateway.staff))
                .send()
                .await
                .unwrap();
            // Only an investigator of the case's own entity learns that the case exists.
            let expected = if outsider == "investigator-minusca" && path.starts_with("cases/") {
                403
            } else {
                404
            };
            assert_eq!(response.status(), expected, "{outsider} gets {path}");
        }
    }

    // The CLI of an outsider cannot pull the case either.
    let out = tempfile::tempdir().unwrap();
    let output = gateway.staff_cli(
        "intake-monusco",
        &["pull", case_id, "--out", out.path().to_str().unwrap()],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("404"));
}

#[tokio::test]
async fn the_staff_cli_lists_the_cases_an_intake_officer_may_see() {
    let gateway = Gateway::start();
    gateway
        .submit_form(&[("entity", "minusca"), ("description", REPORT)])
        .await;
    gateway
        .submit_form(&[("entity", "monusco"), ("description", REPORT)])
        .await;
    let output = gateway.staff_cli("intake-minusca", &["cases"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 2, "a header and one case: {stdout}");
    assert!(stdout.starts_with("CASE "), "{stdout}");
    let row = stdout.lines().nth(1).unwrap();
    assert!(
        row.contains("minusca") && row.contains("received"),
        "{stdout}"
    );
}
