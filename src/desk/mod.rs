//! `confide desk`: the staff member's desk, in their own browser, served by this binary on
//! their own machine. It is the same client as `confide staff` (the same profile, the same
//! sealing and opening on this machine), drawn as pages: an inbox by role, one timeline per
//! case, replies, notes and the casework of resolution 78/331, and files shown safely.
//!
//! Nothing of it comes from the gateway but sealed envelopes and metadata: the pages, the
//! code that opens envelopes and the keys are all here. The gateway is reached over mutual TLS
//! exactly as the CLI reaches it.
//!
//! - [`guard`]: what every request must pass (Host, session, same origin, form mark).
//! - [`vault`]: the desk's folder, which holds nothing readable.
//! - [`session`]: the unlocked state (keys, client, inbox), dropped on lock.
//! - [`inbox`]: the inbox and each case's items, built in memory.
//! - [`pages`]: the pages and the forms they post.
//! - [`roles`]: the pages of assistance officers, focal points and auditors.
//! - [`files`]: files shown without danger.
//! - [`export`]: evidence exports sealed with age.

mod export;
mod files;
mod guard;
mod inbox;
mod pages;
mod roles;
mod session;
mod vault;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use zeroize::Zeroizing;

use crate::cli::staff_client::Connection;
use crate::i18n::{Book, Tr};

#[derive(Args)]
pub struct DeskArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Your profile, as `confide staff init` wrote it (default: ~/.config/confide/staff.toml).
    #[arg(long, env = "CONFIDE_STAFF_PROFILE")]
    profile: Option<PathBuf>,
    /// Your age identity file (default: the profile's).
    #[arg(long, env = "CONFIDE_STAFF_IDENTITY")]
    identity: Option<PathBuf>,
    /// The desk's folder, where envelopes are kept sealed between runs (default:
    /// ~/.local/share/confide/desk).
    #[arg(long, env = "CONFIDE_DESK_DATA")]
    data: Option<PathBuf>,
    /// The loopback address to serve on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Minutes without use after which the desk locks itself (keys and opened text wiped).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=720))]
    idle_minutes: u64,
    /// For tests of the idle lock: seconds instead of minutes.
    #[arg(long, hide = true)]
    idle_seconds: Option<u64>,
}

/// The random first part of every address of the desk (`/PREFIX/…`), set once at start. The
/// session cookie is bound to it (`Path=`): browsers keep cookies apart by host, not by port,
/// so without it any other program serving pages on 127.0.0.1 would receive the cookie.
static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// `/PREFIX`, for links and redirects.
pub fn at() -> &'static str {
    PREFIX.get().map(String::as_str).unwrap_or("")
}

/// An address of the desk: `path` under the prefix.
pub(crate) fn to(path: &str) -> String {
    format!("{}{path}", at())
}

/// A redirect (303) to an address of the desk.
pub(crate) fn go(path: &str) -> axum::response::Response {
    axum::response::IntoResponse::into_response(axum::response::Redirect::to(&to(path)))
}

/// Where the desk keeps its sealed copies when no folder is named.
fn default_data() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("LOCALAPPDATA").map(PathBuf::from))
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local").join("share"))
        })?;
    Some(base.join("confide").join("desk"))
}

/// The running desk, shared by every request.
pub struct Desk {
    /// `127.0.0.1:PORT`: the only Host accepted.
    served: String,
    /// `http://127.0.0.1:PORT`: the only Origin accepted.
    origin: String,
    cookie: String,
    /// The launch secret, until it is used.
    launch: Mutex<Option<Zeroizing<String>>>,
    /// The session cookie's value and the form mark, once launched.
    session: Mutex<Option<(Zeroizing<String>, Zeroizing<String>)>>,
    /// The language chosen with `?lang=`; else the browser's preference.
    lang: Mutex<Option<Tr>>,
    unlocked: tokio::sync::Mutex<Option<session::Unlocked>>,
    last_use: Mutex<Instant>,
    idle: Duration,
    keys: session::Keys,
    vault: vault::Vault,
}

impl Desk {
    fn mark(&self) -> String {
        self.session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(_, mark)| mark.to_string())
            .unwrap_or_default()
    }

    fn idle_for(&self) -> Duration {
        self.last_use
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
    }

    fn touch(&self) {
        *self.last_use.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    /// Drops the unlocked state: keys, client and every opened text.
    async fn lock(&self) {
        let taken = self.unlocked.lock().await.take();
        if taken.is_some() {
            drop(taken);
            tracing::info!("the desk is locked");
        }
    }
}

pub async fn run(mut args: DeskArgs) -> Result<()> {
    crate::tls::install_crypto_provider();
    crate::cli::output::quiet();
    if !args.listen.ip().is_loopback() {
        bail!(
            "--listen must be a loopback address (127.0.0.1:PORT): the desk serves this computer only"
        );
    }
    let named = args.profile.is_some();
    if let Some(path) = args
        .profile
        .clone()
        .or_else(crate::cli::profile::default_path)
        && let Some(profile) = crate::cli::profile::Profile::load(&path, named)?
    {
        args.connection.fill_from(&profile);
        if args.identity.is_none() {
            args.identity.clone_from(&profile.identity);
        }
    }
    let identity = args.identity.clone().context(
        "the desk needs your identity: write your profile with `confide staff init`, or give --identity FILE",
    )?;
    let data = args
        .data
        .clone()
        .or_else(default_data)
        .context("no place for the desk's folder: give --data DIR")?;
    let vault = vault::Vault::open(&data)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let launch = guard::new_secret();
    let prefix = guard::new_secret();
    PREFIX
        .set(format!("/{}", &prefix[..22]))
        .map_err(|_| anyhow::anyhow!("one desk per process"))?;
    let desk = Arc::new(Desk {
        served: addr.to_string(),
        origin: format!("http://{addr}"),
        cookie: guard::cookie_name(addr.port()),
        launch: Mutex::new(Some(launch.clone())),
        session: Mutex::new(None),
        lang: Mutex::new(None),
        unlocked: tokio::sync::Mutex::new(None),
        last_use: Mutex::new(Instant::now()),
        idle: Duration::from_secs(args.idle_seconds.unwrap_or(args.idle_minutes * 60)),
        keys: session::Keys {
            connection: std::mem::take(&mut args.connection),
            identity,
        },
        vault,
    });
    // Printed once: whoever opens it first holds the session. Scripts read this line.
    println!(
        "confide desk: open http://{addr}{}/launch?secret={}",
        at(),
        *launch
    );
    println!(
        "(the link works once, in one browser; the desk locks after {} minutes without use)",
        args.idle_minutes
    );
    drop(launch);
    tokio::spawn(idle_lock(desk.clone()));
    axum::serve(listener, pages::router(desk))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// Locks the desk once it has not been used for its idle time.
async fn idle_lock(desk: Arc<Desk>) {
    let tick = (desk.idle / 10).clamp(Duration::from_millis(200), Duration::from_secs(10));
    loop {
        tokio::time::sleep(tick).await;
        if desk.idle_for() >= desk.idle {
            desk.lock().await;
        }
    }
}

/// The desk's language for a request: the one chosen, else the browser's.
fn language(desk: &Desk, accept: Option<&str>) -> Tr {
    let chosen = *desk.lang.lock().unwrap_or_else(|e| e.into_inner());
    chosen.unwrap_or_else(|| Tr::negotiate_in(Book::Desk, None, accept))
}
