//! Proof of work under pressure. While new reports arrive faster than the configured rate
//! (`[rate_limits] pow_above_submissions_per_minute`), a report sent to the API must carry the
//! answer to a small puzzle bound to a challenge the server issued: a nonce such that
//! SHA-256(challenge ‖ nonce as 8 bytes little-endian) starts with `bits` zero bits. A phone
//! pays about a second; a flood pays that for every report. Challenges are stateless (random ‖
//! expiry ‖ HMAC under a key drawn at start) and each is accepted once, remembered in memory
//! until it expires. The form without JavaScript is never asked: under pressure it goes through
//! a narrow queue instead (`pages`), slower but open.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use governor::clock::DefaultClock;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use ring::rand::SecureRandom;
use ring::{digest, hmac};

/// How long a challenge may be answered.
const LIFETIME: Duration = Duration::from_secs(300);
/// How long pressure, once seen, keeps the puzzle on.
const PRESSURE_HOLD: Duration = Duration::from_secs(120);
const CHALLENGE_BYTES: usize = 16 + 8 + 16;

/// Why a report's work was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum WorkError {
    Missing,
    Invalid,
    Expired,
    Spent,
    TooLittle,
}

pub struct Work {
    key: hmac::Key,
    bits: u8,
    pressure: Option<RateLimiter<NotKeyed, InMemoryState, DefaultClock>>,
    pressed_until: Mutex<Option<Instant>>,
    /// Challenges answered, with their expiry (Unix seconds): forgotten only once expired, so
    /// that a clock stepping back cannot make one acceptable again.
    spent: Mutex<HashMap<[u8; 16], u64>>,
}

impl Work {
    /// `above_per_minute` new reports a minute turn the puzzle on (0: never); `bits` of work.
    pub fn new(above_per_minute: u32, bits: u8) -> Work {
        let mut secret = [0u8; 32];
        ring::rand::SystemRandom::new()
            .fill(&mut secret)
            .expect("the system random source failed");
        let key = hmac::Key::new(hmac::HMAC_SHA256, &secret);
        secret.fill(0);
        Work {
            key,
            bits,
            pressure: std::num::NonZeroU32::new(above_per_minute)
                .map(|n| RateLimiter::direct(Quota::per_minute(n))),
            pressed_until: Mutex::new(None),
            spent: Mutex::new(HashMap::new()),
        }
    }

    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// Counts a report that was accepted and stored: only those make pressure, so that junk
    /// refused on arrival cannot switch the puzzle on for everyone.
    pub fn note_accepted(&self) {
        if let Some(limiter) = &self.pressure
            && limiter.check().is_err()
        {
            let mut until = self.pressed_until.lock().unwrap_or_else(|e| e.into_inner());
            *until = Some(Instant::now() + PRESSURE_HOLD);
        }
    }

    /// Whether reports must carry work now.
    pub fn under_pressure(&self) -> bool {
        let until = self.pressed_until.lock().unwrap_or_else(|e| e.into_inner());
        until.is_some_and(|u| u > Instant::now())
    }

    /// A fresh challenge, base64.
    pub fn challenge(&self) -> String {
        let mut raw = [0u8; CHALLENGE_BYTES];
        ring::rand::SystemRandom::new()
            .fill(&mut raw[..16])
            .expect("the system random source failed");
        let expiry = unix_now() + LIFETIME.as_secs();
        raw[16..24].copy_from_slice(&expiry.to_be_bytes());
        let tag = hmac::sign(&self.key, &raw[..24]);
        raw[24..].copy_from_slice(&tag.as_ref()[..16]);
        STANDARD.encode(raw)
    }

    /// Checks and spends a challenge's answer.
    pub fn redeem(&self, challenge: &str, nonce: u64) -> Result<(), WorkError> {
        let raw = STANDARD
            .decode(challenge.as_bytes())
            .map_err(|_| WorkError::Invalid)?;
        let raw: [u8; CHALLENGE_BYTES] = raw.try_into().map_err(|_| WorkError::Invalid)?;
        // Constant-time comparison of the truncated tag.
        let expected = hmac::sign(&self.key, &raw[..24]);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            &expected.as_ref()[..16],
            &raw[24..],
        )) {
            return Err(WorkError::Invalid);
        }
        let expiry = u64::from_be_bytes(raw[16..24].try_into().expect("8 bytes"));
        if unix_now() > expiry {
            return Err(WorkError::Expired);
        }
        if leading_zero_bits(&answer_digest(&raw, nonce)) < u32::from(self.bits) {
            return Err(WorkError::TooLittle);
        }
        let now = unix_now();
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        spent.retain(|_, expires| *expires >= now);
        let mut id = [0u8; 16];
        id.copy_from_slice(&raw[..16]);
        if spent.insert(id, expiry).is_some() {
            return Err(WorkError::Spent);
        }
        Ok(())
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// SHA-256(challenge ‖ nonce as 8 bytes little-endian).
pub fn answer_digest(challenge: &[u8], nonce: u64) -> digest::Digest {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(challenge);
    context.update(&nonce.to_le_bytes());
    context.finish()
}

pub fn leading_zero_bits(digest: &digest::Digest) -> u32 {
    let mut bits = 0;
    for byte in digest.as_ref() {
        if *byte == 0 {
            bits += 8;
        } else {
            bits += byte.leading_zeros();
            break;
        }
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solve(challenge: &str, bits: u32) -> u64 {
        let raw = STANDARD.decode(challenge).unwrap();
        (0u64..)
            .find(|n| leading_zero_bits(&answer_digest(&raw, *n)) >= bits)
            .unwrap()
    }

    #[test]
    fn an_answer_is_accepted_once_and_a_wrong_or_forged_one_never() {
        let work = Work::new(1, 8);
        let challenge = work.challenge();
        let nonce = solve(&challenge, 8);
        assert_eq!(work.redeem(&challenge, nonce), Ok(()));
        assert_eq!(work.redeem(&challenge, nonce), Err(WorkError::Spent));
        let other = work.challenge();
        let wrong = (0u64..)
            .find(|n| leading_zero_bits(&answer_digest(&STANDARD.decode(&other).unwrap(), *n)) < 8)
            .unwrap();
        assert_eq!(work.redeem(&other, wrong), Err(WorkError::TooLittle));
        // A challenge from another gateway (another key) or altered is refused.
        let foreign = Work::new(1, 8).challenge();
        assert_eq!(
            work.redeem(&foreign, solve(&foreign, 8)),
            Err(WorkError::Invalid)
        );
        assert_eq!(work.redeem("AAAA", 0), Err(WorkError::Invalid));
    }

    #[test]
    fn accepted_reports_over_the_rate_turn_the_puzzle_on() {
        let work = Work::new(2, 8);
        assert!(!work.under_pressure());
        work.note_accepted();
        work.note_accepted();
        assert!(!work.under_pressure());
        work.note_accepted();
        assert!(
            work.under_pressure(),
            "the third report in a minute is over the rate"
        );
        let never = Work::new(0, 8);
        for _ in 0..100 {
            never.note_accepted();
        }
        assert!(!never.under_pressure());
    }
}
