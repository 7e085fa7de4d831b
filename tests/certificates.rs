//! Staff certificates that end: `keys ca`, `keys client` and `keys staff` give a lifetime (a
//! year for staff by default), the staff listener refuses a certificate past its dates, and
//! `keys client --csr` certifies a key made elsewhere (a smartcard) without ever seeing it.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{Gateway, keys};
use x509_parser::prelude::{FromDer, X509Certificate};

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

fn example_ca() -> [String; 4] {
    [
        "--ca".into(),
        keys().join("tls/ca.pem").display().to_string(),
        "--ca-key".into(),
        keys().join("tls/ca-key.pem").display().to_string(),
    ]
}

fn der_of(pem_file: &Path) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_file(pem_file)
        .unwrap()
        .to_vec()
}

/// Days from the certificate's start to its end (the day of issue, then `--days` more), and
/// whether it starts at a midnight (UTC).
fn validity(der: &[u8]) -> (i64, bool) {
    let (_, cert) = X509Certificate::from_der(der).unwrap();
    let from = cert.validity().not_before.timestamp();
    let to = cert.validity().not_after.timestamp();
    ((to - from) / 86_400, from % 86_400 == 0)
}

#[test]
fn a_staff_certificate_lasts_a_year_unless_told_otherwise_and_starts_at_midnight() {
    let out = tempfile::tempdir().unwrap();
    let [ca, ca_file, key, key_file] = example_ca();
    let issue = |folder: &str, extra: &[&str]| {
        let dir = out.path().join(folder);
        let mut args = vec!["keys", "client", "--name", "new-member", "--out"];
        args.push(dir.to_str().unwrap());
        args.extend([
            ca.as_str(),
            ca_file.as_str(),
            key.as_str(),
            key_file.as_str(),
        ]);
        args.extend(extra);
        ok(confide(&args));
        validity(&der_of(&dir.join("cert.pem")))
    };
    assert_eq!(issue("default", &[]), (366, true));
    assert_eq!(issue("month", &["--days", "30"]), (31, true));

    let refused = confide(&[
        "keys",
        "client",
        "--name",
        "x",
        "--out",
        "/nonexistent",
        "--days",
        "0",
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--days"));
}

#[test]
fn a_new_ca_lasts_ten_years_unless_told_otherwise() {
    let out = tempfile::tempdir().unwrap();
    let make = |folder: &str, extra: &[&str]| {
        let dir = out.path().join(folder);
        let mut args = vec!["keys", "ca", "--organisation", "Org", "--out"];
        args.push(dir.to_str().unwrap());
        args.extend(extra);
        ok(confide(&args));
        validity(&der_of(&dir.join("ca.pem"))).0
    };
    assert_eq!(make("default", &[]), 3651);
    assert_eq!(make("short", &["--days", "400"]), 401);
}

/// A client certificate for `key` from the example CA, valid between the two days.
fn certificate_for(
    key: &rcgen::KeyPair,
    from: time::OffsetDateTime,
    to: time::OffsetDateTime,
) -> String {
    let ca_pem = std::fs::read_to_string(keys().join("tls/ca.pem")).unwrap();
    let ca_key =
        rcgen::KeyPair::from_pem(&std::fs::read_to_string(keys().join("tls/ca-key.pem")).unwrap())
            .unwrap();
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca_pem, ca_key).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "someone");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    params.not_before = from;
    params.not_after = to;
    params.signed_by(key, &issuer).unwrap().pem()
}

/// What the staff listener answers a client presenting `cert_pem` and `key`; None when the
/// handshake itself is refused.
async fn staff_answer(gateway: &Gateway, cert_pem: &str, key: &rcgen::KeyPair) -> Option<u16> {
    let identity =
        reqwest::Identity::from_pem(format!("{cert_pem}\n{}", key.serialize_pem()).as_bytes())
            .unwrap();
    common::client_builder()
        .identity(identity)
        .build()
        .unwrap()
        .get(format!("{}/api/v1/staff/cases", gateway.staff))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

#[tokio::test]
async fn the_staff_listener_refuses_a_certificate_past_its_last_day() {
    let gateway = Gateway::start();
    let key = rcgen::KeyPair::generate().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let day = time::Duration::days(1);
    // The same CA, key and name: only the dates differ. A certificate within its dates passes
    // the handshake (and, being in no keyring, gets 403); one past them does not.
    let current = certificate_for(&key, now - day, now + day);
    let expired = certificate_for(&key, now - 30 * day, now - day);
    assert_eq!(staff_answer(&gateway, &current, &key).await, Some(403));
    assert_eq!(staff_answer(&gateway, &expired, &key).await, None);
}

#[tokio::test]
async fn a_certificate_request_is_signed_for_its_key_alone_and_as_a_staff_certificate() {
    let gateway = Gateway::start();
    let out = tempfile::tempdir().unwrap();
    // The request of a key that stays where it was made, asking for more than it may have.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut asked = rcgen::CertificateParams::new(vec!["evil.example".to_string()]).unwrap();
    asked
        .distinguished_name
        .push(rcgen::DnType::CommonName, "the-ca-itself");
    asked.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    asked.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let request = out.path().join("request.pem");
    std::fs::write(
        &request,
        asked.serialize_request(&key).unwrap().pem().unwrap(),
    )
    .unwrap();

    let [ca, ca_file, ca_key, ca_key_file] = example_ca();
    let sign = |folder: &Path| {
        confide(&[
            "keys",
            "client",
            "--name",
            "card-holder",
            "--csr",
            request.to_str().unwrap(),
            "--out",
            folder.to_str().unwrap(),
            &ca,
            &ca_file,
            &ca_key,
            &ca_key_file,
        ])
    };
    let folder = out.path().join("member");
    let printed = ok(sign(&folder));
    assert!(
        !folder.join("key.pem").exists(),
        "no key is made or written"
    );
    let der = der_of(&folder.join("cert.pem"));
    let fingerprint = hex::encode(confide::tls::fingerprint(&der.clone().into()));
    assert_eq!(
        printed.trim(),
        format!("certificate_sha256 = \"{fingerprint}\"")
    );
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    assert_eq!(
        cert.public_key().subject_public_key.data.as_ref(),
        key.public_key_raw()
    );
    let names: Vec<_> = cert
        .subject()
        .iter_common_name()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["card-holder"]);
    assert!(!cert.is_ca(), "what the request asked for is ignored");
    assert!(cert.subject_alternative_name().unwrap().is_none());
    let usage = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(usage.client_auth && !usage.server_auth);
    assert_eq!(validity(&der), (366, true));
    // The certificate works with the key that never left its holder.
    let pem = std::fs::read_to_string(folder.join("cert.pem")).unwrap();
    assert_eq!(staff_answer(&gateway, &pem, &key).await, Some(403));

    // A request whose signature does not hold is refused, and nothing is written.
    let mut der = asked.serialize_request(&key).unwrap().der().to_vec();
    let last = der.len() - 1;
    der[last] ^= 1;
    use base64::Engine;
    let forged = format!(
        "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
        base64::engine::general_purpose::STANDARD.encode(&der)
    );
    std::fs::write(&request, &forged).unwrap();
    let refused_folder = out.path().join("refused");
    let refused = sign(&refused_folder);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("certificate request cannot be used")
    );
    assert!(!refused_folder.exists());
}
