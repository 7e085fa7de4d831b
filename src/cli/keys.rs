//! `confide keys`: the key ceremonies. Every command runs on the machine of whoever will hold
//! the private half (an administrator's offline machine for the CA and the organisation key, a
//! staff member's own machine for their identity) and prints only what is public.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use secrecy::SecretString;

use super::staff::write_private;
use crate::keyring::{Keyring, Role};
use crate::keys::{
    Authority, Lifetime, keyring_entry, new_identity, new_organisation_key, protect,
};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Write a complete example key set (CA, server and staff certificates, age identities,
    /// signed keyring, configuration). For tests and demonstrations only.
    Example {
        #[arg(long)]
        out: PathBuf,
    },
    /// Make the organisation's signing key (offline machine); prints the public key that goes
    /// into every gateway's and staff member's configuration.
    Organisation {
        /// Where to write the private key.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        passphrase: Passphrase,
    },
    /// Sign a keyring with the organisation key: writes KEYRING.sig beside it. Gateways reload
    /// both on SIGHUP.
    Sign {
        #[arg(long)]
        keyring: PathBuf,
        /// The organisation's private key file.
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        passphrase: Passphrase,
    },
    /// Make a staff member's age identity (on their own machine); prints the public key.
    Identity {
        /// The staff member's keyring name (written into the file as a comment).
        #[arg(long)]
        name: String,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        passphrase: Passphrase,
    },
    /// Make the organisation's private CA for staff certificates (offline machine).
    Ca {
        /// The organisation's name, written into the certificate.
        #[arg(long)]
        organisation: String,
        /// Folder to write ca.pem and ca-key.pem into.
        #[arg(long)]
        out: PathBuf,
        /// How many days the CA is valid, from today (UTC). Every staff certificate stops
        /// working with it.
        #[arg(long, default_value_t = Lifetime::CA.days, value_parser = days())]
        days: u32,
    },
    /// Issue a staff member's client certificate with the CA; prints its fingerprint. With
    /// --csr, signs the certificate request of a key made elsewhere (a smartcard, a hardware
    /// token) and writes only cert.pem: the key never comes here.
    Client {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        ca: CaFiles,
        /// Folder to write cert.pem (and key.pem, without --csr) into.
        #[arg(long)]
        out: PathBuf,
        /// A certificate request (PEM) made where the key lives. Only its public key is used:
        /// the certificate names --name, for client authentication, whatever the request asks.
        #[arg(long)]
        csr: Option<PathBuf>,
        /// How many days the certificate is valid, from today (UTC); renew it before then.
        #[arg(long, default_value_t = Lifetime::STAFF.days, value_parser = days())]
        days: u32,
    },
    /// Everything a new staff member needs (age identity, client certificate), then prints the
    /// keyring entry to add. For a member who makes their own identity, use `identity` on their
    /// machine and `client` here instead.
    Staff {
        #[arg(long)]
        name: String,
        /// intake, investigator, assistance, member_state or auditor.
        #[arg(long)]
        role: String,
        /// Entities they serve, comma-separated (not for member_state and auditor).
        #[arg(long, value_delimiter = ',')]
        entities: Vec<String>,
        /// ISO 3166-1 alpha-3 code, for a Member State focal point.
        #[arg(long)]
        member_state: Option<String>,
        #[command(flatten)]
        ca: CaFiles,
        /// Folder to write identity.txt, cert.pem and key.pem into.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        passphrase: Passphrase,
        /// How many days the certificate is valid, from today (UTC); renew it before then.
        #[arg(long, default_value_t = Lifetime::STAFF.days, value_parser = days())]
        days: u32,
    },
    /// Revoke a staff member at once, on every gateway of the database: their certificate is
    /// refused from their next request and nothing new is sealed to their key. Lists the
    /// envelopes that were sealed to them. Remove them from the keyring at the next signing.
    Revoke(RevokeArgs),
    /// Replace your age key: after the administrator has put your new key in the signed
    /// keyring, every envelope sealed to you is opened here with the old key and sealed again
    /// with the new one (and the same other recipients). Afterwards the old key opens nothing
    /// the gateway stores: destroy it.
    Rotate(RotateArgs),
}

#[derive(clap::Args)]
pub struct RotateArgs {
    #[command(flatten)]
    connection: super::staff_client::Connection,
    /// Your old age identity file.
    #[arg(long)]
    old_identity: PathBuf,
    /// Your new age identity file (`confide keys identity`), whose key the keyring now lists.
    #[arg(long)]
    identity: PathBuf,
    /// The passphrase of protected identity files, in the first line of this file.
    #[arg(long, env = "CONFIDE_PASSPHRASE_FILE")]
    passphrase_file: Option<PathBuf>,
    /// Print the outcome as JSON, for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct RevokeArgs {
    /// The gateway's configuration: its database and keyring.
    #[arg(long, env = "CONFIDE_CONFIG")]
    config: PathBuf,
    /// The staff member's keyring name.
    #[arg(long)]
    name: String,
    /// Print the envelopes sealed to them as JSON, for scripts.
    #[arg(long)]
    json: bool,
}

/// A certificate's length of life in days: at least one, at most [`Lifetime::MAX_DAYS`].
fn days() -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(1..=i64::from(Lifetime::MAX_DAYS))
}

#[derive(clap::Args)]
pub struct CaFiles {
    /// The CA certificate (PEM).
    #[arg(long)]
    ca: PathBuf,
    /// The CA's private key (PEM).
    #[arg(long)]
    ca_key: PathBuf,
}

/// How a private key file is protected.
#[derive(clap::Args)]
pub struct Passphrase {
    /// Protect the key file with a passphrase typed at the terminal.
    #[arg(long)]
    protect: bool,
    /// Protect (or open) the key file with the passphrase in the first line of this file.
    #[arg(long, env = "CONFIDE_PASSPHRASE_FILE")]
    passphrase_file: Option<PathBuf>,
}

impl Passphrase {
    /// The passphrase for a new file, if one is wanted.
    fn for_new_file(&self) -> Result<Option<SecretString>> {
        if let Some(path) = &self.passphrase_file {
            return checked(read_passphrase(path)?);
        }
        if !self.protect {
            return Ok(None);
        }
        let first = rpassword::prompt_password("passphrase for the new key file: ")?;
        let again =
            zeroize::Zeroizing::new(rpassword::prompt_password("the same passphrase again: ")?);
        if first != *again {
            bail!("the two passphrases differ; nothing was written");
        }
        checked(SecretString::from(first))
    }

    /// The passphrase of an existing protected file.
    pub fn ask(&self) -> Result<SecretString> {
        ask_passphrase(self.passphrase_file.as_deref())
    }
}

/// A passphrase from a file when one is named, otherwise typed at the terminal.
pub fn ask_passphrase(file: Option<&Path>) -> Result<SecretString> {
    match file {
        Some(path) => read_passphrase(path),
        None => Ok(SecretString::from(
            rpassword::prompt_password("passphrase of the key file: ")
                .context("the key file is protected: type its passphrase at a terminal, or give --passphrase-file")?,
        )),
    }
}

fn read_passphrase(path: &Path) -> Result<SecretString> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the passphrase file {}", path.display()))?,
    );
    Ok(SecretString::from(
        text.lines().next().unwrap_or_default().to_string(),
    ))
}

fn checked(passphrase: SecretString) -> Result<Option<SecretString>> {
    use secrecy::ExposeSecret;
    if passphrase.expose_secret().chars().count() < 12 {
        bail!("the passphrase must be at least 12 characters; several words are easiest");
    }
    Ok(Some(SecretString::from(passphrase)))
}

pub async fn run(command: KeysCommand) -> Result<()> {
    match command {
        KeysCommand::Revoke(args) => return revoke(args).await,
        KeysCommand::Rotate(args) => return rotate(args).await,
        KeysCommand::Example { out } => {
            crate::keys::write_example_set(&out)?;
            println!("wrote an example key set to {}", out.display());
        }
        KeysCommand::Organisation { out, passphrase } => {
            let (text, public) = new_organisation_key()?;
            write_private(&out, &protect(text.as_bytes(), passphrase.for_new_file()?)?)?;
            eprintln!(
                "organisation signing key written to {}; keep it offline",
                out.display()
            );
            println!("organisation_key = \"{public}\"");
        }
        KeysCommand::Sign {
            keyring,
            key,
            passphrase,
        } => {
            let parsed = Keyring::load(&keyring)?;
            // What is about to be signed, so that the signer reads it first.
            eprintln!(
                "signing this keyring, serial {} (raise `serial` at every signing: gateways refuse a keyring older than one they have used):",
                parsed.serial()
            );
            for entity in parsed.entities() {
                eprintln!("  entity {}: {}", entity.id, entity.name);
            }
            for member in parsed.staff() {
                let role = toml::Value::try_from(member.role)
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                eprintln!(
                    "  {} {} {} {} {}",
                    member.name,
                    role,
                    member.entities.join(","),
                    member.member_state.as_deref().unwrap_or("-"),
                    member.recipient
                );
            }
            let contents =
                std::fs::read(&key).with_context(|| format!("cannot read {}", key.display()))?;
            let opened = crate::keys::unprotect(contents, || passphrase.ask())?;
            let (signature, public) = crate::keys::sign_keyring(&opened, &parsed)?;
            let path = crate::keyring::signature_path(&keyring);
            std::fs::write(&path, signature)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "signed: {} ({} entities, {} staff); reload the gateways with SIGHUP",
                path.display(),
                parsed.entities().len(),
                parsed.staff().len()
            );
            println!("organisation_key = \"{public}\"");
        }
        KeysCommand::Identity {
            name,
            out,
            passphrase,
        } => {
            let (text, public) = new_identity(&name);
            write_private(&out, &protect(text.as_bytes(), passphrase.for_new_file()?)?)?;
            eprintln!("age identity written to {}", out.display());
            println!("recipient = \"{public}\"");
        }
        KeysCommand::Ca {
            organisation,
            out,
            days,
        } => {
            let ca = Authority::new(&organisation, Lifetime { days })?;
            std::fs::create_dir_all(&out)?;
            std::fs::write(out.join("ca.pem"), &ca.cert_pem)?;
            write_private(&out.join("ca-key.pem"), ca.key_pem().as_bytes())?;
            println!(
                "CA written to {}: ca.pem (give it to the gateways as tls.staff_ca) and ca-key.pem (keep it offline)",
                out.display()
            );
        }
        KeysCommand::Client {
            name,
            ca,
            out,
            csr,
            days,
        } => {
            let lifetime = Lifetime { days };
            let fingerprint = match csr {
                Some(csr) => {
                    let request = std::fs::read_to_string(&csr)
                        .with_context(|| format!("cannot read {}", csr.display()))?;
                    let signed = ca.load()?.sign_request(&name, &request, lifetime)?;
                    std::fs::create_dir_all(&out)?;
                    std::fs::write(out.join("cert.pem"), &signed.cert_pem)?;
                    signed.fingerprint
                }
                None => {
                    let issued = ca.load()?.issue_client(&name, lifetime)?;
                    write_client(&out, &issued)?;
                    issued.fingerprint
                }
            };
            eprintln!(
                "{name}'s certificate written to {}, valid for {days} days from today",
                out.display()
            );
            println!("certificate_sha256 = \"{}\"", hex::encode(fingerprint));
        }
        KeysCommand::Staff {
            name,
            role,
            entities,
            member_state,
            ca,
            out,
            passphrase,
            days,
        } => {
            let role: Role = toml::Value::String(role.clone())
                .try_into()
                .map_err(|_| anyhow::anyhow!("unknown role {role:?}: use intake, investigator, assistance, member_state or auditor"))?;
            let (identity, public) = new_identity(&name);
            let issued = ca.load()?.issue_client(&name, Lifetime { days })?;
            let entities: Vec<&str> = entities.iter().map(String::as_str).collect();
            let entry = keyring_entry(
                &name,
                role,
                &entities,
                member_state.as_deref(),
                &public,
                &issued.fingerprint,
            );
            // The entry must be one the keyring accepts; checked here rather than at the next
            // signing ceremony.
            crate::keyring::check_entry(&entry)?;
            std::fs::create_dir_all(&out)?;
            // One passphrase protects both private keys: the identity that opens reports and
            // the TLS key that speaks for the member (replies, status changes), so that a
            // stolen laptop gives away neither. The client asks it once per command.
            let passphrase = passphrase.for_new_file()?;
            let copy = |p: &Option<SecretString>| {
                use secrecy::ExposeSecret;
                p.as_ref()
                    .map(|p| SecretString::from(p.expose_secret().to_owned()))
            };
            write_private(
                &out.join("identity.txt"),
                &protect(identity.as_bytes(), copy(&passphrase))?,
            )?;
            std::fs::write(out.join("cert.pem"), &issued.cert_pem)?;
            write_private(
                &out.join("key.pem"),
                &protect(issued.key_pem.as_bytes(), passphrase)?,
            )?;
            eprintln!(
                "{name}'s identity and certificate written to {}; hand them over in person. Add to the keyring, then sign it:",
                out.display()
            );
            print!("{entry}");
        }
    }
    Ok(())
}

impl CaFiles {
    fn load(&self) -> Result<Authority> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
        };
        Authority::load(&read(&self.ca)?, &read(&self.ca_key)?)
    }
}

fn write_client(out: &Path, issued: &crate::keys::Issued) -> Result<()> {
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("cert.pem"), &issued.cert_pem)?;
    write_private(&out.join("key.pem"), issued.key_pem.as_bytes())
}

async fn revoke(args: RevokeArgs) -> Result<()> {
    let config = crate::config::Config::load(&args.config, std::env::vars())?;
    let keyring = Keyring::load_signed(&config.keyring, config.organisation_key()?.as_ref())?;
    let member = keyring
        .staff()
        .iter()
        .find(|s| s.name == args.name)
        .with_context(|| {
            format!(
                "{:?} is not in the keyring {}",
                args.name,
                config.keyring.display()
            )
        })?;
    let store = crate::store::Store::open(&config.database_url())
        .await
        .context("cannot open the database")?;
    let at = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)?
        .format(&time::format_description::well_known::Rfc3339)?;
    let audit = crate::audit::AuditEntry {
        at,
        actor: "administrator".into(),
        action: "revoke",
        case_id: String::new(),
        detail: member.name.clone(),
    };
    store
        .revoke(
            &member.name,
            &member.fingerprint,
            &member.recipient.to_string(),
            &audit,
        )
        .await?;
    let sealed = store.envelopes_sealed_to(&member.name).await?;
    // An entity left with no intake officer takes no report until the keyring gives it one.
    let remaining = keyring.without(&store.revocations().await?);
    let orphaned: Vec<String> = keyring
        .entities()
        .iter()
        .filter(|e| remaining.intake_recipients(&e.id).is_empty())
        .map(|e| e.id.clone())
        .collect();
    for entity in &orphaned {
        eprintln!(
            "WARNING: {entity} has no intake officer left: reports to it are refused until the keyring names one. Add one and sign the keyring now."
        );
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "revoked": member.name,
                "certificate_sha256": hex::encode(member.fingerprint),
                "envelopes_sealed_to_them": sealed,
                "entities_without_intake": orphaned,
            }))?
        );
    } else {
        eprintln!(
            "{} is revoked on every gateway of this database. Remove them from the keyring at the next signing.",
            member.name
        );
        println!(
            "{} envelopes were sealed to {} (they could have read these):",
            sealed.len(),
            member.name
        );
        for e in &sealed {
            println!(
                "{}  {}  {:<12}  {}",
                e.case_id, e.envelope_id, e.kind, e.created_on
            );
        }
    }
    Ok(())
}

async fn rotate(args: RotateArgs) -> Result<()> {
    use super::staff::{INLINE_COPY_BYTES, open, parse_recipient};
    use crate::staff_api::{ResealRequest, Resealed, SealedToMe, Uploaded};
    use base64::Engine;
    use serde_json::json;
    crate::tls::install_crypto_provider();
    let ask = || ask_passphrase(args.passphrase_file.as_deref());
    let old = crate::keys::read_identities(&args.old_identity, ask)?;
    // Read once: a protected file asks its passphrase once.
    let new_identity = x25519_identity(&args.identity, ask)?;
    let new_public = new_identity.to_public();
    let new: Vec<Box<dyn age::Identity + Send + Sync>> = vec![Box::new(new_identity)];
    let client = super::staff_client::Client::new(&args.connection, ask)?;
    let staff = client.trusted_staff().await?;
    let me = staff
        .iter()
        .find(|s| s.recipient == new_public.to_string())
        .with_context(|| {
            format!(
                "the signed keyring does not list your new key {new_public} yet: the administrator replaces your recipient with it, signs the keyring and reloads the gateways first"
            )
        })?;

    let listed: Vec<SealedToMe> = client.json("/api/v1/staff/sealed-to-me").await?;
    let (mut resealed, mut already, mut left_out) = (0usize, 0usize, Vec::<String>::new());
    for (n, envelope) in listed.iter().enumerate() {
        if !crate::store::is_valid_id(&envelope.id) {
            bail!("the server listed an envelope with an invalid id; stopping");
        }
        let body = client
            .bytes(&format!("/api/v1/staff/envelopes/{}", envelope.id))
            .await?;
        // The server's list of recipients is checked against the envelope itself, what it
        // holds and the signed keyring: a server that added a name (or a reply key of its
        // own) would be handed the plaintext.
        let stanzas = crate::seal::inspect(&body)
            .map_err(|_| anyhow::anyhow!("envelope {} is not an age file; stopping", envelope.id))?
            .x25519_stanzas;
        if stanzas != envelope.recipients.len() {
            bail!(
                "the server says envelope {} is sealed to {} people, but it is sealed to {stanzas}; stopping",
                envelope.id,
                envelope.recipients.len()
            );
        }
        let Some(plain) = open(&body, &old)? else {
            if open(&body, &new)?.is_some() {
                already += 1;
                continue;
            }
            bail!(
                "envelope {} opens with neither your old nor your new key; nothing more was changed",
                envelope.id
            );
        };
        // What it is: a staff kind only when the server's list and the content agree (the
        // server could lie about the kind to add a "reporter" of its own; a reporter can write
        // any format into a message). Anything else is case material, sealed to case people.
        let kind = match kind_of(&plain) {
            told if told == envelope.kind => told,
            _ => crate::cases::EnvelopeKind::Report,
        };
        for name in &envelope.recipients {
            let fits = if name == crate::store::REPORTER {
                kind == crate::cases::EnvelopeKind::Reply
            } else if name == &me.name {
                true
            } else {
                staff
                    .iter()
                    .filter(|s| &s.name == name)
                    .all(|s| may_hold(kind, s, me))
            };
            if !fits {
                bail!(
                    "the server says envelope {} ({}) is sealed to {name}, who should not hold it; stopping. Tell your administrator",
                    envelope.id,
                    kind.code()
                );
            }
        }
        let mut keys = Vec::new();
        let mut names = Vec::new();
        for name in &envelope.recipients {
            let key = if name == &me.name {
                Some(new_public.clone())
            } else if name == crate::store::REPORTER {
                match &envelope.reply_recipient {
                    Some(r) => Some(parse_recipient(r)?),
                    None => bail!("the server left out the reporter's reply key; stopping"),
                }
            } else {
                staff
                    .iter()
                    .find(|s| &s.name == name)
                    .map(|s| parse_recipient(&s.recipient))
                    .transpose()?
            };
            match key {
                Some(key) => {
                    keys.push(key);
                    names.push(name.clone());
                }
                None => left_out.push(name.clone()),
            }
        }
        let sealed = crate::seal::seal(plain, &keys)?;
        let request = if sealed.len() > INLINE_COPY_BYTES {
            let answer: Uploaded = client.post_bytes("/api/v1/staff/uploads", sealed).await?;
            ResealRequest {
                body: None,
                upload: Some(answer.upload),
                recipients: names,
            }
        } else {
            ResealRequest {
                body: Some(base64::engine::general_purpose::STANDARD.encode(sealed)),
                upload: None,
                recipients: names,
            }
        };
        let _: Resealed = client
            .post(
                &format!("/api/v1/staff/envelopes/{}/reseal", envelope.id),
                &request,
            )
            .await?;
        resealed += 1;
        if !args.json {
            eprint!("\rre-sealed {}/{}", n + 1, listed.len());
        }
    }
    left_out.sort();
    left_out.dedup();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "resealed": resealed,
                "already_with_new_key": already,
                "left_out": left_out,
            }))?
        );
    } else {
        eprintln!();
        println!(
            "{resealed} envelope(s) sealed again to your new key ({already} had it already): the gateway's envelopes no longer open with the old key. Backups made before, copies forwarded to an entity's system and what you downloaded still do; destroy the old key."
        );
        if !left_out.is_empty() {
            println!(
                "no longer in the keyring, so left out of them: {}",
                left_out.join(", ")
            );
        }
    }
    Ok(())
}

/// An opened envelope's kind, from the format its JSON names; files and anything else are case
/// material (reports, messages, their attachments and copies).
fn kind_of(plain: &[u8]) -> crate::cases::EnvelopeKind {
    #[derive(serde::Deserialize)]
    struct Named {
        format: String,
    }
    serde_json::from_slice::<Named>(&super::folder::trim_padding(plain))
        .ok()
        .and_then(|n| super::conversation::kind_of_format(&n.format))
        .unwrap_or(crate::cases::EnvelopeKind::Report)
}

/// Whether a signed staff member may be a recipient of an envelope of this kind that `me` holds:
/// the people of the same entity for case material, assistance officers for notes, focal
/// points and the case's people for what is shared with a Member State.
fn may_hold(
    kind: crate::cases::EnvelopeKind,
    other: &crate::staff_api::Member,
    me: &crate::staff_api::Member,
) -> bool {
    use crate::cases::EnvelopeKind::*;
    use crate::keyring::Role;
    let same_entity = other.entities.iter().any(|e| me.entities.contains(e));
    let case_role = matches!(other.role, Role::Intake | Role::Investigator);
    let case_people = case_role && same_entity;
    match kind {
        AssistanceNote => other.role == Role::Assistance && same_entity,
        Notification | NationalAction if me.role == Role::MemberState => {
            case_role || (other.role == Role::MemberState && other.member_state == me.member_state)
        }
        Notification | NationalAction => other.role == Role::MemberState || case_people,
        _ => case_people,
    }
}

/// An identity file's X25519 identity.
fn x25519_identity(
    path: &Path,
    ask: impl FnOnce() -> Result<SecretString>,
) -> Result<age::x25519::Identity> {
    let contents =
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let plain = crate::keys::unprotect(contents, ask)?;
    let text = std::str::from_utf8(&plain).context("the identity file is not text")?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .with_context(|| format!("{} holds no age X25519 identity", path.display()))?;
    line.parse()
        .map_err(|_| anyhow::anyhow!("{} holds a damaged identity", path.display()))
}
