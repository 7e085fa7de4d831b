//! The desk's folder on the staff member's machine. It holds nothing readable:
//!
//! - `envelopes/ID.age`: each envelope exactly as the gateway served it, still sealed (to this
//!   member and the others it was sealed to); the desk opens them in memory after unlock;
//! - `desk.age`: the desk's own state (what the server last listed, what was seen, stars and
//!   labels), sealed to the member's own key;
//! - `recipient.txt`: the member's public key, so that the state can be sealed again when the
//!   gateway cannot be reached.
//!
//! Every file is written under a temporary name and renamed into place, readable by its owner
//! only, in a folder only its owner may enter.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::staff_api::SyncAnswer;
use crate::store::is_valid_id;

/// What the desk keeps between runs, sealed to the member.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DeskState {
    /// The last sync's answer: the inbox opens from it, and offline.
    pub synced: Option<SyncAnswer>,
    /// When it was made (RFC 3339).
    pub synced_at: Option<String>,
    /// Envelopes the member has seen on a case page.
    pub seen: BTreeSet<String>,
    /// Starred cases.
    pub stars: BTreeSet<String>,
    /// Labels the member gave cases.
    pub labels: BTreeMap<String, Vec<String>>,
}

pub struct Vault {
    root: PathBuf,
}

impl Vault {
    /// The folder, made (owner only) if needed.
    pub fn open(root: &Path) -> Result<Vault> {
        std::fs::create_dir_all(root.join("envelopes"))
            .with_context(|| format!("cannot make the desk's folder {}", root.display()))?;
        #[cfg(unix)]
        for dir in [root.to_path_buf(), root.join("envelopes")] {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot make {} private", dir.display()))?;
        }
        Ok(Vault {
            root: root.to_path_buf(),
        })
    }

    fn envelope_path(&self, id: &str) -> Result<PathBuf> {
        if !is_valid_id(id) {
            bail!("the gateway named an envelope with an invalid id; stopping");
        }
        Ok(self.root.join("envelopes").join(format!("{id}.age")))
    }

    /// A sealed envelope kept by an earlier sync.
    pub fn envelope(&self, id: &str) -> Result<Option<Vec<u8>>> {
        let path = self.envelope_path(id)?;
        match std::fs::read(&path) {
            Ok(body) => Ok(Some(body)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// The size of a kept envelope, without reading it.
    pub fn envelope_size(&self, id: &str) -> Result<Option<u64>> {
        match std::fs::metadata(self.envelope_path(id)?) {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub fn keep_envelope(&self, id: &str, sealed: &[u8]) -> Result<()> {
        if !sealed.starts_with(b"age-encryption.org/v1\n") {
            bail!("the gateway sent an envelope {id} that is not an age file; not kept");
        }
        write_atomically(&self.envelope_path(id)?, sealed)
    }

    /// Removes kept envelopes the gateway no longer lists for this member (replaced in a key
    /// rotation, or of a case they were taken off).
    pub fn forget_all_but(&self, listed: &BTreeSet<&str>) -> Result<usize> {
        let mut removed = 0;
        for entry in std::fs::read_dir(self.root.join("envelopes"))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let kept = name
                .strip_suffix(".age")
                .is_some_and(|id| listed.contains(id));
            if !kept {
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The member's public key, as the last online unlock wrote it.
    pub fn recipient(&self) -> Result<Option<age::x25519::Recipient>> {
        match std::fs::read_to_string(self.root.join("recipient.txt")) {
            Ok(text) => Ok(Some(text.trim().parse().map_err(|_| {
                anyhow::anyhow!("recipient.txt in the desk's folder is not an age recipient")
            })?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub fn keep_recipient(&self, recipient: &age::x25519::Recipient) -> Result<()> {
        write_atomically(
            &self.root.join("recipient.txt"),
            format!("{recipient}\n").as_bytes(),
        )
    }

    /// The desk's state, opened with the member's identities (empty before the first sync).
    pub fn state(&self, identities: &[Box<dyn age::Identity + Send + Sync>]) -> Result<DeskState> {
        let path = self.root.join("desk.age");
        let sealed = match std::fs::read(&path) {
            Ok(sealed) => sealed,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DeskState::default()),
            Err(e) => return Err(e.into()),
        };
        let plain = crate::cli::open_envelope(&sealed, identities)?.context(
            "the desk's state is sealed to another key: move the desk's folder away and sync again",
        )?;
        serde_json::from_slice(&crate::cli::trim_padding(&plain))
            .context("the desk's state is damaged: move the desk's folder away and sync again")
    }

    /// Seals the state to the member and writes it.
    pub fn keep_state(&self, state: &DeskState, me: &age::x25519::Recipient) -> Result<()> {
        let plain = Zeroizing::new(serde_json::to_vec(state)?);
        let sealed = crate::seal::seal(plain, std::slice::from_ref(me))?;
        write_atomically(&self.root.join("desk.age"), &sealed)
    }
}

/// Writes `contents` to a temporary file beside `path` (owner only), then renames it over.
fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().context("a file of the desk has no folder")?;
    let temporary = dir.join(format!(
        ".{}.{}",
        path.file_name().unwrap_or_default().to_string_lossy(),
        crate::store::random_id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = (|| -> Result<()> {
        let mut file = options
            .open(&temporary)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        std::io::Write::write_all(&mut file, contents)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_sealed_to_its_member_and_opens_with_their_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path()).unwrap();
        let me = age::x25519::Identity::generate();
        let mut state = DeskState::default();
        state
            .labels
            .insert("c".repeat(32), vec!["Canary-label".into()]);
        vault.keep_state(&state, &me.to_public()).unwrap();
        let on_disk = std::fs::read(dir.path().join("desk.age")).unwrap();
        assert!(!String::from_utf8_lossy(&on_disk).contains("Canary-label"));
        let mine: Vec<Box<dyn age::Identity + Send + Sync>> = vec![Box::new(me)];
        assert_eq!(
            vault.state(&mine).unwrap().labels.values().next().unwrap(),
            &vec!["Canary-label".to_string()]
        );
        let other: Vec<Box<dyn age::Identity + Send + Sync>> =
            vec![Box::new(age::x25519::Identity::generate())];
        assert!(vault.state(&other).is_err());
    }

    #[test]
    fn an_envelope_id_that_could_name_another_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path()).unwrap();
        assert!(
            vault
                .keep_envelope("../desk", b"age-encryption.org/v1\n")
                .is_err()
        );
        assert!(vault.envelope("../../etc/passwd").is_err());
        let id = "ab".repeat(16);
        assert!(
            vault.keep_envelope(&id, b"plain text").is_err(),
            "only age files"
        );
        vault
            .keep_envelope(&id, b"age-encryption.org/v1\nx")
            .unwrap();
        assert_eq!(vault.envelope_size(&id).unwrap(), Some(23));
        assert_eq!(vault.forget_all_but(&BTreeSet::new()).unwrap(), 1);
        assert_eq!(vault.envelope(&id).unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_folder_and_its_files_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("desk");
        let vault = Vault::open(&root).unwrap();
        vault
            .keep_envelope(&"cd".repeat(16), b"age-encryption.org/v1\n")
            .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&root), 0o700);
        assert_eq!(
            mode(
                &root
                    .join("envelopes")
                    .join(format!("{}.age", "cd".repeat(16)))
            ),
            0o600
        );
    }
}
