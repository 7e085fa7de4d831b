//! The audit chain: every staff action, each record committing to the one before it.
//!
//! `hash = SHA-256(prev_hash ‖ field₁ ‖ … ‖ fieldₙ)`, each field length-prefixed (8 bytes, big
//! endian) so that no two different records hash alike. The first record's `prev_hash` is 32 zero
//! bytes. Altering, inserting or deleting any stored record breaks every link after it, which
//! [`verify`] finds and names. Records name staff members, never reporters.

use serde::{Deserialize, Serialize};

/// The `prev_hash` of the first record.
pub const GENESIS: [u8; 32] = [0; 32];

/// What goes into a new record; the store adds the sequence number and the hashes.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    /// Exact time of the staff action, RFC 3339 UTC.
    pub at: String,
    /// The staff member's keyring name.
    pub actor: String,
    /// What they did: `list`, `download`, `assign`, `reply`, `status`, ...
    pub action: &'static str,
    /// The case concerned, or empty.
    pub case_id: String,
    /// Action detail without any reporter content: an envelope id, a status, assignee names.
    pub detail: String,
}

/// A stored record, as exported to auditors (hashes in hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub case_id: String,
    pub detail: String,
    #[serde(with = "hex::serde")]
    #[schemars(with = "String")]
    pub prev_hash: [u8; 32],
    #[serde(with = "hex::serde")]
    #[schemars(with = "String")]
    pub hash: [u8; 32],
}

/// The hash of a record with these fields following `prev`.
pub fn link_hash(
    prev: &[u8; 32],
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    case_id: &str,
    detail: &str,
) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(prev);
    ctx.update(&seq.to_be_bytes());
    for field in [at, actor, action, case_id, detail] {
        ctx.update(&(field.len() as u64).to_be_bytes());
        ctx.update(field.as_bytes());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

impl AuditRecord {
    fn expected_hash(&self) -> [u8; 32] {
        link_hash(
            &self.prev_hash,
            self.seq,
            &self.at,
            &self.actor,
            &self.action,
            &self.case_id,
            &self.detail,
        )
    }
}

/// The record that follows `last` (sequence number, hash and time of the newest stored record)
/// for a new entry. Its time is never earlier than the last one's: entries are timed before the
/// transaction that chains them, so under concurrency a later record could carry an earlier
/// clock reading.
pub fn next_record(last: Option<(i64, [u8; 32], String)>, entry: &AuditEntry) -> AuditRecord {
    let (seq, prev_hash, at) = match last {
        Some((seq, hash, last_at)) => (seq + 1, hash, entry.at.clone().max(last_at)),
        None => (1, GENESIS, entry.at.clone()),
    };
    let hash = link_hash(
        &prev_hash,
        seq,
        &at,
        &entry.actor,
        entry.action,
        &entry.case_id,
        &entry.detail,
    );
    AuditRecord {
        seq,
        at,
        actor: entry.actor.clone(),
        action: entry.action.to_string(),
        case_id: entry.case_id.clone(),
        detail: entry.detail.clone(),
        prev_hash,
        hash,
    }
}

/// The first place where the chain is broken.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the audit chain is broken at record {seq}: {reason}")]
pub struct BrokenLink {
    pub seq: i64,
    pub reason: &'static str,
}

/// Checks a whole chain in order. Returns the number of records checked.
pub fn verify(records: impl IntoIterator<Item = AuditRecord>) -> Result<usize, BrokenLink> {
    let mut prev = GENESIS;
    let mut count = 0;
    for (expected_seq, record) in (1..).zip(records) {
        let broken = |reason| BrokenLink {
            seq: record.seq,
            reason,
        };
        if record.seq != expected_seq {
            return Err(broken("a record is missing or out of order"));
        }
        if record.prev_hash != prev {
            return Err(broken("it does not follow the record before it"));
        }
        if record.hash != record.expected_hash() {
            return Err(broken("its content was changed after it was written"));
        }
        prev = record.hash;
        count += 1;
    }
    Ok(count)
}

/// Checks that `current` still holds every record of an `earlier` export, unchanged: records
/// cut from the end of the chain leave it valid, and only an earlier copy shows them missing.
pub fn check_extends(earlier: &[AuditRecord], current: &[AuditRecord]) -> Result<(), BrokenLink> {
    for (index, record) in earlier.iter().enumerate() {
        match current.get(index) {
            Some(now) if now == record => {}
            Some(_) => {
                return Err(BrokenLink {
                    seq: record.seq,
                    reason: "it differs from the earlier export",
                });
            }
            None => {
                return Err(BrokenLink {
                    seq: record.seq,
                    reason: "it is in the earlier export but missing now",
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let detail = format!("envelope {seq}");
                let hash = link_hash(
                    &prev,
                    seq,
                    "2026-11-27T10:00:00Z",
                    "intake-minusca",
                    "download",
                    "c1",
                    &detail,
                );
                let record = AuditRecord {
                    seq,
                    at: "2026-11-27T10:00:00Z".into(),
                    actor: "intake-minusca".into(),
                    action: "download".into(),
                    case_id: "c1".into(),
                    detail,
                    prev_hash: prev,
                    hash,
                };
                prev = hash;
                record
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(chain(5)), Ok(5));
        assert_eq!(verify(Vec::new()), Ok(0));
    }

    #[test]
    fn a_changed_record_is_named() {
        let mut records = chain(5);
        records[2].actor = "someone-else".into();
        assert_eq!(verify(records).unwrap_err().seq, 3);
    }

    #[test]
    fn a_deleted_or_reordered_record_is_named() {
        let mut records = chain(5);
        records.remove(1);
        assert_eq!(verify(records.clone()).unwrap_err().seq, 3);
        records.swap(0, 1);
        assert!(verify(records).is_err());
    }

    #[test]
    fn a_record_rewritten_with_a_fresh_hash_breaks_the_next_link() {
        let mut records = chain(4);
        records[1].detail = "nothing to see".into();
        records[1].hash = records[1].expected_hash();
        assert_eq!(
            verify(records).unwrap_err(),
            BrokenLink {
                seq: 3,
                reason: "it does not follow the record before it"
            }
        );
    }

    #[test]
    fn a_chain_cut_at_the_end_verifies_alone_but_not_against_an_earlier_export() {
        let earlier = chain(5);
        let mut cut = earlier.clone();
        cut.truncate(3);
        assert_eq!(verify(cut.clone()), Ok(3));
        assert_eq!(check_extends(&earlier, &cut).unwrap_err().seq, 4);
        assert_eq!(check_extends(&earlier[..3], &earlier), Ok(()));
    }

    #[test]
    fn records_made_one_after_the_other_verify_and_never_go_back_in_time() {
        let entry = |at: &str| AuditEntry {
            at: at.into(),
            actor: "auditor".into(),
            action: "list",
            case_id: String::new(),
            detail: String::new(),
        };
        let first = next_record(None, &entry("2026-11-27T10:00:05Z"));
        let second = next_record(
            Some((first.seq, first.hash, first.at.clone())),
            &entry("2026-11-27T10:00:04Z"),
        );
        assert_eq!(
            second.at, "2026-11-27T10:00:05Z",
            "clamped to the record before"
        );
        assert_eq!(verify(vec![first, second]), Ok(2));
    }

    #[test]
    fn fields_cannot_slide_into_each_other() {
        let a = link_hash(&GENESIS, 1, "t", "ab", "c", "", "");
        let b = link_hash(&GENESIS, 1, "t", "a", "bc", "", "");
        assert_ne!(a, b);
    }
}
