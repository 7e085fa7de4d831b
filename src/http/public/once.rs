//! One-time marks on the report form, so that a form sent once is not filed again: without
//! JavaScript, pressing Back after quick exit (or after sending) offers to send the form again,
//! which would file a second report and show a fresh follow-up number to whoever holds the
//! phone. Each report page carries a fresh random mark; the first report that carries it spends
//! it, and any later one is refused. Marks are kept in memory only, for a day, by each gateway
//! (two gateways behind one address would each accept a mark once).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ring::rand::SecureRandom;

/// How long a spent mark is remembered: longer than anyone keeps a page open.
const REMEMBER: Duration = Duration::from_secs(24 * 3600);
/// Most marks remembered; beyond it the oldest are forgotten first.
const MAX_MARKS: usize = 200_000;

#[derive(Default)]
pub struct Once {
    spent: Mutex<HashMap<[u8; 16], Instant>>,
}

impl Once {
    /// A fresh mark for a report page: 128 random bits, hex.
    pub fn issue() -> String {
        let mut bytes = [0u8; 16];
        ring::rand::SystemRandom::new()
            .fill(&mut bytes)
            .expect("the system random source failed");
        hex::encode(bytes)
    }

    /// Spends `mark`; false if it was spent before (or is not a mark at all).
    pub fn spend(&self, mark: &str) -> bool {
        let mut bytes = [0u8; 16];
        if mark.len() != 32 || hex::decode_to_slice(mark, &mut bytes).is_err() {
            return false;
        }
        let now = Instant::now();
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        if spent.len() >= MAX_MARKS {
            spent.retain(|_, at| now.duration_since(*at) < REMEMBER);
            if spent.len() >= MAX_MARKS {
                let oldest = spent.iter().min_by_key(|(_, at)| **at).map(|(k, _)| *k);
                if let Some(oldest) = oldest {
                    spent.remove(&oldest);
                }
            }
        }
        spent.insert(bytes, now).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_is_spent_once_and_nonsense_is_refused() {
        let once = Once::default();
        let mark = Once::issue();
        assert!(once.spend(&mark));
        assert!(!once.spend(&mark));
        assert!(once.spend(&Once::issue()));
        assert!(!once.spend("not-a-mark"));
    }
}
