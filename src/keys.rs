//! Making keys: the organisation's private CA, server and staff client certificates, staff age
//! identities, and the complete example set in `keys-example/`.
//!
//! Everything here runs on an administrator's machine, never on the gateway: the gateway only
//! ever reads the public halves.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::keyring::Role;

/// A certificate authority able to sign server and staff certificates.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    pub cert_pem: String,
}

/// A freshly issued certificate and its private key, both PEM.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    pub fingerprint: [u8; 32],
}

impl Authority {
    /// A new self-signed CA for `organisation`.
    pub fn new(organisation: &str) -> Result<Authority> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::OrganizationName, organisation);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{organisation} staff CA"));
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate()?;
        let cert_pem = params.self_signed(&key)?.pem();
        Ok(Authority {
            issuer: Issuer::new(params, key),
            cert_pem,
        })
    }

    /// An existing CA, from its certificate and private key (PEM).
    pub fn load(cert_pem: &str, key_pem: &str) -> Result<Authority> {
        let key = KeyPair::from_pem(key_pem).context("the CA key is not a PEM private key")?;
        let issuer =
            Issuer::from_ca_cert_pem(cert_pem, key).context("the CA certificate cannot be read")?;
        Ok(Authority {
            issuer,
            cert_pem: cert_pem.to_string(),
        })
    }

    /// The CA's private key, PEM: keep it offline.
    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    /// A server certificate for the given host names and addresses.
    pub fn issue_server(&self, names: &[&str]) -> Result<Issued> {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("confide"),
        );
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        self.issue(params)
    }

    /// A client certificate for the staff member `name`.
    pub fn issue_client(&self, name: &str) -> Result<Issued> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        self.issue(params)
    }

    fn issue(&self, params: CertificateParams) -> Result<Issued> {
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Issued {
            fingerprint: crate::tls::fingerprint(cert.der()),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// The staff of the example set: name, role, entities, Member State.
const EXAMPLE_STAFF: [(&str, Role, &[&str], Option<&str>); 7] = [
    ("intake-minusca", Role::Intake, &["minusca"], None),
    (
        "investigator-minusca",
        Role::Investigator,
        &["minusca"],
        None,
    ),
    (
        "investigator-minusca-2",
        Role::Investigator,
        &["minusca"],
        None,
    ),
    ("intake-monusco", Role::Intake, &["monusco"], None),
    ("assistance-minusca", Role::Assistance, &["minusca"], None),
    // XAA: an ISO 3166 user-assigned code, so that no real country is named in test data.
    (
        "member-state-focal-point",
        Role::MemberState,
        &[],
        Some("XAA"),
    ),
    ("auditor", Role::Auditor, &[], None),
];

/// Writes a complete, self-consistent example key set to `dir` (test use only).
pub fn write_example_set(dir: &Path) -> Result<()> {
    let write = |rel: &str, text: &str| -> Result<()> {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().expect("paths have a parent"))?;
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    };
    let ca = Authority::new("Example organisation (TEST ONLY)")?;
    write("tls/ca.pem", &ca.cert_pem)?;
    // Kept only because this set is for tests, which issue extra certificates with it. A real
    // CA key never leaves the administrator's offline machine.
    write("tls/ca-key.pem", &ca.key_pem())?;
    let server = ca.issue_server(&["localhost", "127.0.0.1", "::1"])?;
    write("tls/server.pem", &server.cert_pem)?;
    write("tls/server-key.pem", &server.key_pem)?;

    let mut keyring = String::from(
        "# TEST ONLY: the example keyring of the demo. Never use these keys for real reports.\n\n\
         [[entity]]\nid = \"minusca\"\nname = \"MINUSCA (Central African Republic)\"\n\n\
         [[entity]]\nid = \"monusco\"\nname = \"MONUSCO (Democratic Republic of the Congo)\"\n",
    );
    for (name, role, entities, member_state) in EXAMPLE_STAFF {
        let identity = age::x25519::Identity::generate();
        let client = ca.issue_client(name)?;
        let folder = format!("staff/{name}");
        use secrecy::ExposeSecret;
        write(
            &format!("{folder}/identity.txt"),
            &format!(
                "# TEST ONLY: example age identity of {name}\n# public key: {}\n{}\n",
                identity.to_public(),
                identity.to_string().expose_secret()
            ),
        )?;
        write(&format!("{folder}/cert.pem"), &client.cert_pem)?;
        write(&format!("{folder}/key.pem"), &client.key_pem)?;
        keyring.push_str(&keyring_entry(
            name,
            role,
            entities,
            member_state,
            &identity.to_public().to_string(),
            &client.fingerprint,
        ));
    }
    write("keyring.toml", &keyring)?;

    let salt = base64::engine::general_purpose::STANDARD
        .encode(&crate::token::ServerSecret::generate_bytes()[..16]);
    write("confide.toml", &example_config(&salt))?;
    fs::write(
        dir.join("server-secret"),
        &crate::token::ServerSecret::generate_bytes()[..],
    )?;
    Ok(())
}

/// The keyring entry for one staff member, in the keyring's TOML.
pub fn keyring_entry(
    name: &str,
    role: Role,
    entities: &[&str],
    member_state: Option<&str>,
    recipient: &str,
    fingerprint: &[u8; 32],
) -> String {
    let role = toml::Value::try_from(role).expect("roles serialise");
    let entities: Vec<String> = entities.iter().map(|e| format!("{e:?}")).collect();
    let mut entry = format!(
        "\n[[staff]]\nname = {name:?}\nrole = {role}\nentities = [{}]\n",
        entities.join(", ")
    );
    if let Some(code) = member_state {
        entry.push_str(&format!("member_state = {code:?}\n"));
    }
    entry.push_str(&format!(
        "recipient = {recipient:?}\ncertificate_sha256 = \"{}\"\n",
        hex::encode(fingerprint)
    ));
    entry
}

fn example_config(salt: &str) -> String {
    format!(
        r#"# TEST ONLY: the demo configuration (`confide demo` reads it).
# Paths are relative to this file. `confide demo` overrides data_dir and both addresses from its
# command line.

public_addr = "127.0.0.1:8443"
staff_addr = "127.0.0.1:9443"
data_dir = "../demo-data"
keyring = "keyring.toml"
# A real deployment keeps this file outside the database and its backups, mode 0600.
server_secret_file = "server-secret"

[tls]
certificate = "tls/server.pem"
key = "tls/server-key.pem"
staff_ca = "tls/ca.pem"

[token]
salt = "{salt}"
memory_kib = 19456
iterations = 2
parallelism = 1
"#
    )
}
