//! The unlocked desk: the member's TLS key and age identity, opened with their passphrase, the
//! client that talks to the gateway, and the inbox built from the opened envelopes. All of it
//! lives in one value that lock drops: afterwards nothing of it is in the desk's memory
//! (identities and opened text are wiped where their types allow; see SECURITY.md) and the
//! passphrase is asked again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{Context, Result};
use secrecy::SecretString;
use zeroize::Zeroizing;

use super::inbox::{Content, Inbox, Report};
use super::vault::{DeskState, Vault};
use crate::cases::EnvelopeKind;
use crate::cli::staff_client::{Client, Connection};
use crate::staff_api::{EnvelopeMeta, Member, SyncAnswer};

pub type Identities = Vec<Box<dyn age::Identity + Send + Sync>>;

/// Downloads of a sync that run at once.
const PARALLEL_DOWNLOADS: usize = 4;

pub struct Unlocked {
    pub client: Client,
    pub identities: Identities,
    /// The member as the organisation's signed keyring has them (from the last online unlock).
    pub me: Option<Member>,
    pub state: DeskState,
    pub inbox: Inbox,
    /// Why the last sync failed, if it did: the desk then shows what it holds.
    pub offline: Option<String>,
    /// Every envelope opened so far, by id: a sync opens only what it fetched.
    opened: BTreeMap<String, (Content, bool)>,
    /// The SHA-256 of what each opened envelope holds: a copy made on assignment of something
    /// the member holds already (intake keeps the originals) is not shown twice.
    digests: BTreeMap<String, [u8; 32]>,
    /// What the inbox shows: kept here, not in the page's address (the browser's history
    /// would keep a search for words of a report on disk).
    pub filter: super::inbox::Filter,
}

/// What the desk needs to unlock: the profile's files.
pub struct Keys {
    pub connection: Connection,
    pub identity: PathBuf,
}

impl Unlocked {
    /// Opens the TLS key and the identity with `passphrase`, then syncs (or, when the gateway
    /// cannot be reached, opens what the desk holds).
    pub async fn open(keys: &Keys, vault: &Vault, passphrase: SecretString) -> Result<Unlocked> {
        let pass = || Ok(passphrase.clone());
        let identities = crate::keys::read_identities(&keys.identity, pass)?;
        let client = Client::new(&keys.connection, pass)?;
        let state = vault.state(&identities)?;
        let mut unlocked = Unlocked {
            client,
            identities,
            me: None,
            inbox: Inbox { cases: Vec::new() },
            state,
            offline: None,
            opened: BTreeMap::new(),
            digests: BTreeMap::new(),
            filter: super::inbox::Filter::default(),
        };
        match unlocked.client.me().await {
            Ok(me) => {
                let recipient: age::x25519::Recipient = me
                    .recipient
                    .parse()
                    .map_err(|_| anyhow::anyhow!("your recipient in the keyring is not valid"))?;
                vault.keep_recipient(&recipient)?;
                unlocked.me = Some(me);
                unlocked.sync(vault).await?;
            }
            Err(e) => {
                unlocked.offline = Some(format!("{e:#}"));
                unlocked.rebuild(vault)?;
            }
        }
        Ok(unlocked)
    }

    /// Brings the sealed copy up to date: one listing, then only the envelopes not held yet
    /// (or held with another size: replaced in a key rotation) are downloaded. A failure
    /// leaves the desk showing what it holds.
    pub async fn sync(&mut self, vault: &Vault) -> Result<SyncReport> {
        match self.fetch(vault).await {
            Ok(report) => {
                self.offline = None;
                self.rebuild(vault)?;
                Ok(report)
            }
            Err(e) => {
                self.offline = Some(format!("{e:#}"));
                self.rebuild(vault)?;
                Err(e)
            }
        }
    }

    async fn fetch(&mut self, vault: &Vault) -> Result<SyncReport> {
        let answer: SyncAnswer = self.client.json("/api/v1/staff/sync").await?;
        for envelope in &answer.envelopes {
            if !crate::store::is_valid_id(&envelope.id) {
                anyhow::bail!("the gateway listed an envelope with an invalid id; stopping");
            }
        }
        let mut missing = Vec::new();
        for envelope in &answer.envelopes {
            if vault.envelope_size(&envelope.id)? != Some(envelope.size) {
                missing.push(envelope.id.clone());
            }
        }
        let fetched = missing.len();
        let client = &self.client;
        let mut downloads = futures_util::stream::iter(missing.into_iter().map(|id| async move {
            let body = client.bytes(&format!("/api/v1/staff/envelopes/{id}")).await;
            (id, body)
        }))
        .buffer_unordered(PARALLEL_DOWNLOADS);
        use futures_util::StreamExt;
        while let Some((id, body)) = downloads.next().await {
            vault.keep_envelope(&id, &body?)?;
            // Replaced (a key rotation keeps the id): opened again.
            self.opened.remove(&id);
        }
        drop(downloads);
        let listed: BTreeSet<&str> = answer.envelopes.iter().map(|e| e.id.as_str()).collect();
        let forgotten = vault.forget_all_but(&listed)?;
        let report = SyncReport {
            cases: answer.cases.len(),
            envelopes: answer.envelopes.len(),
            fetched,
            forgotten,
        };
        self.state.synced = Some(answer);
        self.state.synced_at = Some(now());
        self.keep(vault)?;
        Ok(report)
    }

    /// Writes the desk's state, sealed to the member.
    pub fn keep(&self, vault: &Vault) -> Result<()> {
        let me = vault
            .recipient()?
            .context("the desk has not met the gateway yet: connect once to sync")?;
        vault.keep_state(&self.state, &me)
    }

    /// Opens every kept envelope and builds the inbox in memory.
    pub fn rebuild(&mut self, vault: &Vault) -> Result<()> {
        let Some(synced) = &self.state.synced else {
            self.inbox = Inbox { cases: Vec::new() };
            return Ok(());
        };
        let listed: BTreeSet<&str> = synced.envelopes.iter().map(|e| e.id.as_str()).collect();
        self.opened.retain(|id, _| listed.contains(id.as_str()));
        self.digests.retain(|id, _| listed.contains(id.as_str()));
        for meta in &synced.envelopes {
            if self.opened.contains_key(&meta.id) {
                continue;
            }
            let Some(sealed) = vault.envelope(&meta.id)? else {
                continue;
            };
            let content = match crate::cli::open_envelope(&sealed, &self.identities) {
                Ok(Some(plain)) => {
                    let digest = ring::digest::digest(&ring::digest::SHA256, &plain);
                    let mut bytes = [0u8; 32];
                    bytes.copy_from_slice(digest.as_ref());
                    self.digests.insert(meta.id.clone(), bytes);
                    read(meta, &plain, &self.identities)
                }
                _ => Content::Closed,
            };
            self.opened.insert(
                meta.id.clone(),
                (content, meta.kind == EnvelopeKind::Assignment),
            );
        }
        let opened = &self.opened;
        // What the member wrote is not news to them.
        if let Some(me) = &self.me {
            for (id, (content, copy)) in opened {
                if let Content::Staff {
                    author: Some(author),
                    ..
                } = content
                    && !copy
                    && *author == me.name
                {
                    self.state.seen.insert(id.clone());
                }
            }
        }
        let originals: BTreeSet<&[u8; 32]> = synced
            .envelopes
            .iter()
            .filter(|e| e.kind != EnvelopeKind::Assignment)
            .filter_map(|e| self.digests.get(&e.id))
            .collect();
        let shown = SyncAnswer {
            envelopes: synced
                .envelopes
                .iter()
                .filter(|e| {
                    e.kind != EnvelopeKind::Assignment
                        || self
                            .digests
                            .get(&e.id)
                            .is_none_or(|d| !originals.contains(d))
                })
                .cloned()
                .collect(),
            ..synced.clone()
        };
        self.inbox = Inbox::build(&shown, opened.clone(), &self.state.seen);
        Ok(())
    }

    /// Opens one kept envelope (a file to show or export).
    pub fn open_kept(&self, vault: &Vault, id: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match vault.envelope(id)? {
            Some(sealed) => crate::cli::open_envelope(&sealed, &self.identities),
            None => Ok(None),
        }
    }
}

/// What a sync did, for the page that follows it.
#[derive(Clone, Copy, Debug, Default)]
pub struct SyncReport {
    pub cases: usize,
    pub envelopes: usize,
    pub fetched: usize,
    pub forgotten: usize,
}

/// What an opened envelope is. The kind the gateway stored it under decides who wrote it: a
/// reporter's message is the reporter's whatever it says, and only the staff routes' kinds are
/// read as staff documents.
fn read(meta: &EnvelopeMeta, plain: &[u8], identities: &Identities) -> Content {
    if let Some((file, _)) = crate::seal::parse_attachment(plain) {
        return Content::File {
            name: Zeroizing::new(file.name),
            media_type: file.media_type,
            size: file.size,
        };
    }
    let trimmed = crate::cli::trim_padding(plain);
    #[derive(serde::Deserialize)]
    struct Format {
        #[serde(default)]
        format: String,
        #[serde(default)]
        text: String,
    }
    let Ok(head) = serde_json::from_slice::<Format>(&trimmed) else {
        return Content::Closed;
    };
    let reporter_kind = matches!(meta.kind, EnvelopeKind::Report | EnvelopeKind::Message);
    if head.format.starts_with("confide-report/")
        && (reporter_kind || meta.kind == EnvelopeKind::Assignment)
    {
        return match serde_json::from_slice::<Report>(&trimmed) {
            Ok(report) => Content::Report(Box::new(report)),
            Err(_) => Content::Closed,
        };
    }
    if reporter_kind || meta.kind == EnvelopeKind::Assignment {
        if let Some(staff) = crate::cli::conversation::kind_of_format(&head.format)
            && meta.kind == EnvelopeKind::Assignment
            && let Some(read) = crate::cli::conversation::read(plain, identities)
        {
            // A copy of a staff document: shown as a copy, never as written by its "author".
            let _ = staff;
            return Content::Staff {
                author: None,
                at: None,
                seq: None,
                answers: None,
                text: Zeroizing::new(read.document.text),
            };
        }
        return Content::Message(Zeroizing::new(head.text));
    }
    match crate::cli::conversation::read(plain, identities) {
        Some(read) => Content::Staff {
            author: read.author,
            at: read.document.at,
            seq: read.document.seq,
            answers: read.document.answers,
            text: Zeroizing::new(read.document.text),
        },
        None => Content::Closed,
    }
}

/// The current time as the desk's state keeps it.
fn now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
