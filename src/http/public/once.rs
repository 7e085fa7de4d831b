//! One-time marks on the report form, so that a form sent once is not filed again and a form
//! is filed only from a page this gateway issued. Without JavaScript, pressing Back after quick
//! exit (or after sending) offers to send the form again, which would file a second report and
//! show a fresh follow-up number to whoever holds the phone; and a page of another site could
//! hold a copy of the form. Each report page carries a fresh mark: 128 random bits, its expiry
//! (a day later) and an HMAC-SHA256 tag over both under the gateway's mark key. A report is
//! filed only with a mark that carries the gateway's tag and has not expired, once: the first
//! report spends it and a later one is refused. Spent marks are kept in memory only, until they
//! expire. The key is derived from the server secret (`ServerSecret::derive`), so that a page
//! opened before a restart can still be sent, and gateways behind one address, which share the
//! secret already to check follow-up numbers, accept each other's marks (each still remembers
//! only the marks spent on it).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::hmac;
use ring::rand::SecureRandom;

/// How long a mark may be sent: longer than anyone keeps a page open.
const LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Most marks remembered; beyond it the oldest are forgotten first.
const MAX_MARKS: usize = 200_000;
/// Random part, expiry, tag.
const MARK_BYTES: usize = 16 + 8 + 16;
/// The mark's length in a form, hex.
pub const MARK_CHARS: usize = 2 * MARK_BYTES;

/// Why a mark was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum MarkError {
    /// None, not a mark, or not one this gateway issued.
    NotIssued,
    /// Issued more than a day ago.
    Expired,
    /// Sent before.
    Spent,
}

pub struct Once {
    key: hmac::Key,
    /// Marks spent, with their expiry (Unix seconds): forgotten only once expired, so that a
    /// clock stepping back cannot make one acceptable again.
    spent: Mutex<HashMap<[u8; 16], u64>>,
}

impl Once {
    /// Marks under `key` (derived from the server secret: see the module's comment).
    pub fn new(key: hmac::Key) -> Once {
        Once {
            key,
            spent: Mutex::new(HashMap::new()),
        }
    }

    /// A fresh mark for a report page, hex.
    pub fn issue(&self) -> String {
        self.issue_at(unix_now())
    }

    fn issue_at(&self, now: u64) -> String {
        let mut raw = [0u8; MARK_BYTES];
        ring::rand::SystemRandom::new()
            .fill(&mut raw[..16])
            .expect("the system random source failed");
        raw[16..24].copy_from_slice(&(now + LIFETIME.as_secs()).to_be_bytes());
        let tag = hmac::sign(&self.key, &raw[..24]);
        raw[24..].copy_from_slice(&tag.as_ref()[..16]);
        hex::encode(raw)
    }

    /// Spends `mark`.
    pub fn spend(&self, mark: &str) -> Result<(), MarkError> {
        self.spend_at(mark, unix_now())
    }

    fn spend_at(&self, mark: &str, now: u64) -> Result<(), MarkError> {
        let mut raw = [0u8; MARK_BYTES];
        if mark.len() != MARK_CHARS || hex::decode_to_slice(mark, &mut raw).is_err() {
            return Err(MarkError::NotIssued);
        }
        let expected = hmac::sign(&self.key, &raw[..24]);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            &expected.as_ref()[..16],
            &raw[24..],
        )) {
            return Err(MarkError::NotIssued);
        }
        let expiry = u64::from_be_bytes(raw[16..24].try_into().expect("8 bytes"));
        if now > expiry {
            return Err(MarkError::Expired);
        }
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        if spent.len() >= MAX_MARKS {
            spent.retain(|_, expires| *expires >= now);
            if spent.len() >= MAX_MARKS {
                let oldest = spent.iter().min_by_key(|(_, e)| **e).map(|(k, _)| *k);
                if let Some(oldest) = oldest {
                    spent.remove(&oldest);
                }
            }
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&raw[..16]);
        match spent.insert(id, expiry) {
            Some(_) => Err(MarkError::Spent),
            None => Ok(()),
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_secret(secret: &[u8]) -> Once {
        Once::new(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    fn once() -> Once {
        with_secret(&[7; 32])
    }

    #[test]
    fn a_mark_is_spent_once() {
        let once = once();
        let mark = once.issue();
        assert_eq!(once.spend(&mark), Ok(()));
        assert_eq!(once.spend(&mark), Err(MarkError::Spent));
        assert_eq!(once.spend(&once.issue()), Ok(()));
    }

    #[test]
    fn a_mark_this_gateway_did_not_issue_is_refused() {
        let once = once();
        let elsewhere = with_secret(&[8; 32]).issue();
        assert_eq!(once.spend(&elsewhere), Err(MarkError::NotIssued));
        let mut forged = once.issue().into_bytes();
        forged[0] = if forged[0] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(once.spend(&forged), Err(MarkError::NotIssued));
        for nonsense in ["", "not-a-mark", &"0".repeat(32), &"g".repeat(MARK_CHARS)] {
            assert_eq!(
                once.spend(nonsense),
                Err(MarkError::NotIssued),
                "{nonsense}"
            );
        }
    }

    #[test]
    fn a_mark_older_than_a_day_is_refused() {
        let once = once();
        let mark = once.issue_at(1_000_000);
        let day = LIFETIME.as_secs();
        assert_eq!(
            once.spend_at(&mark, 1_000_000 + day + 1),
            Err(MarkError::Expired)
        );
        assert_eq!(once.spend_at(&mark, 1_000_000 + day), Ok(()));
    }
}
