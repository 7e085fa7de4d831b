//! A connection flood on loopback, and what a reporter and a staff member meet meanwhile.
//!
//! `FLOOD_CONNECTIONS` (default 10,000) connections from `FLOOD_NETWORKS` /24 networks
//! (default 160, each under its sixteenth of the places) are opened against the public
//! listener, a quarter of each kind an attacker would use:
//!
//! - *idle*: a TCP connection that never sends a byte;
//! - *slow header*: TLS done, then a request's head one short line every 5 s;
//! - *slow body*: TLS done, a form post announcing 500 kB, then 16 bytes every 5 s;
//! - *slow read*: TLS done, 100 requests for the page's script pipelined, never read.
//!
//! Whenever the gateway closes one, it is opened again a second later, for `FLOOD_SECONDS`
//! (default 60). Meanwhile a reporter from a network of its own loads the report page every
//! 500 ms and, every 3 s, opens the form and files a report through it, each on a new connection, and a staff
//! member lists cases every second, on a new connection too. The same probes run for 10 s
//! before the flood, for comparison. Printed as Markdown.
//!
//! Run: `cargo bench --bench flood`. The gateway (release build, SQLite, rate limits on, logs
//! at `info`) and this flood share the machine's cores, so the flood's own handshakes compete
//! with the reporter's for CPU: the figures are an upper bound on what a flood from elsewhere
//! would cost.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/flood.rs"]
#[allow(dead_code)]
mod held;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Idle,
    SlowHeader,
    SlowBody,
    SlowRead,
}

const KINDS: [Kind; 4] = [Kind::Idle, Kind::SlowHeader, Kind::SlowBody, Kind::SlowRead];

#[derive(Default)]
struct Counters {
    open: AtomicU64,
    peak: AtomicU64,
    opened: AtomicU64,
    refused: AtomicU64,
    closed: [AtomicU64; 4],
    open_at_end: [AtomicU64; 4],
    held_for_ms: [AtomicU64; 4],
}

impl Counters {
    fn opened(&self) {
        self.opened.fetch_add(1, Ordering::Relaxed);
        let now = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }
    fn closed(&self, kind: Kind, held: Duration, by_the_gateway: bool) {
        self.open.fetch_sub(1, Ordering::Relaxed);
        if !by_the_gateway {
            self.open_at_end[kind as usize].fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.closed[kind as usize].fetch_add(1, Ordering::Relaxed);
        self.held_for_ms[kind as usize].fetch_add(held.as_millis() as u64, Ordering::Relaxed);
    }
}

/// Holds one connection of `kind` until the gateway closes it; `false` if it could not open.
async fn hold(
    kind: Kind,
    addr: SocketAddr,
    network: std::net::Ipv4Addr,
    connector: &tokio_rustls::TlsConnector,
    counters: &Counters,
    opening: &tokio::sync::Semaphore,
    until: Instant,
) -> bool {
    // Connections are opened a few hundred at a time; the place is given back once open.
    let permit = opening.acquire().await.unwrap();
    let tick = Duration::from_secs(5);
    let started;
    match kind {
        Kind::Idle => {
            let Ok(mut stream) = held::tcp_from(addr, network).await else {
                return false;
            };
            drop(permit);
            counters.opened();
            started = Instant::now();
            let left = until.saturating_duration_since(Instant::now());
            let _ = held::closed_within(&mut stream, left).await;
        }
        Kind::SlowHeader | Kind::SlowBody => {
            let Ok(stream) = held::tls_from(connector, addr, network).await else {
                return false;
            };
            drop(permit);
            counters.opened();
            started = Instant::now();
            let (mut read, mut write) = tokio::io::split(stream);
            let head: &[u8] = match kind {
                Kind::SlowHeader => b"GET / HTTP/1.1\r\nHost: localhost\r\n",
                _ => b"POST /report HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500000\r\n\r\ndescription=",
            };
            held::send(&mut write, head).await;
            let dribble = async {
                loop {
                    tokio::time::sleep(tick).await;
                    let piece: &[u8] = match kind {
                        Kind::SlowHeader => b"X-Wait: a\r\n",
                        _ => b"aaaaaaaaaaaaaaaa",
                    };
                    if write.write_all(piece).await.is_err() || write.flush().await.is_err() {
                        break;
                    }
                }
            };
            let left = until.saturating_duration_since(Instant::now());
            tokio::select! {
                _ = held::closed_within(&mut read, left) => {}
                _ = dribble => {}
            }
        }
        Kind::SlowRead => {
            let Ok(mut stream) = held::tls_from(connector, addr, network).await else {
                return false;
            };
            drop(permit);
            counters.opened();
            started = Instant::now();
            let request: &[u8] = b"GET /static/confide.js HTTP/1.1\r\nHost: localhost\r\n\r\n";
            held::send(&mut stream, &request.repeat(100)).await;
            // Never read: a write fails once the gateway has closed (reset) the connection.
            // A write that waits on full buffers counts as still held.
            while Instant::now() < until {
                tokio::time::sleep(tick).await;
                let wrote = tokio::time::timeout(tick, async {
                    stream.write_all(request).await?;
                    stream.flush().await
                })
                .await;
                if let Ok(Err(_)) = wrote {
                    break;
                }
            }
        }
    }
    counters.closed(kind, started.elapsed(), Instant::now() < until);
    true
}

#[derive(Default)]
struct Probe {
    times: Vec<Duration>,
    failures: usize,
}

impl Probe {
    fn record(&mut self, result: Result<Duration, ()>) {
        match result {
            Ok(took) => self.times.push(took),
            Err(()) => self.failures += 1,
        }
    }
    fn row(&mut self, what: &str) -> String {
        self.times.sort();
        let at = |q: f64| {
            self.times
                .get(((self.times.len() as f64 - 1.0) * q).round() as usize)
                .map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0))
                .unwrap_or_else(|| "-".into())
        };
        format!(
            "| {what} | {} | {} | {} | {} | {} |",
            self.times.len(),
            self.failures,
            at(0.5),
            at(0.95),
            at(1.0)
        )
    }
}

/// Runs the three probes for `length`, from networks numbered from `first_network`.
async fn probe(
    gateway: &common::Gateway,
    length: Duration,
    first_network: usize,
) -> (Probe, Probe, Probe) {
    let until = Instant::now() + length;
    let reporter = |n: usize| {
        common::client_builder()
            .local_address(IpAddr::V4(held::network(first_network + n)))
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap()
    };
    let pages = async {
        let mut probe = Probe::default();
        let mut n = 0;
        while Instant::now() < until {
            let client = reporter(2 * n);
            let started = Instant::now();
            let result = match client.get(format!("{}/", gateway.public)).send().await {
                Ok(r) if r.status() == 200 => match r.bytes().await {
                    Ok(_) => Ok(started.elapsed()),
                    Err(_) => Err(()),
                },
                _ => Err(()),
            };
            probe.record(result);
            n += 1;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        probe
    };
    let reports = async {
        let mut probe = Probe::default();
        let mut n = 0;
        while Instant::now() < until {
            let client = reporter(2 * n + 1);
            let started = Instant::now();
            // The report page first, for its one-time mark, as a browser does.
            let mark = match client.get(format!("{}/", gateway.public)).send().await {
                Ok(r) => r.text().await.ok().and_then(|p| common::mark_on_page(&p)),
                Err(_) => None,
            };
            let body = serde_urlencoded::to_string([
                ("once", mark.as_deref().unwrap_or("")),
                ("entity", "minusca"),
                ("description", "what happened, in a few words"),
            ])
            .unwrap();
            let result = match client
                .post(format!("{}/report", gateway.public))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
            {
                Ok(r) if r.status() == 201 || r.status() == 200 => match r.text().await {
                    Ok(page) if page.contains("id=\"token\"") => Ok(started.elapsed()),
                    _ => Err(()),
                },
                _ => Err(()),
            };
            probe.record(result);
            n += 1;
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        probe
    };
    let staff = async {
        let mut probe = Probe::default();
        while Instant::now() < until {
            let client = gateway.staff_client("intake-minusca");
            let started = Instant::now();
            let result = match client
                .get(format!("{}/api/v1/staff/cases", gateway.staff))
                .send()
                .await
            {
                Ok(r) if r.status() == 200 => match r.bytes().await {
                    Ok(_) => Ok(started.elapsed()),
                    Err(_) => Err(()),
                },
                _ => Err(()),
            };
            probe.record(result);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        probe
    };
    tokio::join!(pages, reports, staff)
}

fn table(title: &str, (mut pages, mut reports, mut staff): (Probe, Probe, Probe)) {
    println!("{title}\n");
    println!("| probe | served | failed | median ms | p95 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "{}",
        pages.row("reporter loads the report page (new connection)")
    );
    println!(
        "{}",
        reports.row("reporter opens the form and files a report (new connection)")
    );
    println!("{}", staff.row("staff lists cases (new connection)"));
    println!();
}

/// The flood holds more sockets than a default soft limit allows.
fn raise_own_open_file_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    let _ = setrlimit(Resource::Nofile, limit);
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

#[tokio::main]
async fn main() {
    confide::tls::install_crypto_provider();
    let connections = setting("FLOOD_CONNECTIONS", 10_000);
    let networks = setting("FLOOD_NETWORKS", 160).max(1);
    let seconds = setting("FLOOD_SECONDS", 60) as u64;
    let limit = raise_own_open_file_limit();
    assert!(
        limit as usize > connections + 1000,
        "this benchmark holds {connections} sockets; the open-file limit is {limit}: raise the hard limit (ulimit -Hn)"
    );

    let gateway = common::Gateway::start_with_env(&[
        ("CONFIDE_RATE_LIMITS__ENABLED", "true"),
        ("RUST_LOG", "info"),
    ]);
    println!("## confide connection flood\n");
    println!(
        "{connections} connections from {networks} networks, a quarter each idle, slow header, slow body and slow read, reopened a second after the gateway closes them, for {seconds} s; gateway defaults (1,024 places of each kind per listener, 256 B/s after 10 s, rate limits on); gateway and flood on one machine of {} cores; release build.\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );

    table(
        "Before the flood (10 s):",
        probe(&gateway, Duration::from_secs(10), 20_000).await,
    );

    let addr = held::addr_of(&gateway.public);
    let connector = held::connector();
    let counters = Arc::new(Counters::default());
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let opening = Arc::new(tokio::sync::Semaphore::new(256));
    let mut tasks = Vec::new();
    for n in 0..connections {
        let (connector, counters, opening) = (connector.clone(), counters.clone(), opening.clone());
        let kind = KINDS[n % KINDS.len()];
        let network = held::network(n % networks);
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                if !hold(kind, addr, network, &connector, &counters, &opening, until).await {
                    counters.refused.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }));
    }
    // Let the flood build up before measuring.
    let ramp = Instant::now();
    while counters.open.load(Ordering::Relaxed) < (connections as u64 * 9 / 10)
        && ramp.elapsed() < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let built = counters.open.load(Ordering::Relaxed);
    println!(
        "The flood held {built} connections open {:.1} s after it began.\n",
        ramp.elapsed().as_secs_f64()
    );
    let measure = until.saturating_duration_since(Instant::now());
    let during = probe(&gateway, measure, 30_000).await;
    table(
        &format!("During the flood ({:.0} s):", measure.as_secs_f64()),
        during,
    );
    for task in tasks {
        let _ = task.await;
    }
    println!(
        "| flood connection | closed by the gateway | held until closed, mean s | still open at the end |"
    );
    println!("|---|---:|---:|---:|");
    for kind in KINDS {
        let closed = counters.closed[kind as usize].load(Ordering::Relaxed);
        let held = counters.held_for_ms[kind as usize].load(Ordering::Relaxed);
        let open = counters.open_at_end[kind as usize].load(Ordering::Relaxed);
        println!(
            "| {kind:?} | {closed} | {:.1} | {open} |",
            held as f64 / 1000.0 / closed.max(1) as f64
        );
    }
    println!(
        "\nOpened {} in all (peak {} open at once); {} attempts failed to open (refused or handshake closed).",
        counters.opened.load(Ordering::Relaxed),
        counters.peak.load(Ordering::Relaxed),
        counters.refused.load(Ordering::Relaxed)
    );
}
