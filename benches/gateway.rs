//! Throughput, latency and memory of the real gateway on loopback, printed as Markdown tables.
//!
//! Run: `cargo bench --bench gateway` (set `BENCH_SECONDS` for longer runs, `BENCH_SCALE=0` to
//! skip the store-size runs, `BENCH_POSTGRES=0` to skip PostgreSQL). The load generator runs on
//! the same machine as the server, so both share its cores; compare ratios within one run.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/postgres.rs"]
mod postgres;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

const REPORT_BYTES: usize = 4096;

fn seconds() -> f64 {
    std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4.0)
}

fn enabled(name: &str) -> bool {
    std::env::var(name).map(|v| v != "0").unwrap_or(true)
}

/// CPU time the process has used so far, user and system, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The three ways a report reaches the gateway.
#[derive(Clone, Copy)]
enum Path {
    /// Sealed and stretched on the phone: lookup key and reply recipient sent.
    ClientStretched,
    /// Sealed on the phone, token made and stretched by the server.
    ClientSealed,
    /// The no-JavaScript form: sealed and stretched by the server.
    Form,
}

impl Path {
    fn name(self) -> &'static str {
        match self {
            Path::ClientStretched => "sealed and stretched on the client",
            Path::ClientSealed => "sealed on the client, server-made token",
            Path::Form => "form (page, then post), sealed by the server",
        }
    }
}

struct Load {
    rate: f64,
    /// Server CPU (all threads) per successful request, in microseconds.
    cpu_us: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    peak_rss_kib: u64,
}

/// A reply recipient for reports whose token the client made (any valid key will do here).
static REPLY_RECIPIENT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| age::x25519::Identity::generate().to_public().to_string());

/// Envelopes sealed once before timing, reused round-robin (the server cannot tell).
fn envelopes(keyring: &Value, entity: &str) -> Vec<String> {
    let recipients: Vec<age::x25519::Recipient> = keyring["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == entity)
        .unwrap()["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().parse().unwrap())
        .collect();
    (0..64)
        .map(|n| {
            let text = format!("{{\"description\":\"benchmark report {n}\"}}");
            let mut plain = zeroize::Zeroizing::new(text.into_bytes());
            plain.resize(REPORT_BYTES - 16, b' ');
            STANDARD.encode(confide::seal::seal(plain, &recipients).unwrap())
        })
        .collect()
}

async fn one_report(
    client: &reqwest::Client,
    base: &str,
    path: Path,
    envelope: &str,
    entity: &str,
) -> bool {
    let request = match path {
        // Bodies are written by hand, not through serde: the load generator shares the machine's
        // cores with the server, and every cycle it spends is one the server does not get.
        Path::ClientStretched => {
            let lookup = STANDARD.encode(rand_bytes());
            let recipient = REPLY_RECIPIENT.as_str();
            client
                .post(format!("{base}/api/v1/reports"))
                .header("content-type", "application/json")
                .body(format!(
                    r#"{{"entity":"{entity}","envelope":"{envelope}","lookup":"{lookup}","reply_recipient":"{recipient}"}}"#
                ))
        }
        Path::ClientSealed => client
            .post(format!("{base}/api/v1/reports"))
            .header("content-type", "application/json")
            .body(format!(
                r#"{{"entity":"{entity}","envelope":"{envelope}"}}"#
            )),
        Path::Form => {
            // As a browser does: the report page first, for its one-time mark.
            let Some(mark) = form_mark(client, base).await else {
                return false;
            };
            client
                .post(format!("{base}/report"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!(
                    "once={mark}&entity={entity}&description={}",
                    "x".repeat(REPORT_BYTES - 200)
                ))
        }
    };
    matches!(request.send().await, Ok(r) if r.status().is_success())
}

/// The one-time mark of a fresh report page.
async fn form_mark(client: &reqwest::Client, base: &str) -> Option<String> {
    let page = client
        .get(format!("{base}/"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    common::mark_on_page(&page)
}

fn rand_bytes() -> [u8; 32] {
    use ring::rand::SecureRandom;
    let mut out = [0u8; 32];
    ring::rand::SystemRandom::new().fill(&mut out).unwrap();
    out
}

/// Runs `concurrency` clients sending requests back to back for the configured time.
async fn run_load<F, Fut>(pid: u32, concurrency: usize, request: F) -> Load
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(25));
            }
        })
    };
    let cpu_before = cpu_seconds(pid);
    let client_before = cpu_seconds(std::process::id());
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds());
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let (request, errors) = (request.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = worker;
            while Instant::now() < deadline {
                let t = Instant::now();
                if request(n).await {
                    latencies.push(t.elapsed());
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                n += concurrency;
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(w.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid) - cpu_before;
    let client_cpu = cpu_seconds(std::process::id()) - client_before;
    if std::env::var_os("BENCH_VERBOSE").is_some() {
        eprintln!(
            "    load generator CPU: {:.0} µs per request; server {:.0}; wall {:.2} s",
            client_cpu * 1e6 / latencies.len().max(1) as f64,
            cpu * 1e6 / latencies.len().max(1) as f64,
            elapsed
        );
    }
    stop.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Load {
        cpu_us: cpu * 1e6 / latencies.len().max(1) as f64,
        rate: latencies.len() as f64 / elapsed,
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        errors: errors.load(Ordering::Relaxed),
        peak_rss_kib: peak.load(Ordering::Relaxed),
    }
}

/// The machine's limit: durable SQLite commits, one 4 KiB row each, one after the other, in a
/// fresh file on the same disk as the gateway's data (WAL, synchronous=FULL).
async fn raw_durable_commits(dir: &std::path::Path) -> f64 {
    use sqlx::ConnectOptions;
    use std::str::FromStr;
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&format!(
        "sqlite://{}",
        dir.join("raw.db").display()
    ))
    .unwrap()
    .create_if_missing(true)
    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
    .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
    let mut conn = options.connect().await.unwrap();
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
        .execute(&mut conn)
        .await
        .unwrap();
    let body = vec![7u8; REPORT_BYTES];
    let started = Instant::now();
    let mut n = 0;
    while started.elapsed().as_secs_f64() < seconds() {
        sqlx::query("INSERT INTO t (body) VALUES (?)")
            .bind(&body)
            .execute(&mut conn)
            .await
            .unwrap();
        n += 1;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

async fn keyring(gateway: &common::Gateway) -> Value {
    gateway
        .reporter()
        .get(format!("{}/api/v1/keyring", gateway.public))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn client() -> reqwest::Client {
    common::client_builder()
        .pool_max_idle_per_host(128)
        .build()
        .unwrap()
}

async fn submissions(gateway: &common::Gateway, label: &str, baseline: f64) {
    let envelopes = Arc::new(envelopes(&keyring(gateway).await, "minusca"));
    println!(
        "\n### Submissions, {label} (4 KiB reports, {} s per run)\n",
        seconds()
    );
    println!(
        "| path | clients | reports/s | ratio to raw durable commits | p50 ms | p99 ms | failed | server RSS peak MiB | server CPU µs per report |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    // BENCH_SERVER_STRETCH=0 leaves out the two paths whose token the server stretches (about
    // 16 ms of Argon2id each): a quick run for work on the storage path.
    let paths: &[Path] = if enabled("BENCH_SERVER_STRETCH") {
        &[Path::ClientStretched, Path::ClientSealed, Path::Form]
    } else {
        &[Path::ClientStretched]
    };
    for &path in paths {
        for concurrency in [1, 16, 64] {
            let (client, base, envelopes) = (client(), gateway.public.clone(), envelopes.clone());
            let load = run_load(gateway.pid(), concurrency, move |n| {
                let (client, base, envelopes) = (client.clone(), base.clone(), envelopes.clone());
                async move {
                    one_report(
                        &client,
                        &base,
                        path,
                        &envelopes[n % envelopes.len()],
                        "minusca",
                    )
                    .await
                }
            })
            .await;
            println!(
                "| {} | {concurrency} | {:.0} | {:.2} | {:.1} | {:.1} | {} | {:.1} | {:.0} |",
                path.name(),
                load.rate,
                load.rate / baseline,
                load.p50_ms,
                load.p99_ms,
                load.errors,
                load.peak_rss_kib as f64 / 1024.0,
                load.cpu_us
            );
        }
    }
}

/// The client-stretched path again, with `wrk` (a load generator in C, far cheaper per request
/// than this process) when it is installed, so that more of the machine is left to the gateway.
async fn submissions_with_wrk(gateway: &common::Gateway, label: &str, baseline: f64) {
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_err()
    {
        println!(
            "\n(`wrk` is not installed: `apt-get install wrk` adds a run with it as the load generator.)"
        );
        return;
    }
    let envelope = envelopes(&keyring(gateway).await, "minusca").remove(0);
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/wrk/client_stretched.lua");
    println!(
        "\n### Submissions with `wrk` as the load generator, {label} (sealed and stretched on the client)\n"
    );
    println!(
        "| clients | reports/s | ratio to raw durable commits | p50 ms | p99 ms | failed | server RSS peak MiB | server CPU µs per report |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for concurrency in [16, 64] {
        let pid = gateway.pid();
        let (stop, peak) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
        );
        let sampler = {
            let (stop, peak) = (stop.clone(), peak.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(25));
                }
            })
        };
        let cpu_before = cpu_seconds(pid);
        let output = std::process::Command::new("wrk")
            .args([
                "-t1",
                &format!("-c{concurrency}"),
                &format!("-d{}s", seconds().round() as u64),
                "--latency",
                "-s",
            ])
            .arg(&script)
            .arg(&gateway.public)
            .env("CONFIDE_WRK_ENVELOPE", &envelope)
            .env("CONFIDE_WRK_RECIPIENT", REPLY_RECIPIENT.as_str())
            .output()
            .unwrap();
        let cpu = cpu_seconds(pid) - cpu_before;
        stop.store(true, Ordering::Relaxed);
        sampler.join().unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        let field = |prefix: &str| {
            text.lines()
                .find(|l| l.trim_start().starts_with(prefix))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
                .unwrap_or_default()
        };
        let millis = |v: String| -> f64 {
            if let Some(ms) = v.strip_suffix("ms") {
                ms.parse().unwrap_or(0.0)
            } else if let Some(us) = v.strip_suffix("us") {
                us.parse::<f64>().unwrap_or(0.0) / 1000.0
            } else if let Some(s) = v.strip_suffix('s') {
                s.parse::<f64>().unwrap_or(0.0) * 1000.0
            } else {
                0.0
            }
        };
        let rate: f64 = field("Requests/sec:").parse().unwrap_or(0.0);
        let requests: f64 = text
            .lines()
            .find(|l| l.contains("requests in"))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let failed = text
            .lines()
            .find(|l| l.contains("Non-2xx"))
            .and_then(|l| l.split_whitespace().last())
            .unwrap_or("0")
            .to_string();
        println!(
            "| {concurrency} | {rate:.0} | {:.2} | {:.1} | {:.1} | {failed} | {:.1} | {:.0} |",
            rate / baseline,
            millis(field("50%")),
            millis(field("99%")),
            peak.load(Ordering::Relaxed) as f64 / 1024.0,
            cpu * 1e6 / requests.max(1.0)
        );
    }
}

/// Status checks with lookup keys of cases made for the purpose (no Argon2id on the server),
/// and with tokens (one Argon2id run each on the server).
async fn status_checks(gateway: &common::Gateway, label: &str) {
    let client = client();
    let envelopes = envelopes(&keyring(gateway).await, "minusca");
    let mut lookups = Vec::new();
    for envelope in envelopes.iter().take(32) {
        let lookup = STANDARD.encode(rand_bytes());
        let body = json!({ "entity": "minusca", "envelope": envelope, "lookup": lookup, "reply_recipient": REPLY_RECIPIENT.as_str() });
        client
            .post(format!("{}/api/v1/reports", gateway.public))
            .json(&body)
            .send()
            .await
            .unwrap();
        lookups.push(lookup);
    }
    let mut tokens = Vec::new();
    for envelope in envelopes.iter().take(8) {
        let answer: Value = client
            .post(format!("{}/api/v1/reports", gateway.public))
            .json(&json!({ "entity": "minusca", "envelope": envelope }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens.push(answer["token"].as_str().unwrap().to_string());
    }
    println!("\n### Status checks, {label}\n");
    println!("| with | clients | checks/s | p50 ms | p99 ms | failed |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (with, keys) in [
        ("lookup key", Arc::new(lookups)),
        ("token", Arc::new(tokens)),
    ] {
        let field = if with == "token" { "token" } else { "lookup" };
        let (client, base) = (client.clone(), gateway.public.clone());
        let load = run_load(gateway.pid(), 16, move |n| {
            let (client, base, keys) = (client.clone(), base.clone(), keys.clone());
            async move {
                let r = client
                    .post(format!("{base}/api/v1/status"))
                    .json(&json!({ field: keys[n % keys.len()] }))
                    .send()
                    .await;
                matches!(r, Ok(r) if r.status().is_success())
            }
        })
        .await;
        println!(
            "| {with} | 16 | {:.0} | {:.1} | {:.1} | {} |",
            load.rate, load.p50_ms, load.p99_ms, load.errors
        );
    }
}

/// Server CPU per step, measured in this process with the same code the server runs.
fn step_costs() {
    let keys = common::keys();
    let config =
        confide::config::Config::load(&keys.join("confide.toml"), std::iter::empty()).unwrap();
    let params = config.stretch_params().unwrap();
    let recipient = age::x25519::Identity::generate().to_public();
    let time = |n: u32, f: &mut dyn FnMut()| {
        let started = Instant::now();
        for _ in 0..n {
            f();
        }
        started.elapsed().as_secs_f64() * 1e6 / f64::from(n)
    };
    let seal = time(200, &mut || {
        confide::seal::seal(
            zeroize::Zeroizing::new(vec![b'x'; 3000]),
            std::slice::from_ref(&recipient),
        )
        .unwrap();
    });
    let token = confide::token::Token::generate();
    let mut memory = confide::token::StretchMemory::new(&params);
    let stretch = time(10, &mut || {
        token.stretch_in(&params, &mut memory).unwrap();
    });
    println!("\n### Server CPU per step (this process, one core)\n");
    println!("| step | µs per report |");
    println!("|---|---:|");
    println!("| seal a 4 KiB report to one recipient (age, X25519) | {seal:.0} |");
    println!(
        "| stretch a token (Argon2id, {} KiB, {} passes) | {stretch:.0} |",
        params.memory_kib, params.iterations
    );
    println!(
        "| store a new case durably (SQLite, group commit, 16 at a time; CPU of all threads) | {} |",
        COMMIT_CPU_US.load(Ordering::Relaxed)
    );
}

/// New cases committed by the store alone (no HTTP), 16 at a time: the storage step's limit.
async fn store_alone(dir: &std::path::Path) -> f64 {
    let store =
        confide::store::Store::open(&format!("sqlite://{}", dir.join("alone.db").display()))
            .await
            .unwrap();
    // The same housekeeping as the server: a checkpoint every second.
    let background = store.clone();
    let checkpoints = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            background.checkpoint().await.unwrap();
        }
    });
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds());
    let cpu_before = cpu_seconds(std::process::id());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (store, done) = (store.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let verifier = confide::token::Verifier(rand_bytes());
                store.create_case(new_case(&verifier)).await.unwrap();
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    checkpoints.abort();
    let count = done.load(Ordering::Relaxed) as f64;
    let cpu_us = (cpu_seconds(std::process::id()) - cpu_before) * 1e6 / count.max(1.0);
    COMMIT_CPU_US.store(cpu_us as u64, Ordering::Relaxed);
    count / started.elapsed().as_secs_f64()
}

/// CPU per new case in the store-alone run, for the per-step table.
static COMMIT_CPU_US: AtomicU64 = AtomicU64::new(0);

fn new_case(verifier: &confide::token::Verifier) -> confide::store::NewCase<'_> {
    confide::store::NewCase {
        entity: "minusca",
        verifier,
        reply_recipient: "age1reply".into(),
        envelopes: vec![confide::store::NewEnvelope {
            id: confide::store::random_id(),
            kind: confide::cases::EnvelopeKind::Report,
            body: confide::store::EnvelopeBody::Inline(vec![0; REPORT_BYTES]),
            recipients: vec!["intake-minusca".into()],
        }],
        today: time::macros::date!(2026 - 11 - 27),
    }
}

/// Fills a store with `total` MINUSCA cases before a gateway starts on it.
async fn preload(url: &str, total: usize) {
    let store = confide::store::Store::open(url).await.unwrap();
    let mut tasks = Vec::new();
    for worker in 0..32usize {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for _ in (worker..total).step_by(32) {
                let verifier = confide::token::Verifier(rand_bytes());
                // All to MINUSCA: MONUSCO keeps only the ten cases made during the run, so its
                // officer's listing shows whether listing depends on the store's total size.
                let entity = "minusca";
                store
                    .create_case(confide::store::NewCase {
                        entity,
                        verifier: &verifier,
                        reply_recipient: "age1reply".into(),
                        envelopes: vec![confide::store::NewEnvelope {
                            id: confide::store::random_id(),
                            kind: confide::cases::EnvelopeKind::Report,
                            body: confide::store::EnvelopeBody::Inline(vec![0; REPORT_BYTES]),
                            recipients: vec!["intake-minusca".into()],
                        }],
                        today: time::macros::date!(2026 - 11 - 27),
                    })
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

async fn scaling() {
    println!(
        "\n### As the store grows (SQLite; 16 clients; the store preloaded with MINUSCA cases)\n"
    );
    println!(
        "| stored cases | reports/s (client-stretched) | p99 ms | status checks/s (lookup) | MONUSCO intake listing its 10 cases, ms |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for total in [1_000usize, 10_000, 100_000] {
        let data = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", data.path().join("confide.db").display());
        preload(&url, total).await;
        let gateway = common::Gateway::spawn_demo(&common::keys(), data.path(), &[], BENCH_ENV);
        let keys = keyring(&gateway).await;
        let monusco_envelopes = self::envelopes(&keys, "monusco");
        let envelopes = Arc::new(envelopes(&keys, "minusca"));
        // MONUSCO gets ten fresh cases of its own: its listing should cost the same at any size.: its listing should cost the same at any size.
        let c = client();
        for e in monusco_envelopes.iter().take(10) {
            one_report(&c, &gateway.public, Path::ClientStretched, e, "monusco").await;
        }
        let (client2, base) = (client(), gateway.public.clone());
        let e2 = envelopes.clone();
        let load = run_load(gateway.pid(), 16, move |n| {
            let (client, base, envelopes) = (client2.clone(), base.clone(), e2.clone());
            async move {
                one_report(
                    &client,
                    &base,
                    Path::ClientStretched,
                    &envelopes[n % envelopes.len()],
                    "minusca",
                )
                .await
            }
        })
        .await;
        let mut lookups = Vec::new();
        for e in envelopes.iter().take(16) {
            let lookup = STANDARD.encode(rand_bytes());
            c.post(format!("{}/api/v1/reports", gateway.public)).json(&json!({ "entity": "minusca", "envelope": e, "lookup": lookup, "reply_recipient": REPLY_RECIPIENT.as_str() })).send().await.unwrap();
            lookups.push(lookup);
        }
        let lookups = Arc::new(lookups);
        let (client3, base) = (client(), gateway.public.clone());
        let status = run_load(gateway.pid(), 16, move |n| {
            let (client, base, keys) = (client3.clone(), base.clone(), lookups.clone());
            async move {
                let r = client
                    .post(format!("{base}/api/v1/status"))
                    .json(&json!({ "lookup": keys[n % keys.len()] }))
                    .send()
                    .await;
                matches!(r, Ok(r) if r.status().is_success())
            }
        })
        .await;
        let staff = gateway.staff_client("intake-monusco");
        let started = Instant::now();
        let rounds = 20;
        for _ in 0..rounds {
            staff
                .get(format!("{}/api/v1/staff/cases", gateway.staff))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
        }
        let listing = started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
        println!(
            "| {total} | {:.0} | {:.1} | {:.0} | {listing:.1} |",
            load.rate, load.p99_ms, status.rate
        );
    }
}

/// Every client here comes from one address, which the gateway's per-network connection cap
/// (a sixteenth of `max_connections`) would treat as one crowded network: the cap is raised so
/// that 64 clients and the connections they leave open are measured, not refused.
const BENCH_ENV: &[(&str, &str)] = &[("CONFIDE_LIMITS__MAX_CONNECTIONS", "8192")];

#[tokio::main]
async fn main() {
    confide::tls::install_crypto_provider();
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("?")
        .trim()
        .to_string();
    println!("## confide gateway benchmark\n");
    println!(
        "Machine: {} cores, {model}; release build; load generator on the same machine.",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );

    let gateway = common::Gateway::start_with_env(BENCH_ENV);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(gateway.pid());
    let baseline = raw_durable_commits(&gateway.data_dir).await;
    println!(
        "\nServer RSS idle (SQLite): {:.1} MiB. Raw durable SQLite commits on this disk (4 KiB row, one per transaction, one after the other): {baseline:.0}/s.",
        idle as f64 / 1024.0
    );
    let alone = store_alone(&gateway.data_dir).await;
    println!(
        "The store alone (no HTTP, in this process), 16 reports at a time with group commit: {alone:.0} new cases/s ({:.2} of raw).",
        alone / baseline
    );
    // wrk first: the server-made-token paths make the stretching workers take their Argon2id
    // memory, which would then count in every later memory figure.
    submissions_with_wrk(&gateway, "SQLite", baseline).await;
    // BENCH_REQWEST=0: only `wrk`'s run of the storage path, for quick comparisons.
    if enabled("BENCH_REQWEST") {
        submissions(&gateway, "SQLite", baseline).await;
        status_checks(&gateway, "SQLite").await;
    }
    println!(
        "\nServer RSS after the SQLite runs: {:.1} MiB.",
        rss_kib(gateway.pid()) as f64 / 1024.0
    );
    drop(gateway);

    if enabled("BENCH_POSTGRES")
        && let Some(db) = postgres::TestDatabase::create().await
    {
        let data = tempfile::tempdir().unwrap();
        let gateway = common::Gateway::spawn_demo(
            &common::keys(),
            data.path(),
            &["--database-url", &db.url],
            BENCH_ENV,
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        println!(
            "\nServer RSS idle (PostgreSQL): {:.1} MiB (the gateway only; PostgreSQL's own memory is not counted).",
            rss_kib(gateway.pid()) as f64 / 1024.0
        );
        submissions_with_wrk(&gateway, "PostgreSQL", baseline).await;
        if enabled("BENCH_REQWEST") {
            submissions(&gateway, "PostgreSQL", baseline).await;
            status_checks(&gateway, "PostgreSQL").await;
        }
    }
    step_costs();
    if enabled("BENCH_SCALE") {
        scaling().await;
    }
}
