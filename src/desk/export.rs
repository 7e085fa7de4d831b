//! Evidence export: a case, or the items chosen of it, as one file sealed with age to a
//! recipient of the member's choosing (themselves, a colleague). Inside, a tar archive: each
//! item as it arrived (a file as the reporter sent it, a document as it was sealed) and a
//! manifest naming who exported what and when, with the SHA-256 of every item and of each
//! envelope as the gateway stores it. `age -d` and any tar tool open it; the gateway records
//! the export (who, for whom, how many items, the sealed file's hash) in its audit chain.

use anyhow::{Context, Result};
use ring::digest::{SHA256, digest};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::staff_api::EnvelopeMeta;
use crate::store::day_format;

/// One item to export: its metadata, what it holds opened, and the envelope as stored.
pub struct Item<'a> {
    pub meta: &'a EnvelopeMeta,
    pub plain: Zeroizing<Vec<u8>>,
    pub sealed: &'a [u8],
}

#[derive(Serialize)]
struct Manifest<'a> {
    format: &'static str,
    case: &'a str,
    exported_by: &'a str,
    exported_at: &'a str,
    sealed_to: &'a str,
    items: Vec<ManifestItem>,
}

#[derive(Serialize)]
struct ManifestItem {
    envelope: String,
    kind: &'static str,
    received_on: String,
    file: String,
    size: usize,
    sha256: String,
    /// SHA-256 of the age file the gateway stores for this envelope.
    envelope_sha256: String,
}

/// The sealed export file and its SHA-256 (for the audit chain).
pub struct Sealed {
    pub file: Vec<u8>,
    pub sha256: String,
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(digest(&SHA256, bytes))
}

/// Builds the archive and seals it to `to`.
pub fn export(
    case: &str,
    items: Vec<Item<'_>>,
    exported_by: &str,
    exported_at: &str,
    to: (&str, &age::x25519::Recipient),
) -> Result<Sealed> {
    let folder = format!("case-{case}");
    let mut entries: Vec<(String, Zeroizing<Vec<u8>>)> = Vec::with_capacity(items.len() + 1);
    let mut listed = Vec::with_capacity(items.len());
    for item in items {
        let kind = item.meta.kind.code();
        let stem = format!("{kind}-{}", item.meta.id);
        let (name, content) = match crate::seal::parse_attachment(&item.plain) {
            Some((file, content)) => (
                format!("{stem}-{}", crate::cli::safe_file_name(&file.name)),
                Zeroizing::new(content.to_vec()),
            ),
            None => (
                format!("{stem}.json"),
                crate::cli::trim_padding(&item.plain),
            ),
        };
        listed.push(ManifestItem {
            envelope: item.meta.id.clone(),
            kind,
            received_on: day_format::to_text(item.meta.created_on),
            file: name.clone(),
            size: content.len(),
            sha256: sha256(&content),
            envelope_sha256: sha256(item.sealed),
        });
        entries.push((name, content));
    }
    let manifest = Manifest {
        format: "confide-evidence/1",
        case,
        exported_by,
        exported_at,
        sealed_to: to.0,
        items: listed,
    };
    entries.push((
        "manifest.json".to_string(),
        Zeroizing::new(serde_json::to_vec_pretty(&manifest)?),
    ));
    let mtime =
        time::OffsetDateTime::parse(exported_at, &time::format_description::well_known::Rfc3339)
            .map(|t| u64::try_from(t.unix_timestamp()).unwrap_or(0))
            .unwrap_or(0);
    // Sized once: the archive holds plaintext, and a reallocation would leave a copy unwiped.
    let size: usize = entries.iter().map(|(_, c)| c.len() + 1024).sum::<usize>() + 4096;
    let mut archive = Zeroizing::new(Vec::with_capacity(size));
    let mut builder = tar::Builder::new(&mut *archive);
    for (name, content) in &entries {
        let mut header = tar::Header::new_ustar();
        header.set_size(content.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(mtime);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, format!("{folder}/{name}"), content.as_slice())
            .context("the export archive could not be written")?;
    }
    builder
        .finish()
        .context("the export archive could not be finished")?;
    drop(builder);
    let encryptor = age::Encryptor::with_recipients(std::iter::once(to.1 as &dyn age::Recipient))
        .context("the export cannot be sealed to this recipient")?;
    let mut file = Vec::with_capacity(archive.len() + 1024);
    let mut writer = encryptor.wrap_output(&mut file)?;
    std::io::Write::write_all(&mut writer, &archive)?;
    writer.finish()?;
    let sha256 = sha256(&file);
    Ok(Sealed { file, sha256 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::EnvelopeKind;

    #[test]
    fn an_export_opens_with_its_recipients_key_into_the_items_and_a_manifest_of_their_hashes() {
        let me = age::x25519::Identity::generate();
        let meta = EnvelopeMeta {
            id: "ab".repeat(16),
            case_id: "cd".repeat(16),
            kind: EnvelopeKind::Report,
            created_on: time::macros::date!(2027 - 03 - 02),
            size: 10,
            recipients: vec![],
            chunks: 0,
        };
        let document = Zeroizing::new(b"{\"format\":\"confide-report/2\"}    ".to_vec());
        let sealed = export(
            &"cd".repeat(16),
            vec![Item {
                meta: &meta,
                plain: document,
                sealed: b"age-encryption.org/v1\n",
            }],
            "intake-minusca",
            "2027-03-05T10:00:00Z",
            ("intake-minusca", &me.to_public()),
        )
        .unwrap();
        assert_eq!(sealed.sha256, sha256(&sealed.file));
        let archive = crate::seal::open(&sealed.file, &me).unwrap();
        let mut tar = tar::Archive::new(archive.as_slice());
        let mut found = std::collections::BTreeMap::new();
        for entry in tar.entries().unwrap() {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().display().to_string();
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut body).unwrap();
            found.insert(name, body);
        }
        let folder = format!("case-{}", "cd".repeat(16));
        let report = &found[&format!("{folder}/report-{}.json", "ab".repeat(16))];
        assert_eq!(report.as_slice(), b"{\"format\":\"confide-report/2\"}\n");
        let manifest: serde_json::Value =
            serde_json::from_slice(&found[&format!("{folder}/manifest.json")]).unwrap();
        assert_eq!(manifest["exported_by"], "intake-minusca");
        assert_eq!(manifest["items"][0]["sha256"], sha256(report));
        assert_eq!(
            manifest["items"][0]["envelope_sha256"],
            sha256(b"age-encryption.org/v1\n")
        );
    }
}
