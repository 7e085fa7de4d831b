//! The staff client: talks to the staff listener with the staff member's client certificate and
//! opens and seals envelopes locally with their age identity. Plaintext exists only on this
//! machine. The server is not trusted with anything it could misuse: ids and kinds it sends are
//! checked before they name a file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, Subcommand};
use serde_json::json;
use zeroize::Zeroizing;

use super::conversation;
use super::folder::{CaseFolder, Written};
use super::output::human;
use super::resolve;
use super::staff_client::Client;
use crate::cases::EnvelopeKind;
use crate::keyring::Role;
use crate::seal;
use crate::staff_api::{
    AssignRequest, Assigned, CaseListing, CaseRecord, Created, EnvelopeMeta, EnvelopeRequest,
    Member, OverdueRow, Status, StatusChanged, StatusRequest, Uploaded,
};
use crate::store::is_valid_id;

#[derive(Args)]
pub struct StaffArgs {
    #[command(flatten)]
    pub connection: super::staff_client::Connection,
    /// Your profile (`confide staff init` writes it): server, CA, organisation key, your
    /// certificate, key and identity, and the folder to pull into. Default:
    /// ~/.config/confide/staff.toml, if it exists. A flag wins over the profile.
    #[arg(long, global = true, env = "CONFIDE_STAFF_PROFILE")]
    profile: Option<PathBuf>,
    /// Your age identity file, to open and re-seal envelopes.
    #[arg(long, global = true, env = "CONFIDE_STAFF_IDENTITY")]
    identity: Option<PathBuf>,
    /// The passphrase of a protected identity file, in the first line of this file (without
    /// it, the passphrase is asked at the terminal).
    #[arg(long, global = true, env = "CONFIDE_PASSPHRASE_FILE")]
    passphrase_file: Option<PathBuf>,
    /// Print results as one JSON document, for scripts (messages go to standard error).
    #[arg(long, global = true)]
    json: bool,
    /// Show progress on standard error for large downloads and uploads: auto (when it is a
    /// terminal), always or never.
    #[arg(long, global = true, default_value = "auto", value_parser = ["auto", "always", "never"])]
    progress: String,
    #[command(subcommand)]
    command: StaffCommand,
    /// The profile's folder, for commands given no --out.
    #[arg(skip)]
    folder: Option<PathBuf>,
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Write your profile from the folder your administrator handed over (cert.pem, key.pem,
    /// identity.txt, and ca.pem unless --ca is given), with --server and --organisation-key,
    /// and check it against the gateway: afterwards no command needs those flags.
    Init {
        /// The folder your administrator handed over.
        #[arg(long)]
        from: PathBuf,
        /// The folder to pull cases into when a command is given no --out.
        #[arg(long)]
        folder: Option<PathBuf>,
        /// Replace an existing profile.
        #[arg(long)]
        force: bool,
        /// Write the profile without checking it against the gateway.
        #[arg(long)]
        offline: bool,
    },
    /// List the cases you may see, the most recently active first.
    Cases {
        /// The folder you pull into: cases with envelopes not yet pulled there are marked NEW.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Everything you may see of one case: status and what may come next, deadlines,
    /// assignees, classification, the timeline (who wrote what when), notifications and
    /// consents; for assistance officers, its consents, referrals and notes.
    Case {
        /// The case: its id, or its first 6 or more digits, as `cases` lists it.
        case: String,
        /// The folder you pull into: the timeline marks what is not pulled yet.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Download a case's envelopes and open those sealed to you into a folder. Pulling again
    /// writes only what is new and leaves what is there.
    Pull {
        /// The case id, as `cases` lists it.
        #[arg(required_unless_present = "new")]
        case: Option<String>,
        /// Pull every case of yours with something not yet in the folder, instead of one.
        #[arg(long, conflicts_with = "case")]
        new: bool,
        /// Folder to write into (default: your profile's); a sub-folder named after each case
        /// is made.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Assign a case to investigators of its entity (intake officers): its envelopes are opened
    /// here and re-sealed to them and to the entity's intake officers.
    Assign {
        /// The case: its id, or its first 6 or more digits, as `cases` lists it.
        case: String,
        /// Keyring names of the investigators, comma-separated.
        #[arg(long, value_delimiter = ',', required_unless_present = "nobody")]
        to: Vec<String>,
        /// Remove every assignee instead.
        #[arg(long, conflicts_with = "to")]
        nobody: bool,
    },
    /// Reply to the reporter: sealed to their reply key and to the case's staff.
    Reply {
        /// The case: its id, or its first 6 or more digits, as `cases` lists it.
        case: String,
        /// The reply text.
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        message: Option<String>,
        /// Read the reply text from a file.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// A note for the case's staff only (its intake officers and assignees), never the
    /// reporter: copied to new assignees with the rest of the case.
    InternalNote {
        /// The case: its id, or its first 6 or more digits, as `cases` lists it.
        case: String,
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        message: Option<String>,
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Change a case's status (received, acknowledged, preliminary_assessment,
    /// under_investigation, referred_to_member_state, substantiated, not_substantiated, closed).
    Status {
        /// The case: its id, or its first 6 or more digits, as `cases` lists it.
        case: String,
        #[arg(value_parser = crate::codes::parse::<Status>)]
        status: Status,
    },
    /// Deadlines that are late or due soon, per entity.
    Overdue,
    /// Export the audit chain (auditors) as JSON lines, checking it on the way.
    Audit {
        #[arg(long)]
        out: PathBuf,
    },
    #[command(flatten)]
    Casework(super::casework::CaseworkCommand),
}

/// Re-sealed copies larger than this are streamed to the server before the assignment.
pub(super) const INLINE_COPY_BYTES: usize = 1 << 20;

pub async fn run(mut args: StaffArgs) -> Result<()> {
    crate::tls::install_crypto_provider();
    super::output::set_json(args.json);
    if let StaffCommand::Init {
        from,
        folder,
        force,
        offline,
    } = &args.command
    {
        return init(&args, from, folder.as_deref(), *force, *offline).await;
    }
    let named = args.profile.is_some();
    if let Some(path) = args.profile.clone().or_else(super::profile::default_path)
        && let Some(profile) = super::profile::Profile::load(&path, named)?
    {
        args.connection.fill_from(&profile);
        if args.identity.is_none() {
            args.identity.clone_from(&profile.identity);
        }
        args.folder = profile.folder;
    }
    let progress = match args.progress.as_str() {
        "always" => true,
        "never" => false,
        _ => !args.json && std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let unlock = unlock(args.passphrase_file.clone());
    let client = Client::new(&args.connection, || unlock.get())?.with_progress(progress);
    command(&args, &client, &unlock).await?;
    super::output::finish(client.last_answer())
}

/// Writes the profile, then (unless `offline`) checks it: the gateway answers, the keyring is
/// signed by the pinned key, and this certificate is in it.
async fn init(
    args: &StaffArgs,
    from: &Path,
    folder: Option<&Path>,
    force: bool,
    offline: bool,
) -> Result<()> {
    let path = args
        .profile
        .clone()
        .or_else(super::profile::default_path)
        .context("no place for the profile: pass --profile FILE")?;
    let connection = &args.connection;
    let profile = super::profile::Profile::from_handover(
        from,
        connection
            .server()
            .context("give --server URL, the staff listener your administrator named")?,
        connection.organisation_key().context(
            "give --organisation-key KEY, the key your organisation published (ask your administrator)",
        )?,
        connection.ca(),
        folder,
    )?;
    if !offline {
        let mut checked = super::staff_client::Connection::default();
        checked.fill_from(&profile);
        let unlock = unlock(args.passphrase_file.clone());
        let client = Client::new(&checked, || unlock.get())?;
        let me = client.me().await.context(
            "the profile was not written: the gateway could not confirm it (or pass --offline to write it anyway)",
        )?;
        if let Some(identity) = &profile.identity {
            crate::keys::read_identities(identity, || unlock.get())
                .context("the profile was not written: your identity cannot be opened")?;
        }
        human!(
            "the gateway knows you as {} ({}{})",
            me.name,
            me.role.code(),
            if me.entities.is_empty() {
                String::new()
            } else {
                format!(", {}", me.entities.join(", "))
            }
        );
    }
    profile.write(&path, force)?;
    human!(
        "profile written to {}: try `confide staff cases`",
        path.display()
    );
    super::output::emit(json!({ "profile": path.display().to_string() }));
    super::output::finish(None)
}

/// The one passphrase of a command: the TLS key and the identity share it (`keys staff
/// --protect` protects both with it).
type Unlock = crate::keys::PassphraseOnce<Box<dyn Fn() -> Result<secrecy::SecretString>>>;

fn unlock(file: Option<PathBuf>) -> Unlock {
    crate::keys::PassphraseOnce::new(Box::new(move || {
        super::keys::ask_passphrase(file.as_deref())
    }))
}

async fn command(args: &StaffArgs, client: &Client, unlock: &Unlock) -> Result<()> {
    let identities = || identities(args, unlock);
    // The folder of `--out`, else the profile's.
    let folder = |out: &Option<PathBuf>| out.clone().or_else(|| args.folder.clone());
    let out_folder = |out: &Option<PathBuf>| {
        folder(out).context(
            "give --out DIR, or name a folder in your profile (`confide staff init --folder DIR`)",
        )
    };
    match &args.command {
        StaffCommand::Init { .. } => bail!("`init` writes the profile before any other command"),
        StaffCommand::Cases { out } => list_cases(client, folder(out).as_deref()).await,
        StaffCommand::Case { case, out } => {
            let case = resolve::case(client, case).await?;
            super::case_view::show(client, &case, folder(out).as_deref(), identities).await
        }
        StaffCommand::Pull { case, new, out } => match case {
            Some(case) if !new => pull(
                client,
                &resolve::case(client, case).await?,
                &out_folder(out)?,
                &identities()?,
            )
            .await
            .map(drop),
            _ => pull_new(client, &out_folder(out)?, &identities()?).await,
        },
        StaffCommand::Assign { case, to, nobody } => {
            let to = if *nobody { Vec::new() } else { to.clone() };
            assign(
                client,
                &resolve::case(client, case).await?,
                &to,
                &identities()?,
            )
            .await
        }
        StaffCommand::Reply {
            case,
            message,
            file,
        } => {
            let text = text_of(message, file, "reply")?;
            reply(client, &resolve::case(client, case).await?, &text).await
        }
        StaffCommand::InternalNote {
            case,
            message,
            file,
        } => {
            let text = text_of(message, file, "note")?;
            internal_note(client, &resolve::case(client, case).await?, &text).await
        }
        StaffCommand::Status { case, status } => {
            let answer: StatusChanged = client
                .post(
                    &format!(
                        "/api/v1/staff/cases/{}/status",
                        resolve::case(client, case).await?
                    ),
                    &StatusRequest { status: *status },
                )
                .await?;
            human!("case {case} is now {}", answer.status.code());
            Ok(())
        }
        StaffCommand::Overdue => overdue(client).await,
        StaffCommand::Audit { out } => export_audit(client, out).await,
        StaffCommand::Casework(command) => {
            super::casework::run(client, command, args.folder.clone(), identities).await
        }
    }
}

/// The text of a reply or note, from `--message` or `--file`.
fn text_of(
    message: &Option<String>,
    file: &Option<PathBuf>,
    what: &str,
) -> Result<Zeroizing<String>> {
    match (message, file) {
        (Some(text), _) => Ok(Zeroizing::new(text.clone())),
        (None, Some(path)) => Ok(Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        )),
        (None, None) => bail!("give the {what} with --message TEXT or --file FILE"),
    }
}

/// An id of a notification, referral or envelope, checked before it names a path.
pub(super) fn checked_id<'a>(id: &'a str, what: &str) -> Result<&'a str> {
    if is_valid_id(id) {
        Ok(id)
    } else {
        bail!("{id:?} is not a {what} id (32 hex digits)")
    }
}

pub(super) fn checked_case(case: &str) -> Result<&str> {
    if is_valid_id(case) {
        Ok(case)
    } else {
        bail!("{case:?} is not a case id: copy one from `confide staff cases` (32 hex digits)")
    }
}

fn identities(
    args: &StaffArgs,
    unlock: &Unlock,
) -> Result<Vec<Box<dyn age::Identity + Send + Sync>>> {
    let path = args
        .identity
        .as_ref()
        .context("this command needs --identity FILE, your age identity, to open envelopes")?;
    crate::keys::read_identities(path, || unlock.get())
}

async fn list_cases(client: &Client, out: Option<&Path>) -> Result<()> {
    let mut cases: Vec<CaseListing> = client.json("/api/v1/staff/cases").await?;
    if cases.is_empty() {
        human!("no cases for you");
        return Ok(());
    }
    // The most recently active first; the oldest report first among equals.
    cases.sort_by(|a, b| {
        (b.last_activity_on, a.case.received_on, &a.case.id).cmp(&(
            a.last_activity_on,
            b.case.received_on,
            &b.case.id,
        ))
    });
    // NEW (something not yet pulled) only when the pull folder is named.
    let new_column = |text: &str| match out {
        Some(_) => format!("{text:<3}  "),
        None => String::new(),
    };
    human!(
        "{:<8}  {:<10}  {:<10}  {:<10}  {:<24}  {:>4}  {:>5}  {}ASSIGNED",
        "CASE",
        "RECEIVED",
        "ACTIVE",
        "ENTITY",
        "STATUS",
        "MSGS",
        "FILES",
        new_column("NEW")
    );
    for c in &cases {
        checked_case(&c.case.id)?;
        let new = out.map(|out| pulled_count(&out.join(&c.case.id)) < c.envelopes);
        let assigned = if c.case.assignees.is_empty() {
            "-".to_string()
        } else {
            c.case.assignees.join(",")
        };
        human!(
            "{:<8}  {}  {}  {:<10}  {:<24}  {:>4}  {:>5}  {}{}",
            short(&c.case.id),
            crate::store::day_format::to_text(c.case.received_on),
            crate::store::day_format::to_text(c.last_activity_on),
            c.case.entity,
            c.case.status.code(),
            c.messages,
            c.files,
            new_column(if new == Some(true) { "NEW" } else { "-" }),
            assigned
        );
    }
    Ok(())
}

/// How many envelopes an earlier pull kept in a case's folder: files named exactly
/// `KIND-ID.age` (a reporter's file named `x.age` is written as `attachment-ID-x.age`, which
/// does not count).
pub(super) fn pulled_count(folder: &Path) -> usize {
    let kept = |name: &str| {
        name.strip_suffix(".age")
            .and_then(|stem| stem.rsplit_once('-'))
            .is_some_and(|(kind, id)| EnvelopeKind::from_code(kind).is_some() && is_valid_id(id))
    };
    std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| kept(&e.file_name().to_string_lossy()))
                .count()
        })
        .unwrap_or(0)
}

/// Opens an envelope with any of the identities; `None` if it is not sealed to them.
pub(crate) fn open(
    body: &[u8],
    identities: &[Box<dyn age::Identity + Send + Sync>],
) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let decryptor =
        age::Decryptor::new(body).context("the server sent an envelope that is not an age file")?;
    let mut reader =
        match decryptor.decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity)) {
            Ok(reader) => reader,
            Err(age::DecryptError::NoMatchingKeys) => return Ok(None),
            Err(e) => bail!("an envelope could not be opened: {e}"),
        };
    // Sized once, so that no reallocation leaves an unwiped copy of the plaintext behind.
    let mut plain = Zeroizing::new(Vec::with_capacity(body.len()));
    std::io::Read::read_to_end(&mut reader, &mut plain).context("an envelope is damaged")?;
    Ok(Some(plain))
}

async fn envelopes(client: &Client, case: &str) -> Result<Vec<(EnvelopeKind, String)>> {
    let rows: Vec<EnvelopeMeta> = client
        .json(&format!("/api/v1/staff/cases/{case}/envelopes"))
        .await?;
    // The id names a file: checked here, whatever the server sent (the kind is typed).
    rows.into_iter()
        .map(|row| match is_valid_id(&row.id) {
            true => Ok((row.kind, row.id)),
            false => bail!("the server listed an envelope with an invalid id; stopping"),
        })
        .collect()
}

/// Pulls a case into `out/CASE`: what is new is downloaded and written, what an earlier pull
/// wrote is left as it is (see `folder`). Returns how many envelopes were new.
async fn pull(
    client: &Client,
    case: &str,
    out: &Path,
    identities: &[Box<dyn age::Identity + Send + Sync>],
) -> Result<usize> {
    let listed = envelopes(client, case).await?;
    let folder = CaseFolder::of_case(out, case)?;
    let (mut new, mut sealed_only) = (0, 0);
    let mut files = Vec::new();
    for (kind, id) in &listed {
        let stem = CaseFolder::stem(Some(*kind), id);
        let body = match folder.sealed(&stem)? {
            Some(body) => body,
            None => {
                let body = client
                    .bytes(&format!("/api/v1/staff/envelopes/{id}"))
                    .await?;
                folder.keep_sealed(&stem, &body)?;
                new += 1;
                body
            }
        };
        let Some(plain) = open(&body, identities)? else {
            sealed_only += 1;
            continue;
        };
        let (name, written) = folder.write_opened(&stem, &plain)?;
        files.push(json!({
            "envelope": id,
            "kind": kind.code(),
            "file": name,
            "new": written == Written::New,
        }));
    }
    let there = listed.len() - new;
    human!(
        "case {case}: {new} new envelope(s), {there} already in {}{}",
        folder.path().display(),
        if sealed_only > 0 {
            format!("; {sealed_only} not sealed to your key, kept sealed")
        } else {
            String::new()
        }
    );
    super::output::emit(json!({
        "case": case,
        "folder": folder.path().display().to_string(),
        "envelopes": listed.len(),
        "new": new,
        "opened": files,
    }));
    Ok(new)
}

/// Pulls every case of yours with an envelope not yet in `out`: the ones a new message, file or
/// reply came to since the last pull.
async fn pull_new(
    client: &Client,
    out: &Path,
    identities: &[Box<dyn age::Identity + Send + Sync>],
) -> Result<()> {
    let cases: Vec<CaseListing> = client.json("/api/v1/staff/cases").await?;
    let mut pulled = 0;
    for case in &cases {
        let id = checked_case(&case.case.id)?;
        let folder = out.join(id);
        let listed = envelopes(client, id).await?;
        let missing = listed.iter().any(|(kind, envelope)| {
            !folder
                .join(format!("{}.age", CaseFolder::stem(Some(*kind), envelope)))
                .exists()
        });
        if missing {
            pull(client, id, out, identities).await?;
            pulled += 1;
        }
    }
    if pulled == 0 {
        human!("nothing new in your {} case(s)", cases.len());
    }
    Ok(())
}

pub(crate) async fn assign(
    client: &Client,
    case: &str,
    to: &[String],
    identities: &[Box<dyn age::Identity + Send + Sync>],
) -> Result<()> {
    let record: CaseRecord = client.json(&format!("/api/v1/staff/cases/{case}")).await?;
    let staff = keyring_staff(client).await?;
    let mut recipients = Vec::new();
    for name in to {
        let member = staff
            .iter()
            .find(|s| {
                &s.name == name
                    && s.role == Role::Investigator
                    && s.entities.contains(&record.entity)
            })
            .with_context(|| {
                format!(
                    "{name:?} is not an investigator of {} in the keyring",
                    record.entity
                )
            })?;
        recipients.push(parse_recipient(&member.recipient)?);
    }
    for member in staff
        .iter()
        .filter(|s| s.role == Role::Intake && s.entities.contains(&record.entity))
    {
        recipients.push(parse_recipient(&member.recipient)?);
    }
    // Small copies travel inline in the assignment; larger ones (files) are streamed first.
    let (mut copies, mut uploads) = (Vec::new(), Vec::new());
    if !to.is_empty() {
        for (kind, id) in envelopes(client, case).await? {
            // Earlier copies are replaced, not copied again; everything else the case holds
            // (report, files, the reporter's messages, replies already sent, what was shared
            // with Member States) goes to the assignees, so that a new assignee reads the whole
            // exchange. Notes on assistance are for assistance officers only: never copied.
            if matches!(
                kind,
                EnvelopeKind::Assignment | EnvelopeKind::AssistanceNote
            ) {
                continue;
            }
            let body = client
                .bytes(&format!("/api/v1/staff/envelopes/{id}"))
                .await?;
            let plain = open(&body, identities)?.with_context(|| {
                format!("envelope {id} is not sealed to your key; only an intake officer of the case can assign it")
            })?;
            let sealed = seal::seal(plain, &recipients)?;
            if sealed.len() > INLINE_COPY_BYTES {
                let answer: Uploaded = client.post_bytes("/api/v1/staff/uploads", sealed).await?;
                uploads.push(answer.upload);
            } else {
                copies.push(STANDARD.encode(sealed));
            }
        }
    }
    let answer: Assigned = client
        .post(
            &format!("/api/v1/staff/cases/{case}/assignment"),
            &AssignRequest {
                assignees: to.to_vec(),
                copies,
                uploads,
            },
        )
        .await?;
    if to.is_empty() {
        human!("case {case} is no longer assigned to anyone");
    } else {
        human!(
            "case {case} assigned to {}; {} envelope(s) re-sealed",
            answer.assignees.join(", "),
            answer.copies
        );
    }
    Ok(())
}

/// The reporter's reply key and the case's staff (intake of its entity and its assignees, as
/// the signed keyring has them): who a reply is sealed to.
async fn case_staff_keys(
    client: &Client,
    record: &CaseRecord,
) -> Result<Vec<age::x25519::Recipient>> {
    let staff = keyring_staff(client).await?;
    staff
        .iter()
        .filter(|s| {
            s.entities.contains(&record.entity)
                && (s.role == Role::Intake
                    || (s.role == Role::Investigator && record.assignees.contains(&s.name)))
        })
        .map(|s| parse_recipient(&s.recipient))
        .collect()
}

pub(crate) async fn reply(client: &Client, case: &str, text: &str) -> Result<()> {
    if text.trim().is_empty() {
        bail!("the reply is empty");
    }
    let record: CaseRecord = client.json(&format!("/api/v1/staff/cases/{case}")).await?;
    let staff = case_staff_keys(client, &record).await?;
    let by = conversation::authoring(client, Some(case)).await?;
    let document = conversation::compose(
        conversation::format_of(EnvelopeKind::Reply)?,
        text,
        &by,
        Some(&staff),
    )?;
    let mut recipients = vec![parse_recipient(&record.reply_recipient)?];
    recipients.extend(staff);
    let sealed = seal::seal(document, &recipients)?;
    let answer: Created = client
        .post(
            &format!("/api/v1/staff/cases/{case}/replies"),
            &EnvelopeRequest {
                envelope: STANDARD.encode(sealed),
            },
        )
        .await?;
    human!(
        "reply {} sealed to the reporter and {} staff member(s), and sent",
        short(&answer.id),
        recipients.len() - 1
    );
    Ok(())
}

/// A note for the case's staff only: sealed to them, never to the reporter.
pub(crate) async fn internal_note(client: &Client, case: &str, text: &str) -> Result<()> {
    if text.trim().is_empty() {
        bail!("the note is empty");
    }
    let record: CaseRecord = client.json(&format!("/api/v1/staff/cases/{case}")).await?;
    let staff = case_staff_keys(client, &record).await?;
    let by = conversation::authoring(client, Some(case)).await?;
    let document = conversation::compose(
        conversation::format_of(EnvelopeKind::InternalNote)?,
        text,
        &by,
        None,
    )?;
    let sealed = seal::seal(document, &staff)?;
    let answer: Created = client
        .post(
            &format!("/api/v1/staff/cases/{case}/internal-notes"),
            &EnvelopeRequest {
                envelope: STANDARD.encode(sealed),
            },
        )
        .await?;
    human!(
        "internal note {} sealed to the case's {} staff member(s) (not the reporter), and sent",
        short(&answer.id),
        staff.len()
    );
    Ok(())
}

/// The first eight digits of an id: enough to name it again (any unique prefix does).
pub(crate) fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

async fn overdue(client: &Client) -> Result<()> {
    let rows: Vec<OverdueRow> = client.json("/api/v1/staff/overdue").await?;
    if rows.is_empty() {
        human!("nothing late or due soon");
    }
    let mut entity = String::new();
    for row in rows {
        if row.entity != entity {
            entity = row.entity.clone();
            human!("{entity}:");
        }
        let state = if row.due.overdue { "LATE" } else { "due soon" };
        let deadline = match &row.member_state {
            Some(member_state) => format!("{} ({member_state})", row.due.deadline.code()),
            None => row.due.deadline.code().to_string(),
        };
        human!(
            "  {}  {:<20}  {}  {:<8}  ({})",
            row.case_id,
            deadline,
            crate::store::day_format::to_text(row.due.due_on),
            state,
            row.status.code()
        );
    }
    Ok(())
}

async fn export_audit(client: &Client, out: &Path) -> Result<()> {
    let records: Vec<crate::audit::AuditRecord> = client.json("/api/v1/staff/audit").await?;
    let count = crate::audit::verify(records.clone())
        .context("the exported audit chain does not verify")?;
    let mut text = String::new();
    for record in &records {
        text.push_str(&serde_json::to_string(record)?);
        text.push('\n');
    }
    // An export is evidence: never written over another.
    write_private(out, text.as_bytes())?;
    super::output::emit(json!({ "records": count, "out": out.display().to_string() }));
    human!(
        "{count} audit records written to {}; the chain verifies",
        out.display()
    );
    Ok(())
}

async fn keyring_staff(client: &Client) -> Result<Vec<Member>> {
    client.trusted_staff().await
}

pub(super) fn parse_recipient(text: &str) -> Result<age::x25519::Recipient> {
    text.parse()
        .map_err(|_| anyhow::anyhow!("the server sent an invalid age recipient"))
}

/// Writes an opened envelope readable by its owner only, never over an existing file.
pub(super) fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {} (does it exist already?)", path.display()))?;
    std::io::Write::write_all(&mut file, contents)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_kept_envelopes_count_as_pulled_not_a_reporters_file_named_like_one() {
        let dir = tempfile::tempdir().unwrap();
        let id = "ab".repeat(16);
        for name in [
            format!("report-{id}.age"),
            format!("internal_note-{id}.age"),
            format!("attachment-{id}-photo.age"),
            format!("report-{id}.json"),
            "notes.age".to_string(),
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        assert_eq!(super::pulled_count(dir.path()), 2);
    }
}
