//! A case's folder on the staff member's machine: what `pull` and `open` write, and where.
//!
//! Pulling again must never lose anything: an earlier pull stopped at the first file that
//! existed, so a survivor's new photo was silently not written. Here every envelope is written
//! once, under a name made from its kind and id (which the server cannot change for an
//! envelope it already served), and a file that exists is left as it is and counted, never
//! overwritten, never a reason to stop. Each file is written to a temporary name in the same
//! folder and then linked into place, so that an interrupted pull leaves no half-written file
//! that a later pull would take for a complete one.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use zeroize::Zeroizing;

use crate::cases::EnvelopeKind;
use crate::seal;

/// What happened to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    New,
    AlreadyThere,
}

pub struct CaseFolder {
    path: PathBuf,
}

impl CaseFolder {
    /// `out/CASE`, made if needed.
    pub fn of_case(out: &Path, case: &str) -> Result<CaseFolder> {
        CaseFolder::at(out.join(case))
    }

    /// A folder given as it is (`open --out DIR`).
    pub fn at(path: PathBuf) -> Result<CaseFolder> {
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(CaseFolder { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name every file of an envelope starts with.
    pub fn stem(kind: Option<EnvelopeKind>, id: &str) -> String {
        match kind {
            Some(kind) => format!("{}-{id}", kind.code()),
            None => format!("envelope-{id}"),
        }
    }

    /// The sealed envelope, if an earlier pull kept it.
    pub fn sealed(&self, stem: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path.join(format!("{stem}.age"));
        match std::fs::read(&path) {
            Ok(body) => Ok(Some(body)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Keeps the sealed envelope as it came (the age file the standard tool opens).
    pub fn keep_sealed(&self, stem: &str, body: &[u8]) -> Result<Written> {
        self.write_once(&format!("{stem}.age"), body, false)
    }

    /// Writes what an envelope holds: a file under the name the reporter's device gave it (made
    /// safe), a document as JSON without its padding. Returns the file's name too.
    pub fn write_opened(&self, stem: &str, plain: &[u8]) -> Result<(String, Written)> {
        let (name, contents) = match seal::parse_attachment(plain) {
            Some((meta, content)) => (
                format!("{stem}-{}", safe_file_name(&meta.name)),
                Zeroizing::new(content.to_vec()),
            ),
            None => (format!("{stem}.json"), trim_padding(plain)),
        };
        let written = self.write_once(&name, &contents, true)?;
        Ok((name, written))
    }

    /// Writes `name` unless it exists: through a temporary file linked into place, so that the
    /// name appears only once the whole file is on disk.
    fn write_once(&self, name: &str, contents: &[u8], private: bool) -> Result<Written> {
        let target = self.path.join(name);
        if target.exists() {
            return Ok(Written::AlreadyThere);
        }
        let temporary = self.path.join(format!(".{name}.part"));
        let _ = std::fs::remove_file(&temporary);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        }
        let _ = private;
        let mut file = options
            .open(&temporary)
            .with_context(|| format!("cannot create {}", temporary.display()))?;
        std::io::Write::write_all(&mut file, contents)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        drop(file);
        // A hard link fails if the name exists (another pull at the same time): never over.
        let linked = std::fs::hard_link(&temporary, &target);
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => Ok(Written::New),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Written::AlreadyThere),
            Err(e) => Err(e).with_context(|| format!("cannot create {}", target.display())),
        }
    }
}

/// The opened document without its padding (trailing spaces), ending in one newline.
pub fn trim_padding(plain: &[u8]) -> Zeroizing<Vec<u8>> {
    let end = plain
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let mut out = Zeroizing::new(Vec::with_capacity(end + 1));
    out.extend_from_slice(&plain[..end]);
    out.push(b'\n');
    out
}

/// A file name from a reporter's device, made safe to create in the case folder.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        "file".to_string()
    } else {
        cleaned.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_from_reporters_cannot_leave_the_case_folder() {
        assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_file_name("/abs/path.jpg"), "_abs_path.jpg");
        assert_eq!(safe_file_name(".hidden"), "hidden");
        assert_eq!(safe_file_name(""), "file");
        assert_eq!(safe_file_name("photo 1.jpg"), "photo_1.jpg");
    }

    #[test]
    fn a_file_that_exists_is_counted_and_kept_as_it_is_and_the_next_one_is_still_written() {
        let dir = tempfile::tempdir().unwrap();
        let folder = CaseFolder::at(dir.path().to_path_buf()).unwrap();
        assert_eq!(
            folder.keep_sealed("report-a", b"first").unwrap(),
            Written::New
        );
        assert_eq!(
            folder.keep_sealed("report-a", b"changed").unwrap(),
            Written::AlreadyThere
        );
        assert_eq!(folder.sealed("report-a").unwrap().unwrap(), b"first");
        assert_eq!(
            folder.keep_sealed("message-b", b"second").unwrap(),
            Written::New
        );
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file is left: {names:?}");
    }

    #[test]
    fn an_opened_document_loses_its_padding_and_ends_in_one_newline() {
        assert_eq!(&trim_padding(b"{\"a\":1}     \n   ")[..], b"{\"a\":1}\n");
        assert_eq!(&trim_padding(b"   ")[..], b"\n");
    }
}
