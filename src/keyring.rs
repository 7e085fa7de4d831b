//! The keyring: who the organisation is made of, and the public keys that reach them.
//!
//! It names the entities reports are routed to (a mission's conduct team, an agency's
//! investigations office), and the staff members with their role, the entities they serve, their
//! age recipient (the public key envelopes are sealed to) and the SHA-256 fingerprint of the
//! client certificate they log in with. It holds public keys only: the private halves stay on
//! staff machines.
//!
//! The organisation signs it (Ed25519) on an offline machine, and whoever seals to it (the
//! gateway at start and on every reload, the reporter's browser, the staff CLI) checks that
//! signature against the organisation's key, pinned in their own configuration. What is signed
//! is [`Keyring::document`]: a canonical JSON rendering of the keyring's content, so that a
//! client checks exactly the bytes it then reads recipients from, and comments or layout in the
//! TOML file can change without a new signature. Reporters' browsers get a second signed
//! document, [`Keyring::public_document`]: per entity, the public keys of its intake officers
//! and investigators, without names, roles or certificate fingerprints, which the public has
//! no business knowing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("cannot read the keyring {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the keyring is not valid TOML or has unknown keys: {0}")]
    Syntax(String),
    #[error("keyring: {0}")]
    Invalid(String),
    #[error("the keyring's signature: {0}")]
    Signature(String),
}

/// What an organisation signature covers: this line, then [`Keyring::document`]. The line keeps
/// a keyring signature from ever being valid for anything else the key might sign.
pub const SIGNED_PREFIX: &str = "confide keyring v1\n";

/// What the organisation's signature over the public document covers: this line, then
/// [`Keyring::public_document`].
pub const PUBLIC_PREFIX: &str = "confide public keyring v1\n";

/// The organisation's Ed25519 public key, pinned in the gateway's configuration, the staff
/// CLI's and the report page: base64 of its 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrganisationKey(pub [u8; 32]);

impl FromStr for OrganisationKey {
    type Err = KeyringError;

    fn from_str(text: &str) -> Result<Self, KeyringError> {
        let bytes = STANDARD.decode(text.trim()).ok();
        bytes
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
            .map(OrganisationKey)
            .ok_or_else(|| {
                KeyringError::Signature(
                    "the organisation key must be the base64 of 32 bytes, as `confide keys organisation` prints it"
                        .into(),
                )
            })
    }
}

impl std::fmt::Display for OrganisationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&STANDARD.encode(self.0))
    }
}

impl OrganisationKey {
    /// Checks `signature` (base64 of 64 bytes) over the keyring's `document`.
    pub fn verify(&self, document: &str, signature: &str) -> Result<(), KeyringError> {
        self.verify_with(SIGNED_PREFIX, document, signature)
    }

    /// Checks `signature` over the keyring's public document.
    pub fn verify_public(&self, document: &str, signature: &str) -> Result<(), KeyringError> {
        self.verify_with(PUBLIC_PREFIX, document, signature)
    }

    fn verify_with(
        &self,
        prefix: &str,
        document: &str,
        signature: &str,
    ) -> Result<(), KeyringError> {
        let signature = STANDARD
            .decode(signature.trim())
            .map_err(|_| KeyringError::Signature("the signature is not base64".into()))?;
        let mut message = Vec::with_capacity(prefix.len() + document.len());
        message.extend_from_slice(prefix.as_bytes());
        message.extend_from_slice(document.as_bytes());
        ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &self.0)
            .verify(&message, &signature)
            .map_err(|_| {
                KeyringError::Signature(
                    "it does not match the organisation key: the keyring was changed after it was signed, or signed with another key. Sign it again with `confide keys sign`"
                        .into(),
                )
            })
    }
}

/// The signature file of a keyring: the same path with `.sig` added.
pub fn signature_path(keyring: &Path) -> PathBuf {
    let mut name = keyring.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// The two signatures of a signature file: `keyring <base64>` and `public <base64>` lines.
#[derive(Debug, Default)]
pub struct Signatures {
    pub keyring: Option<String>,
    pub public: Option<String>,
}

/// The signatures in a signature file; `None` when there is no file.
pub fn read_signature(path: &Path) -> Result<Option<Signatures>, KeyringError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let mut found = Signatures::default();
            for line in text.lines().map(str::trim) {
                if let Some(sig) = line.strip_prefix("keyring ") {
                    found.keyring = Some(sig.trim().to_string());
                } else if let Some(sig) = line.strip_prefix("public ") {
                    found.public = Some(sig.trim().to_string());
                }
            }
            Ok(Some(found))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(KeyringError::Read {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// A role decides what a staff member may see and do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Receives new reports of their entities, triages and assigns them.
    Intake,
    /// Works on the cases assigned to them.
    Investigator,
    /// Records referrals and services for victims.
    Assistance,
    /// A Member State's focal point: receives notifications about its nationals.
    MemberState,
    /// Sees aggregate statistics and the audit log; opens nothing.
    Auditor,
}

impl Role {
    /// The role as the keyring file and the API spell it.
    pub fn code(self) -> &'static str {
        match self {
            Role::Intake => "intake",
            Role::Investigator => "investigator",
            Role::Assistance => "assistance",
            Role::MemberState => "member_state",
            Role::Auditor => "auditor",
        }
    }
}

/// An entity that receives reports.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// Short identifier used in forms and the API, e.g. `minusca`.
    pub id: String,
    /// The name shown to reporters, e.g. "MINUSCA (Central African Republic)".
    pub name: String,
}

/// A staff member as the keyring file spells them.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StaffEntry {
    /// Unique name, e.g. `intake-minusca`.
    pub name: String,
    pub role: Role,
    /// Entities this person serves (none for a Member State focal point).
    #[serde(default)]
    pub entities: Vec<String>,
    /// ISO 3166-1 alpha-3 code, for Member State focal points only.
    #[serde(default)]
    pub member_state: Option<String>,
    /// The person's age X25519 recipient (`age1…`).
    pub recipient: String,
    /// Lowercase hex SHA-256 of the DER of their client certificate.
    pub certificate_sha256: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyringFile {
    /// Raised at every signing: a gateway refuses a keyring older than one its database has
    /// seen, so that an earlier signed keyring (with a member since removed) cannot be put
    /// back.
    #[serde(default)]
    serial: u64,
    #[serde(rename = "entity", default)]
    entities: Vec<Entity>,
    #[serde(rename = "staff", default)]
    staff: Vec<StaffEntry>,
}

/// A staff member, validated.
#[derive(Clone, Debug)]
pub struct Staff {
    pub name: String,
    pub role: Role,
    pub entities: Vec<String>,
    pub member_state: Option<String>,
    pub recipient: age::x25519::Recipient,
    pub fingerprint: [u8; 32],
}

impl Staff {
    pub fn serves(&self, entity: &str) -> bool {
        self.entities.iter().any(|e| e == entity)
    }
}

/// The public document: per entity, who can open what a reporter sends, by public key only.
#[derive(Serialize)]
struct PublicDocument<'a> {
    format: &'static str,
    serial: u64,
    entities: Vec<PublicEntity<'a>>,
}

#[derive(Serialize)]
struct PublicEntity<'a> {
    id: &'a str,
    name: &'a str,
    /// Intake officers' keys: every new report is sealed to them.
    intake: Vec<String>,
    /// Investigators' keys: a reporter's later messages are sealed to the case's assignees.
    investigators: Vec<String>,
}

/// What is signed: every field of the keyring, in a fixed order.
#[derive(Serialize)]
struct Document<'a> {
    format: &'static str,
    serial: u64,
    entities: &'a [Entity],
    staff: &'a [StaffEntry],
}

/// The validated keyring.
#[derive(Clone, Debug)]
pub struct Keyring {
    entities: Vec<Entity>,
    staff: Vec<Staff>,
    document: Arc<str>,
    signature: Option<Arc<str>>,
    public_document: Arc<str>,
    public_signature: Option<Arc<str>>,
    serial: u64,
}

impl Keyring {
    pub fn load(path: &Path) -> Result<Keyring, KeyringError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyringError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Keyring::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Keyring, KeyringError> {
        let file: KeyringFile =
            toml::from_str(text).map_err(|e| KeyringError::Syntax(e.message().to_string()))?;
        let serial = file.serial;
        let document = serde_json::to_string(&Document {
            format: "confide-keyring/1",
            serial,
            entities: &file.entities,
            staff: &file.staff,
        })
        .expect("the keyring serialises");
        let invalid = |msg: String| Err(KeyringError::Invalid(msg));

        let mut ids = HashSet::new();
        for entity in &file.entities {
            if !is_identifier(&entity.id) {
                return invalid(format!(
                    "entity id {:?} must be 1 to 32 lowercase letters, digits or dashes",
                    entity.id
                ));
            }
            if !ids.insert(entity.id.as_str()) {
                return invalid(format!("entity {:?} is listed twice", entity.id));
            }
        }
        if ids.is_empty() {
            return invalid("there must be at least one [[entity]]".into());
        }

        let mut names = HashSet::new();
        let mut prints = HashSet::new();
        let mut staff = Vec::with_capacity(file.staff.len());
        for entry in file.staff {
            let who = entry.name.clone();
            if !is_identifier(&who) {
                return invalid(format!(
                    "staff name {who:?} must be 1 to 32 lowercase letters, digits or dashes"
                ));
            }
            if who == crate::store::REPORTER {
                return invalid(format!(
                    "the staff name {who:?} is reserved for the reporter's reply key"
                ));
            }
            if !names.insert(who.clone()) {
                return invalid(format!("staff member {who:?} is listed twice"));
            }
            for e in &entry.entities {
                if !ids.contains(e.as_str()) {
                    return invalid(format!("staff member {who:?} serves unknown entity {e:?}"));
                }
            }
            let needs_entities = matches!(
                entry.role,
                Role::Intake | Role::Investigator | Role::Assistance
            );
            if needs_entities && entry.entities.is_empty() {
                return invalid(format!(
                    "staff member {who:?} must serve at least one entity"
                ));
            }
            if (entry.role == Role::MemberState) != entry.member_state.is_some() {
                return invalid(format!(
                    "staff member {who:?}: member_state is required for role member_state and only for it"
                ));
            }
            if let Some(code) = &entry.member_state
                && !crate::allegation::is_member_state_code(code)
            {
                return invalid(format!(
                    "staff member {who:?}: member_state must be an ISO 3166-1 alpha-3 code in capitals, such as FRA"
                ));
            }
            let recipient = age::x25519::Recipient::from_str(&entry.recipient).map_err(|_| {
                KeyringError::Invalid(format!(
                    "staff member {who:?} has an invalid age recipient (expected age1…)"
                ))
            })?;
            let fingerprint = parse_fingerprint(&entry.certificate_sha256).ok_or_else(|| {
                KeyringError::Invalid(format!(
                    "staff member {who:?}: certificate_sha256 must be 64 lowercase hex digits"
                ))
            })?;
            if !prints.insert(fingerprint) {
                return invalid(format!(
                    "staff member {who:?} shares a certificate with another member"
                ));
            }
            staff.push(Staff {
                name: entry.name,
                role: entry.role,
                entities: entry.entities,
                member_state: entry.member_state,
                recipient,
                fingerprint,
            });
        }

        let keyring = Keyring {
            entities: file.entities,
            staff,
            document: Arc::from(document),
            signature: None,
            public_document: Arc::from(""),
            public_signature: None,
            serial,
        };
        let keys_of = |entity: &str, role: Role| -> Vec<String> {
            keyring
                .staff
                .iter()
                .filter(|s| s.role == role && s.serves(entity))
                .map(|s| s.recipient.to_string())
                .collect()
        };
        let public = serde_json::to_string(&PublicDocument {
            format: "confide-public-keyring/1",
            serial: keyring.serial,
            entities: keyring
                .entities
                .iter()
                .map(|e| PublicEntity {
                    id: &e.id,
                    name: &e.name,
                    intake: keys_of(&e.id, Role::Intake),
                    investigators: keys_of(&e.id, Role::Investigator),
                })
                .collect(),
        })
        .expect("the public keyring serialises");
        let mut keyring = keyring;
        keyring.public_document = Arc::from(public);
        for entity in &keyring.entities {
            if keyring.intake_recipients(&entity.id).is_empty() {
                return invalid(format!(
                    "entity {:?} has no intake officer: reports to it could not be read by anyone",
                    entity.id
                ));
            }
        }
        Ok(keyring)
    }

    /// Loads a keyring and checks its signature file against `pin`. Without a pin (the demo
    /// only) the signature is neither needed nor checked, and the keyring is served unsigned.
    pub fn load_signed(
        path: &Path,
        pin: Option<&OrganisationKey>,
    ) -> Result<Keyring, KeyringError> {
        let mut keyring = Keyring::load(path)?;
        let Some(pin) = pin else {
            return Ok(keyring);
        };
        let sig_path = signature_path(path);
        let missing = || {
            KeyringError::Signature(format!(
                "{} is missing or incomplete: the keyring must be signed with the organisation key (`confide keys sign`)",
                sig_path.display()
            ))
        };
        let signatures = read_signature(&sig_path)?.ok_or_else(missing)?;
        let (Some(signature), Some(public)) = (signatures.keyring, signatures.public) else {
            return Err(missing());
        };
        pin.verify(&keyring.document, &signature)?;
        pin.verify_public(&keyring.public_document, &public)?;
        keyring.signature = Some(Arc::from(signature));
        keyring.public_signature = Some(Arc::from(public));
        Ok(keyring)
    }

    /// The signing's serial number (`serial` in the file).
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The canonical JSON the organisation signs (see the module's documentation).
    pub fn document(&self) -> &str {
        &self.document
    }

    /// The organisation's signature over [`Keyring::document`], once checked.
    pub fn signature(&self) -> Option<&str> {
        self.signature.as_deref()
    }

    /// The canonical JSON of what reporters' clients need, signed too (see the module's
    /// documentation).
    pub fn public_document(&self) -> &str {
        &self.public_document
    }

    /// The organisation's signature over [`Keyring::public_document`], once checked.
    pub fn public_signature(&self) -> Option<&str> {
        self.public_signature.as_deref()
    }

    /// The same keyring without the staff members `revoked` names (by certificate or age key):
    /// what the gateway uses while a revocation waits for the next signed keyring.
    pub fn without(&self, revoked: &Revoked) -> Keyring {
        let mut keyring = self.clone();
        keyring.staff.retain(|s| !revoked.covers(s));
        keyring
    }

    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    pub fn entity(&self, id: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.id == id)
    }

    pub fn staff(&self) -> &[Staff] {
        &self.staff
    }

    /// The recipients every new report for `entity` is sealed to.
    pub fn intake_recipients(&self, entity: &str) -> Vec<age::x25519::Recipient> {
        self.staff
            .iter()
            .filter(|s| s.role == Role::Intake && s.serves(entity))
            .map(|s| s.recipient.clone())
            .collect()
    }

    /// The staff member whose client certificate has this fingerprint.
    pub fn staff_by_fingerprint(&self, fingerprint: &[u8; 32]) -> Option<&Staff> {
        // Fingerprints are public (they are in the keyring file); a plain comparison is fine.
        self.staff.iter().find(|s| &s.fingerprint == fingerprint)
    }
}

/// Staff members revoked since the keyring was signed (`confide keys revoke`), kept in the
/// database so that every gateway on it refuses them at once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revoked {
    pub fingerprints: HashSet<[u8; 32]>,
    pub recipients: HashSet<String>,
}

impl Revoked {
    pub fn covers(&self, staff: &Staff) -> bool {
        self.fingerprints.contains(&staff.fingerprint)
            || self.recipients.contains(&staff.recipient.to_string())
    }
}

/// The keyring a running gateway uses: the signed file, reloaded on SIGHUP, less the members
/// revoked in the database.
pub struct Live {
    path: PathBuf,
    pin: Option<OrganisationKey>,
    signed: RwLock<Arc<Keyring>>,
    revoked: RwLock<Revoked>,
    current: RwLock<Arc<Keyring>>,
}

impl Live {
    pub fn open(path: &Path, pin: Option<OrganisationKey>) -> Result<Live, KeyringError> {
        let keyring = Arc::new(Keyring::load_signed(path, pin.as_ref())?);
        Ok(Live {
            path: path.to_path_buf(),
            pin,
            signed: RwLock::new(keyring.clone()),
            revoked: RwLock::default(),
            current: RwLock::new(keyring),
        })
    }

    pub fn current(&self) -> Arc<Keyring> {
        self.current.read().expect("keyring lock").clone()
    }

    /// Reads the file again, checked: the caller decides whether to [`Live::install`] it.
    pub fn read_again(&self) -> Result<Keyring, KeyringError> {
        Keyring::load_signed(&self.path, self.pin.as_ref())
    }

    /// Uses `keyring` from now on.
    pub fn install(&self, keyring: Keyring) {
        *self.signed.write().expect("keyring lock") = Arc::new(keyring);
        self.refresh();
    }

    /// Applies the database's revocations; true when they changed.
    pub fn set_revoked(&self, revoked: Revoked) -> bool {
        {
            let mut current = self.revoked.write().expect("keyring lock");
            if *current == revoked {
                return false;
            }
            *current = revoked;
        }
        self.refresh();
        true
    }

    fn refresh(&self) {
        // Held throughout, so that two refreshes (a reload and new revocations) apply one
        // after the other and the later one reads what the earlier one's caller wrote.
        let mut current = self.current.write().expect("keyring lock");
        let signed = self.signed.read().expect("keyring lock").clone();
        let revoked = self.revoked.read().expect("keyring lock").clone();
        *current = if revoked == Revoked::default() {
            signed
        } else {
            Arc::new(signed.without(&revoked))
        };
    }
}

/// Checks one `[[staff]]` entry as the keyring would, apart from the entities it names.
pub fn check_entry(entry: &str) -> Result<(), KeyringError> {
    let file: KeyringFile =
        toml::from_str(entry).map_err(|e| KeyringError::Syntax(e.message().to_string()))?;
    let mut text = String::new();
    for member in &file.staff {
        for entity in &member.entities {
            text.push_str(&format!("[[entity]]\nid = {entity:?}\nname = \"-\"\n"));
        }
    }
    text.push_str(entry);
    // The placeholder entities have no intake officer unless this is one; that is not this
    // entry's problem.
    match Keyring::parse(&text) {
        Err(KeyringError::Invalid(message)) if message.contains("no intake officer") => Ok(()),
        Err(KeyringError::Invalid(message)) if message.contains("at least one [[entity]]") => {
            Ok(())
        }
        other => other.map(|_| ()),
    }
}

fn is_identifier(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn parse_fingerprint(hex_text: &str) -> Option<[u8; 32]> {
    if hex_text.len() != 64 || hex_text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipient() -> String {
        age::x25519::Identity::generate().to_public().to_string()
    }

    fn ring(extra: &str) -> String {
        format!(
            r#"
[[entity]]
id = "minusca"
name = "MINUSCA"

[[staff]]
name = "intake-minusca"
role = "intake"
entities = ["minusca"]
recipient = "{}"
certificate_sha256 = "{}"
{extra}
"#,
            recipient(),
            "ab".repeat(32)
        )
    }

    #[test]
    fn a_valid_keyring_routes_reports_to_intake() {
        let k = Keyring::parse(&ring("")).unwrap();
        assert_eq!(k.intake_recipients("minusca").len(), 1);
        assert!(k.staff_by_fingerprint(&[0xab; 32]).is_some());
        assert!(k.staff_by_fingerprint(&[0xac; 32]).is_none());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_with_the_name_of_the_problem() {
        let err = Keyring::parse(&ring("colour = \"red\""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");

        let err = Keyring::parse(&ring(&format!(
            "[[staff]]\nname = \"x\"\nrole = \"investigator\"\nentities = [\"monusco\"]\nrecipient = \"{}\"\ncertificate_sha256 = \"{}\"",
            recipient(),
            "cd".repeat(32)
        )))
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown entity \"monusco\""), "{err}");

        let text = ring("").replace("ab", "AB");
        assert!(
            Keyring::parse(&text)
                .unwrap_err()
                .to_string()
                .contains("certificate_sha256")
        );

        let text = ring("").replace("age1", "age2");
        assert!(
            Keyring::parse(&text)
                .unwrap_err()
                .to_string()
                .contains("age recipient")
        );
    }

    #[test]
    fn an_entity_without_intake_is_refused() {
        let text = format!(
            "[[entity]]\nid = \"monusco\"\nname = \"MONUSCO\"\n{}",
            ring("")
        );
        let err = Keyring::parse(&text).unwrap_err().to_string();
        assert!(err.contains("no intake officer"), "{err}");
    }
}
