//! A listener's connections, and whom to close when there is no room.
//!
//! Holding connections open is the cheapest attack on a server: no byte needs to be sent. The
//! table below is built so that holding them does not shut anyone out:
//!
//! - A connection in its TLS handshake takes a *handshake* place, never a served one, so idle
//!   TCP connections (or, on the staff listener, clients without a certificate) cannot fill the
//!   places of those who got through. When handshake places run out, the oldest handshake of
//!   the network holding the most is closed: a real client finishes its handshake in a few
//!   round trips, a flood's idle connection has waited longer, and a flood holds many places
//!   per network where a reporter holds one.
//! - A served place is taken once TLS is done. When they run out, the newcomer takes the place
//!   of, first, the connection that has waited longest for a request (an idle keep-alive or a
//!   client dribbling its headers), then the connection that moves its body or its answer the
//!   slowest, if slower than [`PRESSURE_BYTES_PER_SECOND`], each time from the network holding
//!   the most served places first. A connection doing real work is never closed for a
//!   newcomer; if all are, the newcomer is.
//! - No network (the keyed hash of its prefix, `throttle`) may hold more than a sixteenth of
//!   either kind of place; past its share, a network's newcomer displaces one of its own
//!   connections, never another network's.
//!
//! Together with the minimum data rates (`pace`) and the handshake and header timeouts, a
//! flood of idle, slow-header, slow-body or slow-read connections from many networks costs the
//! attacker real bandwidth instead of a socket each. `benches/flood.rs` measures it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::http::pace::{Meters, Pace};
use crate::http::throttle::PrefixKey;

/// Under pressure, a connection moving data slower than this (while the gateway waits on it)
/// may be closed for a newcomer: a phone on 2G (GPRS, about 5 KB/s) is faster.
pub const PRESSURE_BYTES_PER_SECOND: f64 = 2048.0;
/// How long a connection must have held the gateway waiting before its rate is judged. The
/// rate is the average since its first wait, so an upload that was moving keeps its average
/// through a stall of a few seconds (a phone switching cells); judging only after the pace's
/// 10 s grace left a slow-body flood's new connections unjudged and failed about one reporter's
/// request in thirty in the flood benchmark (docs/BENCHMARKS.md), against none after 1 s.
const JUDGED_AFTER: Duration = Duration::from_secs(1);

/// Set on an answer whose request was not a GET yet changed nothing (a status check): its
/// writing is judged like a page's, not kept like the answer to a change (`Ticket::answered`).
#[derive(Clone, Copy, Debug)]
pub struct ChangesNothing;

/// Marks an answer as [`ChangesNothing`]; a route's layer
/// (`axum::middleware::map_response(pool::changes_nothing)`).
pub async fn changes_nothing(mut response: axum::response::Response) -> axum::response::Response {
    response.extensions_mut().insert(ChangesNothing);
    response
}

/// How many places a listener has.
#[derive(Clone, Copy, Debug)]
pub struct Places {
    /// Connections in their TLS handshake.
    pub handshakes: usize,
    /// Connections past it, served.
    pub served: usize,
}

impl Places {
    /// A network's share of `places`: a sixteenth, at least 8.
    fn share(places: usize) -> usize {
        (places / 16).max(8).min(places)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Handshake,
    /// Waiting for a request (keep-alive, or headers still arriving).
    Waiting,
    /// A request is being read, handled or answered.
    Busy,
}

struct Entry {
    network: PrefixKey,
    phase: Phase,
    since: Instant,
    meters: Arc<Meters>,
    /// The answer being written tells the outcome of something the client changed (a report
    /// filed, a message added): it is never closed for a newcomer, only by its own pace, so
    /// that a survivor on a slow line under a flood is not left without their number.
    keep_answer: bool,
}

/// The table of one listener's connections.
pub struct Pool {
    places: Places,
    pace: Pace,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    next: u64,
    /// By arrival: the first entry of a phase is its oldest arrival.
    entries: BTreeMap<u64, Entry>,
}

impl Table {
    fn count(&self, handshake: bool, network: Option<PrefixKey>) -> usize {
        self.entries
            .values()
            .filter(|e| (e.phase == Phase::Handshake) == handshake)
            .filter(|e| network.is_none_or(|n| e.network == n))
            .count()
    }

    /// Closes connection `id` now: its place is free at once, its task ends when it sees the
    /// signal.
    fn close(&mut self, id: u64) {
        if let Some(entry) = self.entries.remove(&id) {
            entry.meters.close.notify_one();
        }
    }

    /// How many places of a kind each network holds, when the whole table is in question
    /// (`network` is `None`); within one network's own connections every count is the same.
    fn holdings(&self, handshake: bool, network: Option<PrefixKey>) -> HashMap<PrefixKey, usize> {
        let mut held = HashMap::new();
        if network.is_none() {
            for e in self.entries.values() {
                if (e.phase == Phase::Handshake) == handshake {
                    *held.entry(e.network).or_insert(0) += 1;
                }
            }
        }
        held
    }

    /// The handshake to close for a newcomer: of the network holding the most handshakes, the
    /// one that has waited longest. Closing the oldest handshake of all would, under a fast
    /// enough churn, close a real client whose handshake waits its turn for the CPU; a flood
    /// holds many places per network, a reporter one.
    fn oldest_handshake(&self, network: Option<PrefixKey>) -> Option<u64> {
        let held = self.holdings(true, network);
        let weight = |e: &Entry| std::cmp::Reverse(held.get(&e.network).copied().unwrap_or(0));
        self.entries
            .iter()
            .filter(|(_, e)| e.phase == Phase::Handshake)
            .filter(|(_, e)| network.is_none_or(|n| e.network == n))
            .min_by_key(|(_, e)| (weight(e), e.since))
            .map(|(id, _)| *id)
    }

    /// The served connection to close for a newcomer, if one may be: an idle one, else one
    /// too slow, each time from the network holding the most served places first.
    fn victim(&self, network: Option<PrefixKey>, now: Instant) -> Option<u64> {
        let held = self.holdings(false, network);
        let weight = |e: &Entry| std::cmp::Reverse(held.get(&e.network).copied().unwrap_or(0));
        let served = || {
            self.entries
                .iter()
                .filter(|(_, e)| e.phase != Phase::Handshake)
                .filter(move |(_, e)| network.is_none_or(|n| e.network == n))
        };
        let idle = served()
            .filter(|(_, e)| e.phase == Phase::Waiting)
            .filter(|(_, e)| e.meters.writes.stalled_rate(now, Duration::ZERO).is_none())
            .min_by_key(|(_, e)| (weight(e), e.since))
            .map(|(id, _)| *id);
        idle.or_else(|| {
            served()
                .filter(|(_, e)| !e.keep_answer)
                .filter_map(|(id, e)| {
                    let body = e.meters.body.stalled_rate(now, JUDGED_AFTER);
                    let writes = e.meters.writes.stalled_rate(now, JUDGED_AFTER);
                    let rate = match (body, writes) {
                        (Some(a), Some(b)) => a.min(b),
                        (a, b) => a.or(b)?,
                    };
                    (rate < PRESSURE_BYTES_PER_SECOND).then_some((*id, weight(e), rate))
                })
                .min_by(|a, b| a.1.cmp(&b.1).then(a.2.total_cmp(&b.2)))
                .map(|(id, _, _)| id)
        })
    }
}

impl Pool {
    pub fn new(places: Places, pace: Pace) -> Arc<Pool> {
        Arc::new(Pool {
            places,
            pace,
            table: Mutex::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection from `network` starts its handshake; the oldest handshake (the network's
    /// own, past its share) is closed if there is no room.
    pub fn admit(self: &Arc<Self>, network: PrefixKey, now: Instant) -> Ticket {
        let mut table = self.lock();
        let share = Places::share(self.places.handshakes);
        let scope = if table.count(true, Some(network)) >= share {
            Some(Some(network))
        } else if table.count(true, None) >= self.places.handshakes {
            Some(None)
        } else {
            None
        };
        if let Some(scope) = scope
            && let Some(oldest) = table.oldest_handshake(scope)
        {
            table.close(oldest);
        }
        let id = table.next;
        table.next += 1;
        let meters = Arc::new(Meters::new(self.pace));
        table.entries.insert(
            id,
            Entry {
                network,
                phase: Phase::Handshake,
                since: now,
                keep_answer: false,
                meters: meters.clone(),
            },
        );
        Ticket {
            pool: self.clone(),
            id,
            meters,
        }
    }

    /// Connections in the table (a stopping listener waits for none).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One connection's place in the table, given back when it is dropped.
pub struct Ticket {
    pool: Arc<Pool>,
    id: u64,
    meters: Arc<Meters>,
}

impl Ticket {
    pub fn meters(&self) -> &Arc<Meters> {
        &self.meters
    }

    /// The handshake is done: takes a served place, closing another connection if there is no
    /// room and one may be closed. `false`: no room; this connection should be closed.
    pub fn established(&self, now: Instant) -> bool {
        let mut table = self.pool.lock();
        let Some(network) = table.entries.get(&self.id).map(|e| e.network) else {
            return false; // closed for a newcomer meanwhile
        };
        let share = Places::share(self.pool.places.served);
        let scope = if table.count(false, Some(network)) >= share {
            Some(Some(network))
        } else if table.count(false, None) >= self.pool.places.served {
            Some(None)
        } else {
            None
        };
        if let Some(scope) = scope {
            match table.victim(scope, now) {
                Some(victim) => table.close(victim),
                None => return false,
            }
        }
        self.set(&mut table, Phase::Waiting, now);
        true
    }

    /// A request has arrived.
    pub fn busy(&self, now: Instant) {
        let mut table = self.pool.lock();
        self.set(&mut table, Phase::Busy, now);
    }

    /// The answer is handed to the connection, which waits for another request once it is
    /// written. `keep` when the answer tells the outcome of a change the client asked for: its
    /// writing is then never closed for a newcomer (only by the connection's own pace).
    pub fn answered(&self, now: Instant, keep: bool) {
        let mut table = self.pool.lock();
        self.set(&mut table, Phase::Waiting, now);
        if let Some(entry) = table.entries.get_mut(&self.id) {
            entry.keep_answer = keep;
        }
    }

    fn set(&self, table: &mut Table, phase: Phase, now: Instant) {
        if let Some(entry) = table.entries.get_mut(&self.id) {
            entry.phase = phase;
            entry.since = now;
            entry.keep_answer = false;
        }
    }

    /// Resolves when the table closes this connection (or its pace is too slow).
    pub async fn closed(&self) {
        self.meters.close.notified().await
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.pool.lock().entries.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(n: u64) -> PrefixKey {
        PrefixKey(n)
    }

    fn pool(handshakes: usize, served: usize) -> Arc<Pool> {
        Pool::new(Places { handshakes, served }, Pace::default())
    }

    fn was_closed(ticket: &Ticket) -> bool {
        futures_util::FutureExt::now_or_never(ticket.closed()).is_some()
    }

    #[test]
    fn a_full_handshake_table_closes_its_oldest_handshake_for_a_newcomer() {
        let pool = pool(16, 16);
        let t0 = Instant::now();
        let held: Vec<Ticket> = (0..16)
            .map(|i| pool.admit(net(i), t0 + Duration::from_millis(i)))
            .collect();
        let newcomer = pool.admit(net(99), t0 + Duration::from_secs(1));
        assert!(was_closed(&held[0]), "the oldest handshake is closed");
        assert!(held[1..].iter().all(|t| !was_closed(t)));
        assert!(!was_closed(&newcomer));
        assert_eq!(pool.len(), 16);
    }

    #[test]
    fn a_network_past_its_share_of_handshakes_displaces_only_its_own() {
        let pool = pool(256, 256); // a share of 16
        let t0 = Instant::now();
        let other = pool.admit(net(1), t0);
        let own: Vec<Ticket> = (0..16).map(|_| pool.admit(net(2), t0)).collect();
        let _more = pool.admit(net(2), t0 + Duration::from_secs(1));
        assert!(!was_closed(&other));
        assert_eq!(own.iter().filter(|t| was_closed(t)).count(), 1);
    }

    #[test]
    fn handshakes_never_take_a_served_place() {
        let pool = pool(64, 2);
        let t0 = Instant::now();
        let _idle: Vec<Ticket> = (0..64).map(|i| pool.admit(net(i % 8), t0)).collect();
        let real = pool.admit(net(100), t0);
        assert!(real.established(t0));
    }

    #[test]
    fn a_full_table_closes_the_longest_idle_connection_for_a_newcomer() {
        let pool = pool(16, 2);
        let t0 = Instant::now();
        let (a, b) = (pool.admit(net(1), t0), pool.admit(net(2), t0));
        assert!(a.established(t0) && b.established(t0 + Duration::from_secs(1)));
        let c = pool.admit(net(3), t0);
        assert!(c.established(t0 + Duration::from_secs(2)));
        assert!(was_closed(&a), "waited longest for a request");
        assert!(!was_closed(&b));
    }

    #[test]
    fn a_connection_doing_real_work_is_never_closed_for_a_newcomer() {
        let pool = pool(16, 1);
        let t0 = Instant::now();
        let working = pool.admit(net(1), t0);
        assert!(working.established(t0));
        working.busy(t0);
        let newcomer = pool.admit(net(2), t0);
        assert!(!newcomer.established(t0 + Duration::from_secs(30)));
        assert!(!was_closed(&working));
    }

    #[test]
    fn under_pressure_a_slow_reader_of_a_page_makes_room_and_of_a_filed_report_does_not() {
        let pool = pool(16, 2);
        let t0 = Instant::now();
        let (page, report) = (pool.admit(net(1), t0), pool.admit(net(2), t0));
        for (t, keep) in [(&page, false), (&report, true)] {
            assert!(t.established(t0));
            t.busy(t0);
            t.answered(t0, keep);
            // Both read their answer at 100 bytes a second.
            t.meters().writes.waiting(t0);
            t.meters().writes.moved(1200, t0 + Duration::from_secs(12));
            t.meters().writes.waiting(t0 + Duration::from_secs(12));
        }
        let newcomer = pool.admit(net(3), t0);
        assert!(newcomer.established(t0 + Duration::from_secs(13)));
        assert!(was_closed(&page));
        assert!(!was_closed(&report));
        // The report's answer alone is left: the next newcomer is refused, the answer goes on.
        newcomer.busy(t0 + Duration::from_secs(13));
        let late = pool.admit(net(4), t0);
        assert!(!late.established(t0 + Duration::from_secs(14)));
        assert!(!was_closed(&report));
        // The next request on that connection is judged like any other.
        report.busy(t0 + Duration::from_secs(15));
        report.answered(t0 + Duration::from_secs(15), false);
        report.meters().writes.waiting(t0 + Duration::from_secs(15));
        report
            .meters()
            .writes
            .moved(1200, t0 + Duration::from_secs(27));
        report.meters().writes.waiting(t0 + Duration::from_secs(27));
        let again = pool.admit(net(5), t0);
        assert!(again.established(t0 + Duration::from_secs(28)));
        assert!(was_closed(&report));
    }

    #[test]
    fn under_pressure_an_upload_that_was_moving_keeps_its_place_through_a_stall() {
        let pool = pool(16, 1);
        let t0 = Instant::now();
        let upload = pool.admit(net(1), t0);
        assert!(upload.established(t0));
        upload.busy(t0);
        upload.meters().body.waiting(t0);
        // 100 kB in 20 s (a phone on 2G), then nothing for eight seconds: switching cells.
        upload
            .meters()
            .body
            .moved(100_000, t0 + Duration::from_secs(20));
        upload.meters().body.waiting(t0 + Duration::from_secs(20));
        let newcomer = pool.admit(net(2), t0);
        assert!(!newcomer.established(t0 + Duration::from_secs(28)));
        assert!(!was_closed(&upload));
    }

    #[test]
    fn under_pressure_the_slowest_upload_makes_room_and_a_fast_one_does_not() {
        let pool = pool(16, 2);
        let t0 = Instant::now();
        let (slow, fast) = (pool.admit(net(1), t0), pool.admit(net(2), t0));
        for t in [&slow, &fast] {
            assert!(t.established(t0));
            t.busy(t0);
            t.meters().body.waiting(t0);
        }
        slow.meters().body.moved(3000, t0 + Duration::from_secs(12));
        slow.meters().body.waiting(t0 + Duration::from_secs(12));
        fast.meters()
            .body
            .moved(600_000, t0 + Duration::from_secs(12));
        fast.meters().body.waiting(t0 + Duration::from_secs(12));
        let newcomer = pool.admit(net(3), t0);
        assert!(newcomer.established(t0 + Duration::from_secs(13)));
        assert!(was_closed(&slow));
        assert!(!was_closed(&fast));
        // The fast upload alone is left to displace: the next newcomer is refused.
        newcomer.busy(t0 + Duration::from_secs(13));
        let late = pool.admit(net(4), t0);
        assert!(!late.established(t0 + Duration::from_secs(14)));
        assert!(!was_closed(&fast));
    }

    #[test]
    fn a_full_handshake_table_closes_a_handshake_of_the_network_holding_most() {
        let pool = pool(16, 16);
        let t0 = Instant::now();
        // A reporter's handshake, the oldest of all, waits its turn behind a flood from two
        // networks that hold every other place.
        let reporter = pool.admit(net(1), t0);
        let flood: Vec<Ticket> = (0..15)
            .map(|i| pool.admit(net(2 + i % 2), t0 + Duration::from_millis(1 + i)))
            .collect();
        let _newcomer = pool.admit(net(9), t0 + Duration::from_secs(1));
        assert!(!was_closed(&reporter), "the reporter's one place is kept");
        assert!(
            was_closed(&flood[0]),
            "the oldest of the heaviest network's (8 of 15)"
        );
        assert!(flood[1..].iter().all(|t| !was_closed(t)));
    }

    #[test]
    fn a_full_table_closes_an_idle_connection_of_the_network_holding_most() {
        let pool = pool(16, 4);
        let t0 = Instant::now();
        let reporter = pool.admit(net(1), t0);
        assert!(reporter.established(t0));
        let flood: Vec<Ticket> = (0..3).map(|_| pool.admit(net(2), t0)).collect();
        for (i, t) in flood.iter().enumerate() {
            assert!(t.established(t0 + Duration::from_secs(1 + i as u64)));
        }
        let newcomer = pool.admit(net(3), t0);
        assert!(newcomer.established(t0 + Duration::from_secs(5)));
        assert!(
            !was_closed(&reporter),
            "idle longest, but its network's only connection"
        );
        assert!(was_closed(&flood[0]));
    }

    #[test]
    fn a_dropped_ticket_gives_its_place_back() {
        let pool = pool(4, 4);
        let t = pool.admit(net(1), Instant::now());
        assert_eq!(pool.len(), 1);
        drop(t);
        assert!(pool.is_empty());
    }
}
