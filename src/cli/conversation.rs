//! The case's conversation as staff write and read it: every document staff seal carries its
//! author, its time, its place in the case and what it answers, inside the envelope
//! ([`StaffDocument`]), so that the reader can order and attribute every item while the server
//! learns nothing new. A reply's author is sealed again to the case's staff alone: the reporter
//! opens the reply, never the name of who wrote it.

use anyhow::Result;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::staff_client::Client;
use crate::cases::EnvelopeKind;
use crate::staff_api::{EnvelopeMeta, StaffDocument, StaffOnly};

/// Who writes, and where in the case.
pub struct Authoring {
    pub author: String,
    pub seq: Option<u32>,
    pub answers: Option<String>,
}

/// The caller as author of a document on `case`: the place and the item answered come from the
/// case's envelopes when the caller may list them (the case's staff), and are left out when
/// not (assistance officers and focal points see no case file).
pub async fn authoring(client: &Client, case: Option<&str>) -> Result<Authoring> {
    let author = client.me().await?.name;
    let listed: Option<Vec<EnvelopeMeta>> = match case {
        Some(case) => client
            .json(&format!("/api/v1/staff/cases/{case}/envelopes"))
            .await
            .ok(),
        None => None,
    };
    let seq = listed
        .as_ref()
        .map(|l| u32::try_from(l.len()).unwrap_or(u32::MAX).saturating_add(1));
    let answers = listed.and_then(|l| {
        l.into_iter()
            .filter(|e| matches!(e.kind, EnvelopeKind::Report | EnvelopeKind::Message))
            .max_by_key(|e| e.created_on)
            .map(|e| e.id)
    });
    Ok(Authoring {
        author,
        seq,
        answers,
    })
}

/// The current time as documents carry it: RFC 3339, UTC, to the second.
pub(crate) fn now() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The plaintext of a staff document. For a reply (`staff_only` given: the case's staff keys),
/// the author goes into an envelope of its own sealed to them alone.
pub fn compose(
    format: &str,
    text: &str,
    by: &Authoring,
    staff_only: Option<&[age::x25519::Recipient]>,
) -> Result<Zeroizing<Vec<u8>>> {
    let known = StaffOnly {
        author: by.author.clone(),
        at: Some(now()),
        seq: by.seq,
        answers: by.answers.clone(),
    };
    let document = match staff_only {
        // A reply: the reporter opens it too, so all but the text is sealed to the staff.
        Some(staff) => {
            let inner = Zeroizing::new(serde_json::to_vec(&known)?);
            StaffDocument {
                format: format.to_string(),
                text: text.to_string(),
                at: None,
                seq: None,
                answers: None,
                author: None,
                staff_only: Some(STANDARD.encode(crate::seal::seal(inner, staff)?)),
            }
        }
        None => StaffDocument {
            format: format.to_string(),
            text: text.to_string(),
            at: known.at,
            seq: known.seq,
            answers: known.answers,
            author: Some(known.author),
            staff_only: None,
        },
    };
    Ok(Zeroizing::new(serde_json::to_vec_pretty(&document)?))
}

/// A staff document as its reader sees it: the author found, in a reply, by opening its
/// `staff_only` envelope.
pub struct Read {
    pub document: StaffDocument,
    pub author: Option<String>,
}

/// Reads an opened envelope as a staff document, if it is one; a reply's sealed part is opened
/// and merged in when it is sealed to `identities`.
pub fn read(plain: &[u8], identities: &[Box<dyn age::Identity + Send + Sync>]) -> Option<Read> {
    let trimmed = super::folder::trim_padding(plain);
    let mut document: StaffDocument = serde_json::from_slice(&trimmed).ok()?;
    let sealed = document
        .staff_only
        .as_deref()
        .and_then(|sealed| STANDARD.decode(sealed).ok())
        .and_then(|body| super::staff::open(&body, identities).ok().flatten())
        .and_then(|inner| {
            serde_json::from_slice::<StaffOnly>(&super::folder::trim_padding(&inner)).ok()
        });
    if let Some(known) = sealed {
        document.author = Some(known.author);
        document.at = known.at;
        document.seq = known.seq;
        document.answers = known.answers;
    }
    let author = document.author.clone();
    Some(Read { document, author })
}

/// The format a document of this kind is sealed as.
pub fn format_of(kind: EnvelopeKind) -> Result<&'static str> {
    Ok(match kind {
        EnvelopeKind::Reply => "confide-reply/2",
        EnvelopeKind::InternalNote => "confide-internal-note/1",
        EnvelopeKind::AssistanceNote => "confide-assistance-note/2",
        EnvelopeKind::Notification => "confide-notification/2",
        EnvelopeKind::NationalAction => "confide-national-action/2",
        other => anyhow::bail!("staff do not write {} documents", other.code()),
    })
}

/// The kind of a staff document, told by its format (any version), for key rotation.
pub fn kind_of_format(format: &str) -> Option<EnvelopeKind> {
    let name = format.split('/').next()?;
    Some(match name {
        "confide-reply" => EnvelopeKind::Reply,
        "confide-internal-note" => EnvelopeKind::InternalNote,
        "confide-assistance-note" => EnvelopeKind::AssistanceNote,
        "confide-notification" => EnvelopeKind::Notification,
        "confide-national-action" => EnvelopeKind::NationalAction,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by() -> Authoring {
        Authoring {
            author: "investigator-minusca".into(),
            seq: Some(4),
            answers: Some("ab".repeat(16)),
        }
    }

    #[test]
    fn a_note_carries_its_author_time_place_and_what_it_answers() {
        let plain = compose("confide-internal-note/1", "seen", &by(), None).unwrap();
        let read = read(&plain, &[]).unwrap();
        assert_eq!(read.author.as_deref(), Some("investigator-minusca"));
        assert_eq!(read.document.seq, Some(4));
        assert_eq!(read.document.answers, Some("ab".repeat(16)));
        let at = read.document.at.unwrap();
        assert!(
            time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "{at}"
        );
    }

    #[test]
    fn a_replys_author_opens_for_the_staff_and_never_for_the_reporter() {
        let staff = age::x25519::Identity::generate();
        let reporter = age::x25519::Identity::generate();
        let plain = compose(
            "confide-reply/2",
            "we read you",
            &by(),
            Some(&[staff.to_public()]),
        )
        .unwrap();
        let clear = String::from_utf8_lossy(&plain);
        assert!(
            !clear.contains("investigator-minusca") && !clear.contains("\"seq\""),
            "neither the name nor the place is in clear in what the reporter opens: {clear}"
        );
        let as_staff: Vec<Box<dyn age::Identity + Send + Sync>> = vec![Box::new(staff)];
        let as_reporter: Vec<Box<dyn age::Identity + Send + Sync>> = vec![Box::new(reporter)];
        assert_eq!(
            read(&plain, &as_staff).unwrap().author.as_deref(),
            Some("investigator-minusca")
        );
        let seen = read(&plain, &as_reporter).unwrap();
        assert_eq!(seen.author, None);
        assert_eq!(seen.document.text, "we read you");
        assert_eq!(
            (seen.document.at, seen.document.seq, seen.document.answers),
            (None, None, None),
            "nothing of the case's file reaches the reporter"
        );
        assert_eq!(read(&plain, &as_staff).unwrap().document.seq, Some(4));
    }

    #[test]
    fn every_format_written_is_told_back_as_its_kind() {
        for kind in [
            EnvelopeKind::Reply,
            EnvelopeKind::InternalNote,
            EnvelopeKind::AssistanceNote,
            EnvelopeKind::Notification,
            EnvelopeKind::NationalAction,
        ] {
            assert_eq!(kind_of_format(format_of(kind).unwrap()), Some(kind));
        }
        assert_eq!(kind_of_format("confide-reply/1"), Some(EnvelopeKind::Reply));
        assert!(format_of(EnvelopeKind::Report).is_err());
    }
}
