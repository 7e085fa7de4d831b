//! Start-up: from a validated configuration to two listening TLS servers.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use tokio::net::TcpListener;
use zeroize::Zeroizing;

use crate::config::Config;
use crate::http::{self, AppState};
use crate::intake::Intake;
use crate::keyring::Live;
use crate::store::Store;
use crate::tls;
use crate::token::ServerSecret;

/// A gateway whose listeners are bound and serving.
pub struct Running {
    pub public_addr: SocketAddr,
    pub staff_addr: SocketAddr,
    /// The two listeners.
    listeners: tokio::task::JoinSet<()>,
    /// Housekeeping, certificate reloads, the rate limits' upkeep: stopped with the process.
    background: tokio::task::JoinSet<()>,
    stop: tokio::sync::watch::Sender<bool>,
    /// Whether storing works; the gateway exits once it stopped for good.
    health: Arc<crate::store::health::Health>,
}

/// The gateway stopped because storing stopped for good (a failed sync): the process exits with
/// [`crate::store::health::EXIT_STORAGE_STOPPED`] so that its supervisor starts it again.
#[derive(Debug, thiserror::Error)]
#[error(
    "storing stopped for good (see the log for the cause); the gateway exited so that a restart \
     recovers the database: check the disk, then start it again (systemd does this by itself)"
)]
pub struct StorageStopped;

/// How long a gateway whose storage stopped for good still answers (503 to reports, "not
/// ready" to `/readyz`, the state in `/metrics`) before it stops: long enough for a load
/// balancer's probe and a scrape to see it, short enough that the restart comes soon.
const STOPPED_LINGER: std::time::Duration = std::time::Duration::from_secs(3);

/// Whether the server secret file may be readable by others (only in demo mode).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Production,
    Demo,
}

impl Running {
    /// Serves until the process is told to stop (Ctrl-C or SIGTERM), then stops accepting,
    /// lets every request under way finish (a report being stored is answered with its token),
    /// and returns.
    ///
    /// When storing stops for good it stops the same way, then returns [`StorageStopped`]: the
    /// requests under way get their answers (503, nothing stored), and the restart that follows
    /// lets SQLite recover the database from what is really on disk.
    pub async fn wait(mut self) -> Result<()> {
        let health = self.health.clone();
        let storage_stopped = tokio::select! {
            _ = shutdown_signal() => false,
            _ = health.stopped() => true,
            Some(result) = self.listeners.join_next() => {
                result.context("a listener stopped unexpectedly")?;
                bail!("a listener stopped unexpectedly")
            }
        };
        if storage_stopped {
            tracing::error!(
                "storing stopped for good: answering 503 for {} s so that load balancers and \
                 monitoring see it, then finishing the requests under way and exiting with \
                 status {} so that the supervisor restarts the gateway",
                STOPPED_LINGER.as_secs(),
                crate::store::health::EXIT_STORAGE_STOPPED
            );
            tokio::time::sleep(STOPPED_LINGER).await;
        } else {
            tracing::info!("stopping: finishing the requests under way");
        }
        let _ = self.stop.send(true);
        while self.listeners.join_next().await.is_some() {}
        self.background.abort_all();
        tracing::info!("stopped");
        // Storing may also have stopped while a SIGTERM's requests were being finished.
        if storage_stopped || self.health.is_stopped() {
            return Err(StorageStopped.into());
        }
        Ok(())
    }
}

/// Loads everything the configuration names, checks it, binds both listeners and starts them.
pub async fn start(config: &Config, mode: Mode, clock: http::Clock) -> Result<Running> {
    tls::install_crypto_provider();
    if config.metrics.interval_secs == 0 && mode == Mode::Production {
        bail!(
            "metrics.interval_secs = 0 publishes reporter figures live, which would date reports: the demo only"
        );
    }
    let pin = config.organisation_key()?;
    if pin.is_none() && mode == Mode::Production {
        bail!(
            "organisation_key is not set: a gateway seals reports only to a keyring signed by the organisation. Make the key with `confide keys organisation`, sign the keyring with `confide keys sign`, and put the public key in the configuration (see docs/DEPLOY.md)"
        );
    }
    let keyring = Arc::new(Live::open(&config.keyring, pin)?);
    if keyring.current().signature().is_none() {
        tracing::warn!("the keyring is not signed (demo only): browsers will seal on the server");
    }
    // Every language's messages are parsed now, so that a broken file stops the start, not a
    // reporter's page.
    crate::i18n::load();
    let secret = load_server_secret(&config.server_secret_file, mode)?;
    let once = crate::http::public::once::Once::new(secret.derive("confide/form-marks/1"));
    let stretch = config.stretch_params()?;

    let cert = tls::ServerCert::load(&config.tls.certificate, &config.tls.key)?;
    let ca = tls::load_certificates(&config.tls.staff_ca)?;
    let public_tls = tls::public_config(cert.clone())?;
    let staff_tls = tls::staff_config(cert.clone(), ca)?;

    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    let store = Store::open(&config.database_url())
        .await
        .context("cannot open the database")?;

    keyring.set_revoked(
        store
            .revocations()
            .await
            .context("cannot read the revocations")?,
    );
    accept_keyring(&store, &keyring.current()).await?;
    let forwarder = crate::forward::Forwarder::new(config, &keyring.current(), store.clone())?;
    store
        .add_forward_targets(&forwarder.entities())
        .await
        .context("cannot record the forwarding targets")?;
    let intake = Intake::new(
        store.clone(),
        keyring.clone(),
        secret,
        stretch,
        config.limits.clone(),
    );
    let health = store.health().clone();
    let state = AppState::new(http::Shared {
        intake: Arc::new(intake),
        store,
        keyring,
        clocks: Arc::new(config.deadlines.clone()),
        clock,
        quick_exit: Arc::from(config.pages.quick_exit_url.as_str()),
        once: Arc::new(once),
        throttle: Arc::new(http::throttle::Throttle::new(&config.rate_limits)),
        work: Arc::new(http::public::work::Work::new(
            if config.rate_limits.enabled {
                config.rate_limits.pow_above_submissions_per_minute
            } else {
                0
            },
            config.rate_limits.pow_bits,
        )),

        onion_location: config.pages.onion_location.as_deref().map(Arc::from),
        organisation_key: pin.map(|key| Arc::from(key.to_string())),
        metrics: Arc::new(crate::metrics::Metrics::new(config.metrics.interval_secs)),
    });

    let public = bind(config.public_addr, "public").await?;
    let staff = bind(config.staff_addr, "staff").await?;
    let running_addrs = (public.local_addr()?, staff.local_addr()?);
    let places = http::pool::Places {
        handshakes: config.limits.max_connections,
        served: config.limits.max_connections,
    };
    crate::descriptors::raise(places)?;
    let pace = config.limits.pace();
    let mut tasks = tokio::task::JoinSet::new();
    let mut listeners = tokio::task::JoinSet::new();
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let retention = config.retention.purge_closed_after_days;
    purge(&state.store, &state.clock, retention).await;
    tasks.spawn(maintain(
        state.store.clone(),
        state.clock.clone(),
        retention,
    ));
    tasks.spawn(cover_writes(
        state.store.clone(),
        std::time::Duration::from_secs(config.storage.cover_write_mean_secs),
    ));
    // SIGHUP reloads the certificate, its key and the keyring (a renewal or a new staff member
    // needs no restart).
    let files = config.tls.clone();
    let live = state.keyring.clone();
    let keys_store = state.store.clone();
    tasks.spawn(async move {
        let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hangups.recv().await.is_some() {
            match cert.reload(&files.certificate, &files.key) {
                Ok(()) => tracing::info!("TLS certificate and key reloaded"),
                Err(e) => tracing::error!(error = %e, "reloading the TLS certificate failed; the old one is still served"),
            }
            let fresh = match live.read_again() {
                Ok(fresh) => fresh,
                Err(e) => {
                    tracing::error!(error = %e, "reloading the keyring failed; the old one is still used");
                    continue;
                }
            };
            match accept_keyring(&keys_store, &fresh).await {
                Ok(()) => {
                    live.install(fresh);
                    tracing::info!("keyring reloaded")
                }
                Err(e) => tracing::error!(error = %e, "reloading the keyring failed; the old one is still used"),
            }
        }
    });
    // Revocations recorded in the database (by any gateway's administrator) reach this
    // gateway's sealing within two seconds; staff requests check the database themselves.
    let (live, store) = (state.keyring.clone(), state.store.clone());
    tasks.spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            every.tick().await;
            match store.revocations().await {
                Ok(revoked) => {
                    if live.set_revoked(revoked) {
                        tracing::info!("revocations applied to the keyring");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "reading revocations failed"),
            }
        }
    });
    tasks.spawn(forwarder.run());
    // One snapshot before the listeners open, so that the outbox and memory read what they
    // are rather than 0 until the first round multiple (a day by default): nothing reporters
    // caused in this process is in it yet.
    match state.store.outbox_depth().await {
        Ok(depth) => state.metrics.snapshot(depth),
        Err(e) => tracing::warn!(error = %e, "reading the outbox's depth failed"),
    }
    // Snapshots of the reporter-driven figures, on the clock's round multiples.
    let (metrics, store) = (state.metrics.clone(), state.store.clone());
    tasks.spawn(async move {
        let unix = || u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
        while let Some(wait) = metrics.until_next_snapshot(unix()) {
            tokio::time::sleep(wait).await;
            match store.outbox_depth().await {
                Ok(depth) => metrics.snapshot(depth),
                Err(e) => tracing::warn!(error = %e, "reading the outbox's depth failed"),
            }
        }
    });
    let throttle = state.throttle.clone();
    let once = state.once.clone();
    tasks.spawn(async move {
        let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every_minute.tick().await;
            throttle.forget_idle();
            // Numbers kept to be shown again to a form sent twice, past their time.
            once.wipe_numbers();
        }
    });
    listeners.spawn(http::listener::serve(
        public,
        public_tls,
        http::public_router(state.clone()),
        http::listener::Listening {
            places,
            pace,
            tell_network: true,
        },
        stopping.clone(),
    ));
    listeners.spawn(http::listener::serve(
        staff,
        staff_tls,
        http::staff_router(state),
        http::listener::Listening {
            places,
            pace,
            tell_network: false,
        },
        stopping,
    ));
    Ok(Running {
        public_addr: running_addrs.0,
        staff_addr: running_addrs.1,
        listeners,
        background: tasks,
        stop,
        health,
    })
}

/// Housekeeping while the gateway runs: a WAL checkpoint every second, every hour the sweep of
/// abandoned uploads (which could otherwise fill the disk), and every day the purge of cases
/// closed longer ago than the retention time.
async fn maintain(store: Store, clock: http::Clock, retention_days: u32) {
    let mut every_second = tokio::time::interval(std::time::Duration::from_secs(1));
    // A checkpoint that fails (a full disk) fails every second until it works again: one line
    // when they start failing and one when they work again.
    let mut checkpoints_failing = false;
    for tick in 1u64.. {
        every_second.tick().await;
        match store.checkpoint().await {
            Err(e) if !checkpoints_failing => {
                checkpoints_failing = true;
                tracing::warn!(error = %e, "WAL checkpoints fail; the WAL grows until they work again");
            }
            Ok(()) if checkpoints_failing => {
                checkpoints_failing = false;
                tracing::info!("WAL checkpoints work again");
            }
            _ => {}
        }
        if tick % 3600 == 0
            && let Err(e) = store.sweep(clock().date()).await
        {
            tracing::error!(error = %e, "sweeping abandoned uploads failed");
        }
        if tick % 86_400 == 0 {
            purge(&store, &clock, retention_days).await;
        }
    }
}

/// Writes the database at random moments, so that its files' times do not date the latest
/// report (`store::cover`). A failure (a full disk) is left to the store's health check, which
/// the reports' own writes report; one line here when cover writes start failing.
async fn cover_writes(store: Store, mean: std::time::Duration) {
    let mut failing = false;
    loop {
        tokio::time::sleep(crate::store::cover::next_wait(mean)).await;
        match store.cover_write().await {
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "cover writes fail; the database files' times may date the latest report");
            }
            Ok(()) => failing = false,
            Err(_) => {}
        }
    }
}

/// Deletes cases closed more than `retention_days` ago (none when it is 0).
async fn purge(store: &Store, clock: &http::Clock, retention_days: u32) {
    if retention_days == 0 {
        return;
    }
    let cutoff = clock().date() - time::Duration::days(i64::from(retention_days));
    match store.purge_closed(cutoff).await {
        // A count and nothing else: it identifies no case.
        Ok(purged) if purged > 0 => {
            tracing::info!(purged, "closed cases past retention were deleted")
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "purging closed cases failed"),
    }
}

/// Has the database accept the keyring (not older than one it has seen) and record the keys
/// it gives each member, so that a changed key opens that member's rotation
/// (`store::revocations`).
async fn accept_keyring(store: &Store, keyring: &crate::keyring::Keyring) -> Result<()> {
    let keys: Vec<(String, String)> = keyring
        .staff()
        .iter()
        .map(|s| (s.name.clone(), s.recipient.to_string()))
        .collect();
    store
        .accept_keyring(keyring.serial(), &keys)
        .await
        .map_err(|e| anyhow::anyhow!("the keyring was not accepted: {e}"))?;
    Ok(())
}

async fn bind(addr: SocketAddr, which: &str) -> Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} for the {which} listener; is another server using it?")
    })
}

pub(crate) fn load_server_secret(path: &Path, mode: Mode) -> Result<ServerSecret> {
    let bytes = Zeroizing::new(std::fs::read(path).with_context(|| {
        format!(
            "cannot read the server secret {}; create one with: head -c 32 /dev/urandom > {0} && chmod 600 {0}",
            path.display()
        )
    })?);
    #[cfg(unix)]
    if mode == Mode::Production {
        use std::os::unix::fs::PermissionsExt;
        let permissions = std::fs::metadata(path)?.permissions().mode();
        if permissions & 0o077 != 0 {
            bail!(
                "the server secret {} is readable by other users; run: chmod 600 {0}",
                path.display()
            );
        }
    }
    ServerSecret::from_bytes(&bytes).with_context(|| {
        format!(
            "the server secret {} must hold at least {} bytes",
            path.display(),
            ServerSecret::MIN_BYTES
        )
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
