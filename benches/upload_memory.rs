//! Server memory while a 100 MiB attachment is uploaded through the no-JavaScript form and
//! downloaded again by the intake officer. Prints figures; asserts nothing about speed.
//!
//! Run: `cargo bench --bench upload_memory` (Linux: reads /proc/PID/status of the server).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const MIB: u64 = 1024 * 1024;

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Samples the server's resident memory every 20 ms until stopped; returns the peak in KiB.
fn sample_peak(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let peak = AtomicU64::new(0);
        let (mut anon, mut file, mut shmem) = (0, 0, 0);
        while !stop.load(Ordering::Relaxed) {
            let rss = status_kib(pid, "VmRSS:");
            if rss > peak.fetch_max(rss, Ordering::Relaxed) {
                (anon, file, shmem) = (
                    status_kib(pid, "RssAnon:"),
                    status_kib(pid, "RssFile:"),
                    status_kib(pid, "RssShmem:"),
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!(
            "    at peak: anonymous {} KiB, file {} KiB, shared {} KiB",
            anon, file, shmem
        );
        peak.load(Ordering::Relaxed)
    })
}

#[tokio::main]
async fn main() {
    let size = std::env::var("BENCH_UPLOAD_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100u64);
    let gateway = common::Gateway::start();
    let pid = gateway.pid();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = status_kib(pid, "VmRSS:");
    // Warm up: reports without files, so that pools, TLS, templates and the token stretching
    // (one Argon2id run at 19 MiB per report) have taken what they keep.
    for _ in 0..3 {
        gateway
            .post_multipart(
                "/report",
                &[("entity", "minusca"), ("description", "warm-up")],
                &[],
            )
            .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let warm = status_kib(pid, "VmRSS:");

    let content: Vec<u8> = (0..size * MIB).map(|i| (i % 251) as u8).collect();
    println!(
        "upload_memory: a {size} MiB attachment through POST /report (multipart, sealed on the server), three times"
    );
    println!(
        "  server RSS idle at start        {:>8.1} MiB",
        idle as f64 / 1024.0
    );
    println!(
        "  after 3 reports without files   {:>8.1} MiB",
        warm as f64 / 1024.0
    );
    for run in 1..=3 {
        let before = status_kib(pid, "VmRSS:");
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = sample_peak(pid, stop.clone());
        let started = Instant::now();
        let (status, page) = gateway
            .post_multipart(
                "/report",
                &[("entity", "minusca"), ("description", "with a large file")],
                &[("files", "video.mp4", &content)],
            )
            .await;
        let upload_time = started.elapsed();
        stop.store(true, Ordering::Relaxed);
        let peak = sampler.join().unwrap();
        assert_eq!(status, 200, "{page}");
        println!(
            "  run {run}: RSS before {:>6.1} MiB, peak {:>6.1} MiB (+{:.1} MiB), {:.2} s ({:.1} MiB/s)",
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            peak.saturating_sub(before) as f64 / 1024.0,
            upload_time.as_secs_f64(),
            size as f64 / upload_time.as_secs_f64()
        );
    }
    let upload_peak = status_kib(pid, "VmHWM:");

    let cases = gateway.cases_seen_by("intake-minusca").await;
    let case = cases.iter().find(|c| c["id"].is_string()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let _ = upload_peak;
    let before_download = status_kib(pid, "VmRSS:");
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_peak(pid, stop.clone());
    let started = Instant::now();
    let mut downloaded = 0u64;
    for (_, case) in cases
        .iter()
        .map(|c| ((), c["id"].as_str().unwrap().to_string()))
    {
        let (_, envelopes) = gateway
            .staff_get(
                "intake-minusca",
                &format!("/api/v1/staff/cases/{case}/envelopes"),
            )
            .await;
        for envelope in envelopes.as_array().unwrap() {
            let body = gateway
                .staff_client("intake-minusca")
                .get(format!(
                    "{}/api/v1/staff/envelopes/{}",
                    gateway.staff,
                    envelope["id"].as_str().unwrap()
                ))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            downloaded += body.len() as u64;
        }
    }
    let download_time = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let download_peak = sampler.join().unwrap();
    let _ = case;

    println!(
        "  download of every envelope (streamed): RSS before {:.1} MiB, peak {:.1} MiB (+{:.1} MiB), {} MiB in {:.2} s",
        before_download as f64 / 1024.0,
        download_peak as f64 / 1024.0,
        download_peak.saturating_sub(before_download) as f64 / 1024.0,
        downloaded / MIB,
        download_time.as_secs_f64()
    );
    println!(
        "  server VmHWM (all-time peak)    {:>8.1} MiB",
        status_kib(pid, "VmHWM:") as f64 / 1024.0
    );
}
