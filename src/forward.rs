//! Push forwarding: every new report, file and message of an entity's cases, still sealed, is
//! delivered to the entity's own HTTPS endpoint over mutual TLS.
//!
//! The outbox lives in the database: a trigger adds a row in the transaction that stores the
//! envelope, and the row goes only when the receiver answers 2xx. So a delivery survives
//! restarts and crashes and happens at least once; the envelope id, sent as `Idempotency-Key`,
//! lets the receiver drop repeats. A failing endpoint is retried with a backoff that doubles
//! from `retry_first_secs` to `retry_max_secs`, kept in memory; one gateway at a time delivers
//! an entity's envelopes (a lease in the database), so several gateways on one database do
//! not race.
//! Only sealed bytes leave: nothing here can open an envelope.

use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::config::Config;
use crate::keyring::Keyring;
use crate::store::Store;

/// Checks the forwarding configuration as a start would (`confide check`).
pub fn check(config: &Config, keyring: &Keyring) -> Result<()> {
    targets(config, keyring).map(|_| ())
}

/// How long a gateway's hold on an entity's deliveries lasts unless renewed. Short, so that the
/// deliveries of a gateway that was killed mid-round go on from another (or from the same one,
/// restarted) within half a minute; renewed every `RENEW_SECS` while the round runs.
const LEASE_SECS: i64 = 30;
const RENEW_SECS: u64 = 10;
/// How long one round may go on before the hold is given back, so that gateways share the work.
const ROUND_SECS: i64 = 150;
/// Envelopes read from the outbox at a time.
const PAGE: i64 = 64;
/// The longest one delivery may take (a large file over a slow link).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(150);

struct Target {
    entity: String,
    url: String,
    client: reqwest::Client,
    first: u64,
    max: u64,
}

pub struct Forwarder {
    store: Store,
    targets: Vec<Target>,
}

impl Forwarder {
    /// The forwarding the configuration asks for, with its TLS files loaded and checked.
    pub fn new(config: &Config, keyring: &Keyring, store: Store) -> Result<Forwarder> {
        Ok(Forwarder {
            store,
            targets: targets(config, keyring)?,
        })
    }
}

fn targets(config: &Config, keyring: &Keyring) -> Result<Vec<Target>> {
    let mut targets = Vec::new();
    for (entity, forward) in &config.forward {
        if keyring.entity(entity).is_none() {
            bail!("forward.{entity}: there is no entity {entity:?} in the keyring");
        }
        targets.push(Target {
            entity: entity.clone(),
            url: forward.url.clone(),
            client: client(forward).with_context(|| format!("forward.{entity}"))?,
            first: forward.retry_first_secs,
            max: forward.retry_max_secs,
        });
    }
    Ok(targets)
}

impl Forwarder {
    pub fn entities(&self) -> Vec<String> {
        self.targets.iter().map(|t| t.entity.clone()).collect()
    }

    /// Delivers until the process stops: each entity whose endpoint is not backing off, every
    /// second. The retry state lives here, in memory: the database keeps no trace of when a
    /// delivery failed, which would date the report that was waiting. For the same reason the
    /// log says only, once a day, which endpoints fail or work again.
    pub async fn run(self) {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut health: Vec<Health> = self.targets.iter().map(|_| Health::default()).collect();
        let mut day = unix_now() / 86_400;
        loop {
            every.tick().await;
            for (target, health) in self.targets.iter().zip(health.iter_mut()) {
                let now = std::time::Instant::now();
                if health.wait_until.is_some_and(|t| t > now) {
                    continue;
                }
                health.refused.retain(|_, until| *until > now);
                match self.round(target, &health.refused).await {
                    Ok(Round::Idle) => {}
                    Ok(Round::Done { refused }) => {
                        health.failures = 0;
                        for (id, error) in refused {
                            // An envelope the receiver refuses waits on its own, so that it
                            // does not hold up the others.
                            let tries = health.refused_tries.entry(id.clone()).or_insert(0);
                            *tries += 1;
                            let wait = backoff(target.first, target.max, *tries);
                            health.refused.insert(
                                id,
                                now + Duration::from_secs(u64::try_from(wait).unwrap_or(0)),
                            );
                            health.failing_since_report = true;
                            health.last_error = error;
                        }
                    }
                    Ok(Round::Unreachable(e)) => {
                        health.failures += 1;
                        health.failing_since_report = true;
                        health.last_error = e;
                        let wait = backoff(target.first, target.max, health.failures);
                        health.wait_until =
                            Some(now + Duration::from_secs(u64::try_from(wait).unwrap_or(0)));
                    }
                    Err(e) => {
                        tracing::error!(entity = %target.entity, error = %e, "forwarding: the outbox could not be read")
                    }
                }
                health
                    .refused_tries
                    .retain(|id, _| health.refused.contains_key(id));
            }
            if unix_now() / 86_400 != day {
                day = unix_now() / 86_400;
                for (target, health) in self.targets.iter().zip(health.iter_mut()) {
                    if health.failing_since_report {
                        tracing::warn!(entity = %target.entity, error = %health.last_error, "forwarding: deliveries failed since yesterday; what failed waits in the outbox");
                    }
                    health.failing_since_report = false;
                }
            }
        }
    }

    /// One round for an entity: its waiting envelopes, page by page, one after another, while
    /// this gateway holds the entity, renewing the hold as it goes. `skip` are envelopes the
    /// receiver refused, waiting for their own retry.
    async fn round(
        &self,
        target: &Target,
        skip: &std::collections::HashMap<String, std::time::Instant>,
    ) -> Result<Round> {
        // A read first: an idle gateway does not write to the database every second. A lease
        // left by a gateway killed mid-round is taken over, and cleared, within LEASE_SECS.
        if self.store.waiting(&target.entity, "", 1).await?.is_empty() {
            return Ok(Round::Idle);
        }
        let now = unix_now();
        let mut until = now + LEASE_SECS;
        if !self
            .store
            .claim_forwarding(&target.entity, now, until)
            .await?
        {
            return Ok(Round::Idle);
        }
        let deliveries = self.deliver_waiting(target, skip, now);
        tokio::pin!(deliveries);
        let period = Duration::from_secs(RENEW_SECS);
        let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let result = loop {
            tokio::select! {
                result = &mut deliveries => break result,
                _ = renew.tick() => {
                    let next = unix_now() + LEASE_SECS;
                    match self.store.renew_forwarding(&target.entity, until, next).await {
                        Ok(true) => until = next,
                        // Held too long without a renewal (a stalled database): another
                        // gateway may deliver now, so this one stops. A delivery cut short
                        // here is made again: at least once.
                        Ok(false) => return Ok(Round::Idle),
                        Err(e) => break Err(e.into()),
                    }
                }
            }
        };
        self.store.release_forwarding(&target.entity, until).await?;
        result
    }

    async fn deliver_waiting(
        &self,
        target: &Target,
        skip: &std::collections::HashMap<String, std::time::Instant>,
        started: i64,
    ) -> Result<Round> {
        let mut refused = Vec::new();
        let mut after = String::new();
        let mut tried = false;
        loop {
            let page = self.store.waiting(&target.entity, &after, PAGE).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.clone();
            for id in page.iter().filter(|id| !skip.contains_key(*id)) {
                if unix_now() - started > ROUND_SECS {
                    return Ok(Round::Done { refused });
                }
                tried = true;
                match self.deliver(target, id).await {
                    Ok(()) => {}
                    Err(Failure::Unreachable(e)) => return Ok(Round::Unreachable(e)),
                    Err(Failure::Refused(e)) => refused.push((id.clone(), e)),
                    Err(Failure::Store(e)) => return Err(e),
                }
            }
        }
        Ok(if tried {
            Round::Done { refused }
        } else {
            Round::Idle
        })
    }

    async fn deliver(&self, target: &Target, id: &str) -> Result<(), Failure> {
        let Some(meta) = self.store.envelope(id).await.map_err(store)? else {
            // Purged with its case since it was listed: nothing left to deliver.
            self.store.delivered(id).await.map_err(store)?;
            return Ok(());
        };
        let body = if meta.chunks == 0 {
            reqwest::Body::from(self.store.envelope_body(id).await.map_err(store)?)
        } else {
            reqwest::Body::wrap_stream(self.store.envelope_pieces(id.to_string(), meta.chunks))
        };
        let response = target
            .client
            .post(&target.url)
            .header(reqwest::header::CONTENT_TYPE, "application/age")
            .header(reqwest::header::CONTENT_LENGTH, meta.size)
            .header("Idempotency-Key", id)
            .header("Confide-Envelope", id)
            .header("Confide-Case", &meta.case_id)
            .header("Confide-Kind", meta.kind.code())
            .body(body)
            .send()
            .await
            .map_err(|e| {
                Failure::Unreachable(format!("cannot reach the receiver: {}", without_url(e)))
            })?;
        let status = response.status();
        if status.is_server_error() {
            // The receiver as a whole is failing: back off the endpoint.
            return Err(Failure::Unreachable(format!(
                "the receiver answered {status}"
            )));
        }
        if !status.is_success() {
            return Err(Failure::Refused(format!("the receiver answered {status}")));
        }
        self.store.delivered(id).await.map_err(store)?;
        Ok(())
    }
}

#[derive(Default)]
struct Health {
    /// Rounds in a row that could not reach the receiver.
    failures: i64,
    wait_until: Option<std::time::Instant>,
    /// Envelopes the receiver refused, and when each may be tried again.
    refused: std::collections::HashMap<String, std::time::Instant>,
    refused_tries: std::collections::HashMap<String, i64>,
    last_error: String,
    failing_since_report: bool,
}

enum Round {
    /// Nothing to deliver, or another gateway holds the entity.
    Idle,
    /// Every waiting envelope was tried; these were refused.
    Done { refused: Vec<(String, String)> },
    /// The receiver could not be reached (or failed as a whole): the round stopped.
    Unreachable(String),
}

enum Failure {
    Unreachable(String),
    Refused(String),
    Store(anyhow::Error),
}

fn store(e: crate::store::StoreError) -> Failure {
    Failure::Store(e.into())
}

/// The wait after `failures` failures in a row: `first`, doubling, at most `max` (seconds).
pub fn backoff(first: u64, max: u64, failures: i64) -> i64 {
    let doublings = u32::try_from(failures.saturating_sub(1).clamp(0, 32)).unwrap_or(32);
    let wait = first.saturating_mul(1u64 << doublings).min(max);
    i64::try_from(wait).unwrap_or(i64::MAX)
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A reqwest error's cause without the URL (which may carry a secret path).
fn without_url(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    if let Some(source) = std::error::Error::source(&error) {
        text.push_str(&format!(": {source}"));
    }
    text
}

fn client(forward: &crate::config::Forward) -> Result<reqwest::Client> {
    let read = |p: &std::path::Path| {
        std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
    };
    let ca = reqwest::Certificate::from_pem(&read(&forward.ca)?)
        .context("ca is not a PEM certificate")?;
    let mut pem = zeroize::Zeroizing::new(read(&forward.certificate)?);
    pem.push(b'\n');
    pem.extend_from_slice(&zeroize::Zeroizing::new(read(&forward.key)?));
    let identity = reqwest::Identity::from_pem(&pem)
        .context("certificate and key are not a PEM certificate and its key")?;
    Ok(reqwest::Client::builder()
        .tls_certs_only([ca])
        .identity(identity)
        .https_only(true)
        // A redirect would turn the POST into a GET whose 2xx marks the envelope delivered.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(60))
        .timeout(DELIVERY_TIMEOUT)
        .build()?)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn the_wait_doubles_from_the_first_and_stops_at_the_longest() {
        assert_eq!(backoff(5, 3600, 1), 5);
        assert_eq!(backoff(5, 3600, 2), 10);
        assert_eq!(backoff(5, 3600, 4), 40);
        assert_eq!(backoff(5, 3600, 11), 3600);
        assert_eq!(backoff(5, 3600, 1000), 3600);
        assert_eq!(backoff(1, 2, 0), 1);
    }
}
