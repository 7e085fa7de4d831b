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

/// How long a gateway holds an entity's deliveries before another may take them.
const LEASE_SECS: i64 = 300;
/// Envelopes delivered in one round before the lease is given back.
const ROUND: i64 = 64;

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
    /// second. The backoff lives here, in memory: the database keeps no trace of when a
    /// delivery failed, which would date the report that was waiting. For the same reason the
    /// log says only, once an hour, which endpoints fail or work again.
    pub async fn run(self) {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut health: Vec<Health> = self.targets.iter().map(|_| Health::default()).collect();
        let mut hour = unix_now() / 3600;
        loop {
            every.tick().await;
            for (target, health) in self.targets.iter().zip(health.iter_mut()) {
                if health
                    .wait_until
                    .is_some_and(|t| t > std::time::Instant::now())
                {
                    continue;
                }
                match self.round(target).await {
                    Ok(Outcome::Idle | Outcome::Delivered) => {
                        health.failures = 0;
                    }
                    Ok(Outcome::Failed(e)) => {
                        health.failures += 1;
                        health.last_error = e;
                        let wait = backoff(target.first, target.max, health.failures);
                        health.wait_until = Some(
                            std::time::Instant::now()
                                + Duration::from_secs(u64::try_from(wait).unwrap_or(0)),
                        );
                    }
                    Err(e) => {
                        tracing::error!(entity = %target.entity, error = %e, "forwarding: the outbox could not be read")
                    }
                }
            }
            if unix_now() / 3600 != hour {
                hour = unix_now() / 3600;
                for (target, health) in self.targets.iter().zip(health.iter_mut()) {
                    let failing = health.failures > 0;
                    if failing {
                        tracing::warn!(entity = %target.entity, error = %health.last_error, "forwarding: the receiver is failing; envelopes wait in the outbox");
                    } else if health.reported_failing {
                        tracing::info!(entity = %target.entity, "forwarding: the receiver works again");
                    }
                    health.reported_failing = failing;
                }
            }
        }
    }

    /// One round for an entity: its waiting envelopes, one after another, while this gateway
    /// holds the entity. An envelope the receiver refuses does not hold up the others; a
    /// receiver that cannot be reached ends the round.
    async fn round(&self, target: &Target) -> Result<Outcome> {
        let now = unix_now();
        let until = now + LEASE_SECS;
        if !self
            .store
            .claim_forwarding(&target.entity, now, until)
            .await?
        {
            return Ok(Outcome::Idle);
        }
        let result = self.deliver_waiting(target, now).await;
        self.store.release_forwarding(&target.entity, until).await?;
        result
    }

    async fn deliver_waiting(&self, target: &Target, started: i64) -> Result<Outcome> {
        let waiting = self.store.waiting(&target.entity, ROUND).await?;
        if waiting.is_empty() {
            return Ok(Outcome::Idle);
        }
        let mut refused = None;
        for id in &waiting {
            // Well inside the lease, so that no other gateway takes over mid-delivery.
            if unix_now() - started > LEASE_SECS / 2 {
                break;
            }
            match self.deliver(target, id).await {
                Ok(()) => {}
                Err(Failure::Unreachable(e)) => return Ok(Outcome::Failed(e)),
                Err(Failure::Refused(e)) => refused = Some(e),
                Err(Failure::Store(e)) => return Err(e),
            }
        }
        Ok(match refused {
            Some(e) => Outcome::Failed(e),
            None => Outcome::Delivered,
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
            reqwest::Body::wrap_stream(chunks(self.store.clone(), id.to_string(), meta.chunks))
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
        if !response.status().is_success() {
            return Err(Failure::Refused(format!(
                "the receiver answered {}",
                response.status()
            )));
        }
        self.store.delivered(id).await.map_err(store)?;
        Ok(())
    }
}

#[derive(Default)]
struct Health {
    failures: i64,
    wait_until: Option<std::time::Instant>,
    last_error: String,
    reported_failing: bool,
}

enum Outcome {
    /// Nothing waited, or another gateway holds the entity.
    Idle,
    Delivered,
    /// At least one envelope did not arrive.
    Failed(String),
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

fn chunks(
    store: Store,
    id: String,
    count: u32,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::unfold(0u32, move |seq| {
        let (store, id) = (store.clone(), id.clone());
        async move {
            if seq == count {
                return None;
            }
            let piece = store
                .envelope_chunk(&id, seq)
                .await
                .map_err(std::io::Error::other);
            Some((piece, seq + 1))
        }
    })
}

fn client(forward: &crate::config::Forward) -> Result<reqwest::Client> {
    let read = |p: &std::path::Path| {
        std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
    };
    let ca = reqwest::Certificate::from_pem(&read(&forward.ca)?)
        .context("ca is not a PEM certificate")?;
    let mut pem = zeroize::Zeroizing::new(read(&forward.certificate)?);
    pem.push(b'\n');
    pem.extend_from_slice(&read(&forward.key)?);
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
