//! Rate limits that remember nobody. A flood of junk reports or of guessed follow-up numbers is
//! slowed per network and overall, without ever keeping who anyone is:
//!
//! - the only per-client key is a keyed hash of the client's network prefix (/24 for IPv4, /48
//!   for IPv6), under a key drawn at random in memory and replaced every day, never written
//!   anywhere; yesterday's keys cannot be linked to today's, and a camp sharing one address
//!   shares a budget sized for many people;
//! - budgets are per route class (new reports, follow-ups, pages) per prefix and overall, in
//!   memory (governor), and forgotten when idle;
//! - failed status checks have their own, stricter budget per prefix; past it the prefix waits.
//!   Past the overall budget of failures, every failing answer is slowed, which costs a guesser
//!   far more than a reporter who mistyped.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use ring::hmac;
use ring::rand::SecureRandom;
use serde::Deserialize;

/// The rate limits, `[rate_limits]` in the configuration. A budget of 0 turns that limit off.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    /// Turns every limit off (for benchmarks; never in a deployment).
    pub enabled: bool,
    /// New reports and uploads per network per minute (default 20: a camp behind one address).
    pub submissions_per_prefix_per_minute: u32,
    /// New reports and uploads per second, all networks together (default 50).
    pub submissions_per_second: u32,
    /// Status checks, messages and answers per network per minute (default 60).
    pub follow_ups_per_prefix_per_minute: u32,
    /// The same, per second, all together (default 100).
    pub follow_ups_per_second: u32,
    /// Pages and other reads per network per minute (default 600).
    pub pages_per_prefix_per_minute: u32,
    /// Failed status checks per network per hour before it must wait (default 30).
    pub failed_checks_per_prefix_per_hour: u32,
    /// Failed status checks per minute, all together, before failing answers are slowed
    /// (default 120).
    pub failed_checks_per_minute: u32,
    /// How long a failing answer is held back once the overall budget is spent (default 2 s).
    pub failed_check_delay_ms: u64,
    /// New reports a minute, all together, above which reports sent to the API must carry a
    /// proof of work (default 120; `public::work`).
    pub pow_above_submissions_per_minute: u32,
    /// The work asked: leading zero bits of SHA-256 (default 16, about 65 000 tries: around a
    /// second on a low-end phone, see docs/BENCHMARKS.md).
    pub pow_bits: u8,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            submissions_per_prefix_per_minute: 20,
            submissions_per_second: 50,
            follow_ups_per_prefix_per_minute: 60,
            follow_ups_per_second: 100,
            pages_per_prefix_per_minute: 600,
            failed_checks_per_prefix_per_hour: 30,
            failed_checks_per_minute: 120,
            failed_check_delay_ms: 2000,
            pow_above_submissions_per_minute: 120,
            pow_bits: 16,
        }
    }
}

/// The keyed hash of a client's network prefix, for today's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PrefixKey(pub u64);

/// Hashes network prefixes under a random key replaced every day.
pub struct Prefixes {
    key: Mutex<(u64, hmac::Key)>,
}

impl Default for Prefixes {
    fn default() -> Self {
        Prefixes {
            key: Mutex::new((today(), fresh_key())),
        }
    }
}

fn today() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0)
}

fn fresh_key() -> hmac::Key {
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source failed");
    let key = hmac::Key::new(hmac::HMAC_SHA256, &bytes);
    bytes.fill(0);
    key
}

impl Prefixes {
    /// The key of the network `ip` is in. The address itself is not kept.
    pub fn key_of(&self, ip: IpAddr) -> PrefixKey {
        let prefix: Vec<u8> = match ip {
            IpAddr::V4(v4) => v4.octets()[..3].to_vec(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.octets()[..3].to_vec(),
                None => v6.octets()[..6].to_vec(),
            },
        };
        let mut held = self.key.lock().unwrap_or_else(|e| e.into_inner());
        let day = today();
        if held.0 != day {
            *held = (day, fresh_key());
        }
        let tag = hmac::sign(&held.1, &prefix);
        let mut first = [0u8; 8];
        first.copy_from_slice(&tag.as_ref()[..8]);
        PrefixKey(u64::from_le_bytes(first))
    }
}

const HOUR: Duration = Duration::from_secs(3600);

type Keyed = RateLimiter<u64, DefaultKeyedStateStore<u64>, DefaultClock>;
type Direct = RateLimiter<NotKeyed, InMemoryState, DefaultClock>;

/// A budget per network and one for everyone; either may be off.
struct Budget {
    per_prefix: Option<Keyed>,
    overall: Option<Direct>,
}

impl Budget {
    fn new(per_prefix: Option<Quota>, overall: Option<Quota>) -> Budget {
        Budget {
            per_prefix: per_prefix.map(RateLimiter::keyed),
            overall: overall.map(RateLimiter::direct),
        }
    }

    /// Takes one from both budgets, or says how long to wait.
    fn take(&self, key: PrefixKey) -> Result<(), Duration> {
        let clock = DefaultClock::default();
        if let Some(limiter) = &self.per_prefix
            && let Err(not_until) = limiter.check_key(&key.0)
        {
            return Err(not_until.wait_time_from(clock.now()));
        }
        if let Some(limiter) = &self.overall
            && let Err(not_until) = limiter.check()
        {
            return Err(not_until.wait_time_from(clock.now()));
        }
        Ok(())
    }

    fn forget_idle(&self) {
        if let Some(limiter) = &self.per_prefix {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn per_minute(n: u32) -> Option<Quota> {
    NonZeroU32::new(n).map(Quota::per_minute)
}

fn per_second(n: u32) -> Option<Quota> {
    NonZeroU32::new(n).map(Quota::per_second)
}

/// What a request does, for its budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A new report or an upload for one.
    Submission,
    /// A status check, a message, an answer to an offer: the follow-up number is tried.
    FollowUp,
    /// Anything else: pages, the keyring, static files.
    Page,
}

impl Class {
    pub fn of(method: &axum::http::Method, path: &str) -> Class {
        if method != axum::http::Method::POST {
            return Class::Page;
        }
        match path {
            "/report" | "/api/v1/reports" | "/api/v1/uploads" => Class::Submission,
            "/status" | "/status/message" | "/status/assistance" | "/api/v1/status"
            | "/api/v1/messages" | "/api/v1/assistance" => Class::FollowUp,
            _ => Class::Page,
        }
    }

    /// The class's name in the metrics.
    pub fn label(self) -> &'static str {
        match self {
            Class::Submission => "submit",
            Class::FollowUp => "follow_up",
            Class::Page => "other",
        }
    }
}

/// Every budget of the public listener.
pub struct Throttle {
    enabled: bool,
    submissions: Budget,
    follow_ups: Budget,
    pages: Budget,
    /// Failed checks per network in the current hour: (hour started, failures).
    failures: Mutex<HashMap<PrefixKey, (Instant, u32)>>,
    failures_per_hour: u32,
    failing_overall: Option<Direct>,
    failed_delay: Duration,
}

impl Throttle {
    pub fn new(limits: &RateLimits) -> Throttle {
        let l = limits;
        Throttle {
            enabled: l.enabled,
            submissions: Budget::new(
                per_minute(l.submissions_per_prefix_per_minute),
                per_second(l.submissions_per_second),
            ),
            follow_ups: Budget::new(
                per_minute(l.follow_ups_per_prefix_per_minute),
                per_second(l.follow_ups_per_second),
            ),
            pages: Budget::new(per_minute(l.pages_per_prefix_per_minute), None),
            failures: Mutex::new(HashMap::new()),
            failures_per_hour: l.failed_checks_per_prefix_per_hour,
            failing_overall: per_minute(l.failed_checks_per_minute).map(RateLimiter::direct),
            failed_delay: Duration::from_millis(l.failed_check_delay_ms),
        }
    }

    /// Admits a request of `class` from the network `key`, or says how long to wait.
    pub fn admit(&self, class: Class, key: PrefixKey) -> Result<(), Duration> {
        if !self.enabled {
            return Ok(());
        }
        if class == Class::FollowUp
            && let Some(wait) = self.locked_out(key)
        {
            return Err(wait);
        }
        match class {
            Class::Submission => self.submissions.take(key),
            Class::FollowUp => self.follow_ups.take(key),
            Class::Page => self.pages.take(key),
        }
    }

    /// How long the network's follow-ups still wait after its failed checks ran out, if they do.
    /// A report that brings its own lookup key waits too (`public::api`): a key already taken
    /// would answer the question a status check asks.
    pub fn locked_out(&self, key: PrefixKey) -> Option<Duration> {
        if !self.enabled || self.failures_per_hour == 0 {
            return None;
        }
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match failures.get(&key) {
            Some((started, count)) if *count >= self.failures_per_hour && now < *started + HOUR => {
                Some(*started + HOUR - now)
            }
            _ => None,
        }
    }

    /// Counts a failed status check; returns how long to hold back the failing answer (zero
    /// unless failures overall are over their budget).
    pub fn failed(&self, key: PrefixKey) -> Duration {
        if !self.enabled {
            return Duration::ZERO;
        }
        if self.failures_per_hour > 0 {
            let now = Instant::now();
            let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
            let entry = failures.entry(key).or_insert((now, 0));
            if now >= entry.0 + HOUR {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
        match &self.failing_overall {
            Some(limiter) if limiter.check().is_err() => self.failed_delay,
            _ => Duration::ZERO,
        }
    }

    /// Drops what is kept of networks idle for a while (run every minute).
    pub fn forget_idle(&self) {
        for budget in [&self.submissions, &self.follow_ups, &self.pages] {
            budget.forget_idle();
        }
        let now = Instant::now();
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (started, _)| now < *started + HOUR);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_is_one_key_and_the_address_inside_it_does_not_matter() {
        let prefixes = Prefixes::default();
        let a = prefixes.key_of("10.1.2.3".parse().unwrap());
        assert_eq!(a, prefixes.key_of("10.1.2.250".parse().unwrap()));
        assert_ne!(a, prefixes.key_of("10.1.3.3".parse().unwrap()));
        let v6 = prefixes.key_of("2001:db8:aa:1::1".parse().unwrap());
        assert_eq!(v6, prefixes.key_of("2001:db8:aa:ffff::9".parse().unwrap()));
        assert_ne!(v6, prefixes.key_of("2001:db8:ab::1".parse().unwrap()));
        assert_eq!(a, prefixes.key_of("::ffff:10.1.2.9".parse().unwrap()));
        // Another gateway, or tomorrow, hashes the same network differently.
        assert_ne!(a, Prefixes::default().key_of("10.1.2.3".parse().unwrap()));
    }

    #[test]
    fn a_network_over_its_budget_waits_and_others_do_not() {
        let throttle = Throttle::new(&RateLimits {
            submissions_per_prefix_per_minute: 3,
            ..RateLimits::default()
        });
        let (flood, other) = (PrefixKey(1), PrefixKey(2));
        for _ in 0..3 {
            assert!(throttle.admit(Class::Submission, flood).is_ok());
        }
        let wait = throttle.admit(Class::Submission, flood).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60));
        assert!(throttle.admit(Class::Submission, other).is_ok());
        assert!(
            throttle.admit(Class::Page, flood).is_ok(),
            "pages have their own budget"
        );
    }

    #[test]
    fn failed_checks_past_the_budget_make_the_network_wait_for_follow_ups() {
        let throttle = Throttle::new(&RateLimits {
            failed_checks_per_prefix_per_hour: 2,
            failed_checks_per_minute: 3,
            ..RateLimits::default()
        });
        let guesser = PrefixKey(7);
        assert_eq!(throttle.failed(guesser), Duration::ZERO);
        assert!(throttle.admit(Class::FollowUp, guesser).is_ok());
        // The second failure spends the network's budget; the third the overall one.
        assert_eq!(throttle.failed(guesser), Duration::ZERO);
        let wait = throttle.admit(Class::FollowUp, guesser).unwrap_err();
        assert!(wait > Duration::from_secs(3500), "{wait:?}");
        assert_eq!(throttle.failed(PrefixKey(9)), Duration::ZERO);
        assert!(
            throttle.admit(Class::Submission, guesser).is_ok(),
            "reporting stays open"
        );
        assert!(throttle.admit(Class::FollowUp, PrefixKey(8)).is_ok());
        assert!(
            throttle.failed(PrefixKey(8)) > Duration::ZERO,
            "failures overall slow down"
        );
    }

    #[test]
    fn turned_off_it_admits_everything() {
        let throttle = Throttle::new(&RateLimits {
            enabled: false,
            submissions_per_prefix_per_minute: 1,
            ..RateLimits::default()
        });
        for _ in 0..10 {
            assert!(throttle.admit(Class::Submission, PrefixKey(1)).is_ok());
        }
    }
}
