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

use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::keyring::{Keyring, OrganisationKey, Role};

/// A certificate authority able to sign server and staff certificates.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    pub cert_pem: String,
}

/// How long a certificate is valid: from the start of the day it is issued (UTC, so that the
/// second a member was enrolled is not written into their certificate) to the end of the day
/// `days` later, so that a certificate of one day issued late in the evening still has a day.
/// The staff listener refuses a client certificate outside its dates (rustls' WebPKI verifier),
/// so a lost laptop's certificate stops working by itself even if nobody revokes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetime {
    pub days: u32,
}

impl Lifetime {
    /// A staff member's certificate: a year, renewed at the yearly key check.
    pub const STAFF: Lifetime = Lifetime { days: 365 };
    /// The organisation's staff CA, which lives on an offline machine: ten years.
    pub const CA: Lifetime = Lifetime { days: 3650 };
    /// The longest any command issues: a hundred years.
    pub const MAX_DAYS: u32 = 36_500;
    /// The example set is committed and used by the tests for years; it is public test data,
    /// so its length of life protects nothing.
    const EXAMPLE: Lifetime = Lifetime {
        days: Lifetime::MAX_DAYS,
    };

    fn apply(self, params: &mut CertificateParams) {
        let start = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT);
        params.not_before = start;
        params.not_after = start + time::Duration::days(i64::from(self.days) + 1);
    }
}

/// A freshly issued certificate and its private key, both PEM.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    pub fingerprint: [u8; 32],
}

impl Authority {
    /// A new self-signed CA for `organisation`.
    pub fn new(organisation: &str, lifetime: Lifetime) -> Result<Authority> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::OrganizationName, organisation);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{organisation} staff CA"));
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        lifetime.apply(&mut params);
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
    pub fn issue_server(&self, names: &[&str], lifetime: Lifetime) -> Result<Issued> {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("confide"),
        );
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        lifetime.apply(&mut params);
        self.issue(params)
    }

    /// A client certificate for the staff member `name`, with a new key.
    pub fn issue_client(&self, name: &str, lifetime: Lifetime) -> Result<Issued> {
        self.issue(client_params(name, lifetime)?)
    }

    /// A client certificate for the staff member `name` whose key was made elsewhere (on a
    /// smartcard, a hardware token, the member's own machine) and never leaves it: the request
    /// proves the requester holds the key (its signature is checked), and only its public key
    /// is taken. Everything the request asks for beyond that (names, usages, being a CA) is
    /// ignored: the certificate says what a staff certificate says, nothing more.
    pub fn sign_request(
        &self,
        name: &str,
        request_pem: &str,
        lifetime: Lifetime,
    ) -> Result<Signed> {
        let request = rcgen::CertificateSigningRequestParams::from_pem(request_pem).map_err(|e| {
            anyhow::anyhow!(
                "the certificate request cannot be used ({e}): give a PEM request (-----BEGIN CERTIFICATE REQUEST-----) with a valid signature and no extensions beyond names and key usages"
            )
        })?;
        let ours = rcgen::CertificateSigningRequestParams {
            params: client_params(name, lifetime)?,
            public_key: request.public_key,
        };
        let cert = ours.signed_by(&self.issuer)?;
        Ok(Signed {
            fingerprint: crate::tls::fingerprint(cert.der()),
            cert_pem: cert.pem(),
        })
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

/// What a staff certificate says: the member's keyring name, for client authentication only.
fn client_params(name: &str, lifetime: Lifetime) -> Result<CertificateParams> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    lifetime.apply(&mut params);
    Ok(params)
}

/// A certificate signed for a key held elsewhere.
pub struct Signed {
    pub cert_pem: String,
    pub fingerprint: [u8; 32],
}

/// Text that opens an age file armoured with a passphrase (how protected key files start).
const ARMOR_START: &str = "-----BEGIN AGE ENCRYPTED FILE-----";

/// A private key file's contents, sealed with `passphrase` (age's scrypt mode, armoured) when
/// one is given. The reference `age` tool opens such files too (`age -d FILE`).
pub fn protect(plain: &[u8], passphrase: Option<SecretString>) -> Result<Vec<u8>> {
    let Some(passphrase) = passphrase else {
        return Ok(plain.to_vec());
    };
    let encryptor = age::Encryptor::with_user_passphrase(passphrase);
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)?;
    let mut writer = encryptor.wrap_output(armor)?;
    std::io::Write::write_all(&mut writer, plain)?;
    writer.finish()?.finish()?;
    Ok(out)
}

/// How a binary age file starts (what `age -p` writes unless asked for armour).
const BINARY_START: &str = "age-encryption.org/v1\n";

/// Whether a key file is passphrase-protected: an age file, armoured (as confide writes them)
/// or binary (the reference tool's `age -p` default).
pub fn is_protected(contents: &[u8]) -> bool {
    contents.starts_with(BINARY_START.as_bytes())
        || contents
            .trim_ascii_start()
            .starts_with(ARMOR_START.as_bytes())
}

/// One passphrase for every protected key file a command opens, asked (or read from its file)
/// the first time one is needed and kept, in memory that is wiped, until the command ends: a
/// staff member's identity and TLS key share it, and are opened with one prompt.
pub struct PassphraseOnce<F> {
    ask: F,
    known: std::sync::Mutex<Option<SecretString>>,
}

impl<F: Fn() -> Result<SecretString>> PassphraseOnce<F> {
    pub fn new(ask: F) -> PassphraseOnce<F> {
        PassphraseOnce {
            ask,
            known: std::sync::Mutex::new(None),
        }
    }

    /// The passphrase, asked at most once.
    pub fn get(&self) -> Result<SecretString> {
        use secrecy::ExposeSecret;
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if known.is_none() {
            *known = Some((self.ask)()?);
        }
        let passphrase = known
            .as_ref()
            .map(|p| p.expose_secret())
            .unwrap_or_default();
        Ok(SecretString::from(passphrase.to_owned()))
    }
}

/// A TLS private key file (PEM), opened with the passphrase when it is protected.
pub fn read_tls_key(
    path: &Path,
    ask: impl FnOnce() -> Result<SecretString>,
) -> Result<Zeroizing<Vec<u8>>> {
    let contents =
        fs::read(path).with_context(|| format!("cannot read the TLS key {}", path.display()))?;
    unprotect(contents, ask).with_context(|| format!("cannot open the TLS key {}", path.display()))
}

/// A key file's contents, opened with the passphrase `ask` gives when it is protected.
pub fn unprotect(
    contents: Vec<u8>,
    ask: impl FnOnce() -> Result<SecretString>,
) -> Result<Zeroizing<Vec<u8>>> {
    if !is_protected(&contents) {
        return Ok(Zeroizing::new(contents));
    }
    let passphrase = ask()?;
    let reader = age::armor::ArmoredReader::new(contents.as_slice());
    let decryptor = age::Decryptor::new(reader).context("the key file is damaged")?;
    let identity = age::scrypt::Identity::new(passphrase);
    let mut plain = Zeroizing::new(Vec::new());
    std::io::Read::read_to_end(
        &mut decryptor
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .map_err(|_| anyhow::anyhow!("wrong passphrase, or the key file is damaged"))?,
        &mut plain,
    )?;
    Ok(plain)
}

/// The age identities in an identity file, protected or not.
pub fn read_identities(
    path: &Path,
    ask: impl FnOnce() -> Result<SecretString>,
) -> Result<Vec<Box<dyn age::Identity + Send + Sync>>> {
    let contents = fs::read(path)
        .with_context(|| format!("cannot read the age identity {}", path.display()))?;
    let plain = unprotect(contents, ask)?;
    age::IdentityFile::from_buffer(plain.as_slice())
        .with_context(|| format!("{} is not an age identity file", path.display()))?
        .into_identities()
        .context("the identity file holds no usable age identity")
}

/// A new age identity: the file's text and the public key (`age1…`).
pub fn new_identity(name: &str) -> (Zeroizing<String>, String) {
    use secrecy::ExposeSecret;
    let identity = age::x25519::Identity::generate();
    let public = identity.to_public().to_string();
    let text = Zeroizing::new(format!(
        "# age identity of {name}, made by confide\n# public key: {public}\n{}\n",
        identity.to_string().expose_secret()
    ));
    (text, public)
}

/// A new organisation signing key: the key file's text (PKCS#8, base64) and its public key.
pub fn new_organisation_key() -> Result<(Zeroizing<String>, OrganisationKey)> {
    use ring::signature::KeyPair;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Zeroizing::new(
        ring::signature::Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| anyhow::anyhow!("the system's random generator failed"))?
            .as_ref()
            .to_vec(),
    );
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(&pkcs8)
        .map_err(|_| anyhow::anyhow!("a fresh key did not load"))?;
    let public = OrganisationKey(
        pair.public_key()
            .as_ref()
            .try_into()
            .expect("Ed25519 public keys are 32 bytes"),
    );
    let text = Zeroizing::new(format!(
        "# confide organisation signing key (Ed25519, PKCS#8). Keep it offline.\n# public key: {public}\n{}\n",
        base64::engine::general_purpose::STANDARD.encode(pkcs8.as_slice())
    ));
    Ok((text, public))
}

/// Signs a keyring's document with the organisation key file's (opened) contents; returns the
/// signature file's text and the public key that checks it.
pub fn sign_keyring(key_file: &[u8], keyring: &Keyring) -> Result<(String, OrganisationKey)> {
    use ring::signature::KeyPair;
    let text = std::str::from_utf8(key_file).context("the organisation key file is not text")?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .context("the organisation key file holds no key")?;
    let pkcs8 = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(line)
            .context("the organisation key file is damaged")?,
    );
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(&pkcs8)
        .map_err(|_| anyhow::anyhow!("the organisation key file holds no Ed25519 key"))?;
    let sign = |prefix: &str, document: &str| {
        let mut message = prefix.as_bytes().to_vec();
        message.extend_from_slice(document.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(pair.sign(&message))
    };
    let signature = sign(crate::keyring::SIGNED_PREFIX, keyring.document());
    let public_signature = sign(crate::keyring::PUBLIC_PREFIX, keyring.public_document());
    let public = OrganisationKey(
        pair.public_key()
            .as_ref()
            .try_into()
            .expect("Ed25519 public keys are 32 bytes"),
    );
    Ok((
        format!(
            "# confide keyring signatures by organisation key {public}\nkeyring {signature}\npublic {public_signature}\n"
        ),
        public,
    ))
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
    let ca = Authority::new("Example organisation (TEST ONLY)", Lifetime::EXAMPLE)?;
    write("tls/ca.pem", &ca.cert_pem)?;
    // Kept only because this set is for tests, which issue extra certificates with it. A real
    // CA key never leaves the administrator's offline machine.
    write("tls/ca-key.pem", &ca.key_pem())?;
    let server = ca.issue_server(&["localhost", "127.0.0.1", "::1"], Lifetime::EXAMPLE)?;
    write("tls/server.pem", &server.cert_pem)?;
    write("tls/server-key.pem", &server.key_pem)?;

    let mut keyring = String::from(
        "# TEST ONLY: the example keyring of the demo. Never use these keys for real reports.\n\n\
         # Raised at every signing: gateways refuse a keyring older than one they have used.\n\
         serial = 1\n\n\
         [[entity]]\nid = \"minusca\"\nname = \"MINUSCA (Central African Republic)\"\n\n\
         [[entity]]\nid = \"monusco\"\nname = \"MONUSCO (Democratic Republic of the Congo)\"\n",
    );
    for (name, role, entities, member_state) in EXAMPLE_STAFF {
        let identity = age::x25519::Identity::generate();
        let client = ca.issue_client(name, Lifetime::EXAMPLE)?;
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
    // Kept in the folder only because this set is public test data; a real organisation key
    // stays on an offline machine.
    let (org_key, org_public) = new_organisation_key()?;
    write("organisation.key", &org_key)?;
    let (signature, _) = sign_keyring(org_key.as_bytes(), &Keyring::parse(&keyring)?)?;
    write("keyring.toml.sig", &signature)?;

    let salt = base64::engine::general_purpose::STANDARD
        .encode(&crate::token::ServerSecret::generate_bytes()[..16]);
    write("confide.toml", &example_config(&salt, &org_public))?;
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

fn example_config(salt: &str, organisation_key: &OrganisationKey) -> String {
    format!(
        r#"# TEST ONLY: the demo configuration (`confide demo` reads it).
# Paths are relative to this file. `confide demo` overrides data_dir and both addresses from its
# command line.

public_addr = "127.0.0.1:8443"
staff_addr = "127.0.0.1:9443"
data_dir = "../demo-data"
keyring = "keyring.toml"
# The organisation's public signing key: the keyring must carry its signature (keyring.toml.sig).
organisation_key = "{organisation_key}"
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

#[cfg(test)]
mod tests {
    use super::*;

    fn passphrase() -> Result<SecretString> {
        Ok(SecretString::from("a passphrase of many words".to_string()))
    }

    /// What `age -p` writes by default: the binary format, no armour.
    fn binary_protected(plain: &[u8]) -> Vec<u8> {
        let encryptor = age::Encryptor::with_user_passphrase(passphrase().unwrap());
        let mut out = Vec::new();
        let mut writer = encryptor.wrap_output(&mut out).unwrap();
        std::io::Write::write_all(&mut writer, plain).unwrap();
        writer.finish().unwrap();
        out
    }

    #[test]
    fn an_identity_protected_by_age_p_opens_in_its_binary_and_its_armoured_form() {
        let (text, public) = new_identity("test");
        let dir = tempfile::tempdir().unwrap();
        for (name, file) in [
            ("binary", binary_protected(text.as_bytes())),
            (
                "armoured",
                protect(text.as_bytes(), passphrase().ok()).unwrap(),
            ),
        ] {
            assert!(is_protected(&file), "{name}");
            let path = dir.path().join(name);
            std::fs::write(&path, &file).unwrap();
            let identities = read_identities(&path, passphrase).unwrap();
            let sealed = crate::seal::seal(
                Zeroizing::new(b"opened".to_vec()),
                &[public.parse().unwrap()],
            )
            .unwrap();
            let mut opened = Vec::new();
            std::io::Read::read_to_end(
                &mut age::Decryptor::new(sealed.as_slice())
                    .unwrap()
                    .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
                    .unwrap(),
                &mut opened,
            )
            .unwrap();
            // Padded to its size bucket by `seal`.
            assert!(opened.starts_with(b"opened"), "{name}");
        }
    }

    #[test]
    fn one_command_asks_its_passphrase_once_for_every_key_it_opens() {
        let asked = std::sync::atomic::AtomicUsize::new(0);
        let once = PassphraseOnce::new(|| {
            asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            passphrase()
        });
        let key = protect(b"-----BEGIN PRIVATE KEY-----", passphrase().ok()).unwrap();
        let identity = protect(b"AGE-SECRET-KEY-1", passphrase().ok()).unwrap();
        unprotect(key, || once.get()).unwrap();
        unprotect(identity, || once.get()).unwrap();
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
