//! Operating figures, in the Prometheus text format (`GET /metrics` on the staff listener).
//!
//! Aggregates only: counters and histograms whose labels come from fixed lists in this file
//! (how a report was sealed, a refusal's kind, a route class) or from the keyring (entity ids).
//! Nothing a request carries becomes a label, so no series can single out a reporter.
//!
//! A live counter of reports, scraped every few seconds and kept by a monitoring system for
//! years, would date each report to the scrape: far finer than the day the database keeps.
//! So everything reporters cause (reports accepted, refusals, the public listener's latency,
//! the outbox) is published as a snapshot taken every `[metrics] interval_secs` (a day by
//! default; an hour at the least, and always a divisor or a multiple of a day) on the clock's
//! round multiples; only the staff listener's latency and overdue cases are live.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Where a report was sealed.
#[derive(Clone, Copy, Debug)]
pub enum SealedOn {
    Client,
    Server,
}

/// A refusal kind and the statuses it covers.
type Refusal = (&'static str, fn(u16) -> bool);

/// Why the public listener refused a request, by its status.
const REFUSALS: [Refusal; 7] = [
    ("rate_limited", |s| s == 429),
    ("bad_input", |s| s == 400 || s == 422 || s == 415),
    ("too_large", |s| s == 413),
    ("not_found", |s| s == 404),
    ("timeout", |s| s == 408),
    ("unavailable", |s| s == 503),
    ("server_error", |s| s >= 500 && s != 503),
];

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Route classes of the public listener's latency histogram (the throttle's classes).
pub const CLASSES: [&str; 3] = ["submit", "follow_up", "other"];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Microseconds.
    sum_us: AtomicU64,
}

fn copy(mine: &AtomicU64, theirs: &AtomicU64) {
    mine.store(theirs.load(Ordering::Relaxed), Ordering::Relaxed);
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn copy_from(&self, other: &Histogram) {
        for (mine, theirs) in self.buckets.iter().zip(&other.buckets) {
            copy(mine, theirs);
        }
        copy(&self.count, &other.count);
        copy(&self.sum_us, &other.sum_us);
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels},le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

/// What reporters cause: counted live, published in snapshots.
#[derive(Default)]
struct Public {
    accepted_client: AtomicU64,
    accepted_server: AtomicU64,
    refusals: [AtomicU64; REFUSALS.len()],
    latency: [Histogram; CLASSES.len()],
    outbox_depth: AtomicU64,
    /// Resident memory, which moves with no-JavaScript reports (token stretching) and files.
    resident_bytes: AtomicU64,
}

impl Public {
    fn copy_from(&self, other: &Public) {
        copy(&self.accepted_client, &other.accepted_client);
        copy(&self.accepted_server, &other.accepted_server);
        for (mine, theirs) in self.refusals.iter().zip(&other.refusals) {
            copy(mine, theirs);
        }
        for (mine, theirs) in self.latency.iter().zip(&other.latency) {
            mine.copy_from(theirs);
        }
        copy(&self.outbox_depth, &other.outbox_depth);
        copy(&self.resident_bytes, &other.resident_bytes);
    }
}

pub struct Metrics {
    /// Seconds between snapshots of what reporters cause; 0 publishes it live (demo only).
    interval_secs: u64,
    live: Public,
    published: Public,
    staff_latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(0)
    }
}

/// Figures read from the database when scraped.
pub struct Gauges {
    /// Per entity id (every entity of the keyring): open cases with a deadline passed.
    pub overdue: Vec<(String, usize)>,
    /// Storage's state, live (`store::health`): an operator must see a stopped gateway at once.
    /// Its changes date a storage failure, not a report: a refused request stored nothing.
    pub storage: StorageGauges,
}

/// What `store::health` says, as the metrics show it.
#[derive(Clone, Copy, Debug, Default)]
pub struct StorageGauges {
    /// Writes fail now (full disk, unreachable database); ends at the next stored write.
    pub failing: bool,
    /// Storing stopped for good (a failed sync): the gateway is exiting to be restarted.
    pub stopped: bool,
    /// Requests refused because storage failed, since the start.
    pub refused: u64,
}

impl Metrics {
    pub fn new(interval_secs: u64) -> Metrics {
        Metrics {
            interval_secs,
            live: Public::default(),
            published: Public::default(),
            staff_latency: Histogram::default(),
        }
    }

    /// How long until the next snapshot is due, given the Unix time now (`None`: live).
    pub fn until_next_snapshot(&self, unix_now: u64) -> Option<Duration> {
        (self.interval_secs > 0)
            .then(|| Duration::from_secs(self.interval_secs - unix_now % self.interval_secs))
    }

    /// Publishes what reporters caused so far, with the outbox's depth now.
    pub fn snapshot(&self, outbox_depth: i64) {
        self.live
            .outbox_depth
            .store(u64::try_from(outbox_depth).unwrap_or(0), Ordering::Relaxed);
        self.live
            .resident_bytes
            .store(resident_bytes().unwrap_or(0), Ordering::Relaxed);
        self.published.copy_from(&self.live);
    }

    pub fn report_accepted(&self, sealed: SealedOn) {
        match sealed {
            SealedOn::Client => &self.live.accepted_client,
            SealedOn::Server => &self.live.accepted_server,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// A public request's answer.
    pub fn answered(&self, class: &str, status: u16, elapsed: Duration) {
        if let Some(i) = REFUSALS.iter().position(|(_, test)| test(status)) {
            self.live.refusals[i].fetch_add(1, Ordering::Relaxed);
        }
        if let Some(i) = CLASSES.iter().position(|c| *c == class) {
            self.live.latency[i].observe(elapsed);
        }
    }

    /// A staff request's answer.
    pub fn staff_answered(&self, elapsed: Duration) {
        self.staff_latency.observe(elapsed);
    }

    /// The text a scrape gets; `outbox_depth` (if the database gave it) is published with it
    /// only when live.
    pub fn render(&self, gauges: &Gauges, outbox_depth: Option<i64>) -> String {
        if self.interval_secs == 0
            && let Some(depth) = outbox_depth
        {
            self.snapshot(depth);
        }
        let shown = &self.published;
        let mut out = String::new();
        out.push_str("# HELP confide_reports_accepted_total Reports stored, by where they were sealed.\n# TYPE confide_reports_accepted_total counter\n");
        for (label, value) in [
            ("client", &shown.accepted_client),
            ("server", &shown.accepted_server),
        ] {
            let _ = writeln!(
                out,
                "confide_reports_accepted_total{{sealed_on=\"{label}\"}} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP confide_refusals_total Public requests refused, by kind.\n# TYPE confide_refusals_total counter\n");
        for ((kind, _), value) in REFUSALS.iter().zip(&shown.refusals) {
            let _ = writeln!(
                out,
                "confide_refusals_total{{kind=\"{kind}\"}} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP confide_request_duration_seconds Time to answer a request, by route class.\n# TYPE confide_request_duration_seconds histogram\n");
        for (class, histogram) in CLASSES.iter().zip(&shown.latency) {
            histogram.write(
                &mut out,
                "confide_request_duration_seconds",
                &format!("class=\"{class}\""),
            );
        }
        self.staff_latency.write(
            &mut out,
            "confide_request_duration_seconds",
            "class=\"staff\"",
        );
        out.push_str("# HELP confide_outbox_depth Sealed envelopes waiting to be forwarded.\n# TYPE confide_outbox_depth gauge\n");
        let _ = writeln!(
            out,
            "confide_outbox_depth {}",
            shown.outbox_depth.load(Ordering::Relaxed)
        );
        out.push_str("# HELP confide_overdue_cases Open cases with a deadline passed, by entity.\n# TYPE confide_overdue_cases gauge\n");
        for (entity, count) in &gauges.overdue {
            let _ = writeln!(out, "confide_overdue_cases{{entity=\"{entity}\"}} {count}");
        }
        if self.interval_secs > 0 {
            out.push_str("# HELP confide_snapshot_interval_seconds Reporter-driven series change only at this interval.\n# TYPE confide_snapshot_interval_seconds gauge\n");
            let _ = writeln!(
                out,
                "confide_snapshot_interval_seconds {}",
                self.interval_secs
            );
        }
        let storage = &gauges.storage;
        out.push_str("# HELP confide_storage_failing 1 while writes fail (full disk, unreachable database).\n# TYPE confide_storage_failing gauge\n");
        let _ = writeln!(out, "confide_storage_failing {}", u8::from(storage.failing));
        out.push_str("# HELP confide_storage_stopped 1 once storing stopped for good (a failed sync); the gateway exits to be restarted.\n# TYPE confide_storage_stopped gauge\n");
        let _ = writeln!(out, "confide_storage_stopped {}", u8::from(storage.stopped));
        out.push_str("# HELP confide_storage_refused_total Requests refused because storage failed.\n# TYPE confide_storage_refused_total counter\n");
        let _ = writeln!(out, "confide_storage_refused_total {}", storage.refused);
        out.push_str("# HELP confide_resident_memory_bytes The gateway's resident memory.\n# TYPE confide_resident_memory_bytes gauge\n");
        let _ = writeln!(
            out,
            "confide_resident_memory_bytes {}",
            shown.resident_bytes.load(Ordering::Relaxed)
        );
        out
    }
}

/// Resident memory from /proc (Linux only).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_counted_by_kind_and_latency_falls_in_every_bucket_at_or_above_it() {
        let m = Metrics::default();
        m.answered("submit", 429, Duration::from_millis(3));
        m.answered("submit", 201, Duration::from_millis(30));
        m.answered("follow_up", 404, Duration::from_millis(700));
        m.report_accepted(SealedOn::Client);
        let text = m.render(
            &Gauges {
                overdue: vec![("minusca".into(), 1)],
                storage: StorageGauges {
                    failing: false,
                    stopped: true,
                    refused: 4,
                },
            },
            Some(2),
        );
        assert!(text.contains("confide_refusals_total{kind=\"rate_limited\"} 1"));
        assert!(text.contains("confide_refusals_total{kind=\"not_found\"} 1"));
        assert!(text.contains("confide_refusals_total{kind=\"bad_input\"} 0"));
        assert!(text.contains("confide_reports_accepted_total{sealed_on=\"client\"} 1"));
        assert!(
            text.contains(
                "confide_request_duration_seconds_bucket{class=\"submit\",le=\"0.005\"} 1"
            )
        );
        assert!(
            text.contains(
                "confide_request_duration_seconds_bucket{class=\"submit\",le=\"0.05\"} 2"
            )
        );
        assert!(
            text.contains(
                "confide_request_duration_seconds_bucket{class=\"follow_up\",le=\"0.5\"} 0"
            )
        );
        assert!(
            text.contains(
                "confide_request_duration_seconds_bucket{class=\"follow_up\",le=\"1\"} 1"
            )
        );
        assert!(text.contains("confide_request_duration_seconds_count{class=\"submit\"} 2"));
        assert!(text.contains("confide_outbox_depth 2"));
        assert!(text.contains("confide_overdue_cases{entity=\"minusca\"} 1"));
        assert!(text.contains("confide_storage_failing 0"));
        assert!(text.contains("confide_storage_stopped 1"));
        assert!(text.contains("confide_storage_refused_total 4"));
    }

    #[test]
    fn what_reporters_cause_changes_only_at_a_snapshot_on_the_clocks_round_multiples() {
        let m = Metrics::new(3600);
        let gauges = Gauges {
            overdue: Vec::new(),
            storage: StorageGauges::default(),
        };
        m.report_accepted(SealedOn::Server);
        m.answered("submit", 200, Duration::from_millis(10));
        m.staff_answered(Duration::from_millis(10));
        let before = m.render(&gauges, Some(5));
        assert!(before.contains("confide_reports_accepted_total{sealed_on=\"server\"} 0"));
        assert!(before.contains("confide_request_duration_seconds_count{class=\"submit\"} 0"));
        assert!(before.contains("confide_outbox_depth 0"));
        assert!(before.contains("confide_request_duration_seconds_count{class=\"staff\"} 1"));
        m.snapshot(5);
        let after = m.render(&gauges, Some(9));
        assert!(after.contains("confide_reports_accepted_total{sealed_on=\"server\"} 1"));
        assert!(after.contains("confide_request_duration_seconds_count{class=\"submit\"} 1"));
        assert!(after.contains("confide_outbox_depth 5"));
        assert_eq!(m.until_next_snapshot(7200), Some(Duration::from_secs(3600)));
        assert_eq!(m.until_next_snapshot(7201), Some(Duration::from_secs(3599)));
        assert_eq!(Metrics::new(0).until_next_snapshot(7201), None);
    }
}
