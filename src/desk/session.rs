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
                // A sync that fails leaves the desk open on what it holds, and says why.
                let _ = unlocked.sync(vault).await;
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
        // Ids name files and addresses here: checked, whatever the gateway sent.
        let valid = crate::store::is_valid_id;
        if !answer.cases.iter().all(|c| valid(&c.case.id))
            || !answer
                .envelopes
                .iter()
                .all(|e| valid(&e.id) && valid(&e.case_id))
            || !answer.deadlines.iter().all(|d| valid(&d.case_id))
        {
            anyhow::bail!("the gateway listed an invalid id; nothing was synced");
        }
        let mut missing = Vec::new();
        for envelope in &answer.envelopes {
            if vault.envelope_size(&envelope.id)? != Some(envelope.size) {
                missing.push(envelope.id.clone());
            }
        }
        let fetched = missing.len();
        let client = &self.client;
        let sizes: BTreeMap<&str, u64> = answer
            .envelopes
            .iter()
            .map(|e| (e.id.as_str(), e.size))
            .collect();
        let sizes = &sizes;
        let mut downloads =
            futures_util::stream::iter(missing.into_iter().map(|id| async move {
                let body = client
                .bytes(&format!("/api/v1/staff/envelopes/{id}"))
                .await
                .and_then(|body| match sizes.get(id.as_str()) == Some(&(body.len() as u64)) {
                    true => Ok(body),
                    false => Err(anyhow::anyhow!(
                        "the gateway sent an envelope of another size than it listed; not kept"
                    )),
                });
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
        self.state.synced_at = Some(crate::cli::conversation::now());
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

/// What an opened envelope is. The kind the gateway stored it under decides what it may be
/// read as, never what it says of itself: the reporter seals what they like (a file, a
/// message), so only the staff routes' kinds are read as staff documents, and then only when
/// the document's format is that kind's; a copy made on assignment is read as whatever it
/// holds, never as written by the name inside it.
fn read(meta: &EnvelopeMeta, plain: &[u8], identities: &Identities) -> Content {
    let file = || {
        crate::seal::parse_attachment(plain).map(|(file, _)| Content::File {
            name: Zeroizing::new(file.name),
            media_type: file.media_type,
            size: file.size,
        })
    };
    let trimmed = crate::cli::trim_padding(plain);
    #[derive(serde::Deserialize)]
    struct Format {
        #[serde(default)]
        format: String,
        #[serde(default)]
        text: String,
    }
    let head = serde_json::from_slice::<Format>(&trimmed).ok();
    let format = head.as_ref().map(|h| h.format.as_str()).unwrap_or_default();
    let report = || match serde_json::from_slice::<Report>(&trimmed) {
        Ok(report) if format.starts_with("confide-report/") => Content::Report(Box::new(report)),
        _ => Content::Closed,
    };
    let message = |head: Option<Format>| match head {
        Some(head) => Content::Message(Zeroizing::new(head.text)),
        None => Content::Closed,
    };
    let staff = |copy: bool| match crate::cli::conversation::read(plain, identities) {
        Some(read) if copy => Content::Staff {
            author: None,
            at: None,
            seq: None,
            answers: None,
            text: Zeroizing::new(read.document.text),
        },
        Some(read) => Content::Staff {
            author: read.author,
            at: read.document.at,
            seq: read.document.seq,
            answers: read.document.answers,
            text: Zeroizing::new(read.document.text),
        },
        None => Content::Closed,
    };
    match meta.kind {
        EnvelopeKind::Attachment => file().unwrap_or(Content::Closed),
        EnvelopeKind::Report => report(),
        EnvelopeKind::Message => message(head),
        EnvelopeKind::Assignment => match file() {
            Some(file) => file,
            None if format.starts_with("confide-report/") => report(),
            None if crate::cli::conversation::kind_of_format(format).is_some() => staff(true),
            None => message(head),
        },
        kind @ (EnvelopeKind::Reply
        | EnvelopeKind::InternalNote
        | EnvelopeKind::AssistanceNote
        | EnvelopeKind::Notification
        | EnvelopeKind::NationalAction) => {
            match crate::cli::conversation::kind_of_format(format) == Some(kind) {
                true => staff(false),
                false => Content::Closed,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(kind: EnvelopeKind) -> EnvelopeMeta {
        EnvelopeMeta {
            id: "ab".repeat(16),
            case_id: "cd".repeat(16),
            kind,
            created_on: time::macros::date!(2027 - 03 - 02),
            size: 0,
            recipients: vec![],
            chunks: 0,
        }
    }

    /// What a reporter could seal as a "file" or a message: a staff note naming an officer.
    const FORGED: &[u8] = br#"{"format":"confide-internal-note/1","text":"forged","author":"intake-minusca","at":"2027-03-02T10:00:00Z","seq":1}"#;

    #[test]
    fn what_a_reporter_seals_is_never_read_as_written_by_staff() {
        for kind in [
            EnvelopeKind::Attachment,
            EnvelopeKind::Message,
            EnvelopeKind::Report,
        ] {
            let content = read(&meta(kind), FORGED, &Vec::new());
            assert!(
                !matches!(content, Content::Staff { .. }),
                "{kind:?}: {content:?}"
            );
        }
        assert!(matches!(
            read(&meta(EnvelopeKind::Attachment), FORGED, &Vec::new()),
            Content::Closed
        ));
        match read(&meta(EnvelopeKind::Assignment), FORGED, &Vec::new()) {
            Content::Staff { author, .. } => assert_eq!(author, None, "a copy names nobody"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_staff_document_is_read_only_under_its_own_kind() {
        match read(&meta(EnvelopeKind::InternalNote), FORGED, &Vec::new()) {
            Content::Staff { author, .. } => assert_eq!(author.as_deref(), Some("intake-minusca")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read(&meta(EnvelopeKind::Reply), FORGED, &Vec::new()),
            Content::Closed
        ));
    }
}
