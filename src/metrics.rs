//! Operating figures, in the Prometheus text format (`GET /metrics` on the staff listener).
//!
//! Aggregates only: counters and histograms whose labels come from fixed lists in this file
//! (how a report was sealed, a refusal's kind, a listener, a route class) or from the keyring
//! (entity ids). Nothing a request carries becomes a label, so no series can single out a
//! reporter, and the few counts kept say nothing of when any one report arrived.

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

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Microseconds.
    sum_us: AtomicU64,
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

/// Route classes of the latency histogram (the throttle's classes, plus staff).
pub const CLASSES: [&str; 4] = ["submit", "follow_up", "other", "staff"];

#[derive(Default)]
pub struct Metrics {
    accepted_client: AtomicU64,
    accepted_server: AtomicU64,
    refusals: [AtomicU64; REFUSALS.len()],
    latency: [Histogram; CLASSES.len()],
}

/// Figures read from the database when scraped.
pub struct Gauges {
    pub outbox_depth: i64,
    /// Per entity id (every entity of the keyring): open cases with a deadline passed.
    pub overdue: Vec<(String, usize)>,
}

impl Metrics {
    pub fn report_accepted(&self, sealed: SealedOn) {
        match sealed {
            SealedOn::Client => &self.accepted_client,
            SealedOn::Server => &self.accepted_server,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// A public request's answer.
    pub fn answered(&self, class: &str, status: u16, elapsed: Duration) {
        if let Some(i) = REFUSALS.iter().position(|(_, test)| test(status)) {
            self.refusals[i].fetch_add(1, Ordering::Relaxed);
        }
        self.timed(class, elapsed);
    }

    pub fn timed(&self, class: &str, elapsed: Duration) {
        if let Some(i) = CLASSES.iter().position(|c| *c == class) {
            self.latency[i].observe(elapsed);
        }
    }

    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        out.push_str("# HELP confide_reports_accepted_total Reports stored, by where they were sealed.\n# TYPE confide_reports_accepted_total counter\n");
        for (label, value) in [
            ("client", &self.accepted_client),
            ("server", &self.accepted_server),
        ] {
            let _ = writeln!(
                out,
                "confide_reports_accepted_total{{sealed_on=\"{label}\"}} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP confide_refusals_total Public requests refused, by kind.\n# TYPE confide_refusals_total counter\n");
        for ((kind, _), value) in REFUSALS.iter().zip(&self.refusals) {
            let _ = writeln!(
                out,
                "confide_refusals_total{{kind=\"{kind}\"}} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP confide_request_duration_seconds Time to answer a request, by route class.\n# TYPE confide_request_duration_seconds histogram\n");
        for (class, histogram) in CLASSES.iter().zip(&self.latency) {
            histogram.write(
                &mut out,
                "confide_request_duration_seconds",
                &format!("class=\"{class}\""),
            );
        }
        out.push_str("# HELP confide_outbox_depth Sealed envelopes waiting to be forwarded.\n# TYPE confide_outbox_depth gauge\n");
        let _ = writeln!(out, "confide_outbox_depth {}", gauges.outbox_depth);
        out.push_str("# HELP confide_overdue_cases Open cases with a deadline passed, by entity.\n# TYPE confide_overdue_cases gauge\n");
        for (entity, count) in &gauges.overdue {
            let _ = writeln!(out, "confide_overdue_cases{{entity=\"{entity}\"}} {count}");
        }
        if let Some(bytes) = resident_bytes() {
            out.push_str("# HELP confide_resident_memory_bytes The gateway's resident memory.\n# TYPE confide_resident_memory_bytes gauge\n");
            let _ = writeln!(out, "confide_resident_memory_bytes {bytes}");
        }
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
        let text = m.render(&Gauges {
            outbox_depth: 2,
            overdue: vec![("minusca".into(), 1)],
        });
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
    }
}
