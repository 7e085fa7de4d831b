//! How fast the staff desk opens: 500 cases sealed to an intake officer (a report and a
//! message each, really sealed), then the first unlock (sync, every envelope downloaded and
//! kept sealed, all opened in memory, the inbox built), the inbox page, a sync with nothing
//! new, a search, and an unlock of a desk that already holds everything. Printed as Markdown.
//!
//! Run: `cargo bench --bench desk` (`DESK_CASES` changes the 500). Gateway, desk and this
//! client share the machine's cores; each figure is the median of `DESK_ROUNDS` (default 5).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/desk.rs"]
#[allow(dead_code)]
mod desk_run;

use std::time::{Duration, Instant};

use zeroize::Zeroizing;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Fills a store with `total` MINUSCA cases, each a sealed report and a sealed message.
async fn preload(url: &str, total: usize) {
    let store = confide::store::Store::open(url).await.unwrap();
    let intake = common::age_identity("intake-minusca").to_public();
    let mut tasks = Vec::new();
    for worker in 0..16usize {
        let (store, intake) = (store.clone(), intake.clone());
        tasks.push(tokio::spawn(async move {
            for n in (worker..total).step_by(16) {
                let report = serde_json::json!({
                    "format": "confide-report/2",
                    "entity": "minusca",
                    "submitted_on": "2026-11-27",
                    "description": format!("Bench report {n}: what happened at the market, in a few lines of the survivor's own words, as most reports are."),
                    "safe_now": if n % 7 == 0 { "no" } else { "yes" },
                    "child_involved": if n % 11 == 0 { "yes" } else { "no" },
                    "needs": ["medical"],
                });
                let message = serde_json::json!({
                    "format": "confide-message/1",
                    "written_on": "2026-11-28",
                    "text": format!("Bench message {n}: one more thing I remembered."),
                });
                let seal = |doc: serde_json::Value| {
                    confide::seal::seal(
                        Zeroizing::new(serde_json::to_vec_pretty(&doc).unwrap()),
                        std::slice::from_ref(&intake),
                    )
                    .unwrap()
                };
                let mut secret = [0u8; 32];
                ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret)
                    .unwrap();
                let verifier = confide::token::Verifier(secret);
                let case = store
                    .create_case(confide::store::NewCase {
                        entity: "minusca",
                        verifier: &verifier,
                        reply_recipient: common::age_identity("intake-minusca")
                            .to_public()
                            .to_string(),
                        envelopes: vec![confide::store::NewEnvelope {
                            id: confide::store::random_id(),
                            kind: confide::cases::EnvelopeKind::Report,
                            body: confide::store::EnvelopeBody::Inline(seal(report)),
                            recipients: vec!["intake-minusca".into()],
                        }],
                        today: time::macros::date!(2026 - 11 - 27),
                    })
                    .await
                    .unwrap();
                store
                    .add_envelopes(
                        &case,
                        &[confide::store::NewEnvelope {
                            id: confide::store::random_id(),
                            kind: confide::cases::EnvelopeKind::Message,
                            body: confide::store::EnvelopeBody::Inline(seal(message)),
                            recipients: vec!["intake-minusca".into()],
                        }],
                        time::macros::date!(2026 - 11 - 28),
                        None,
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    confide::tls::install_crypto_provider();
    let cases = setting("DESK_CASES", 500);
    let rounds = setting("DESK_ROUNDS", 5).max(1);
    println!("## confide desk benchmark\n");
    println!(
        "{cases} cases sealed to intake-minusca (a report and a message each); gateway (SQLite), desk and client on one machine of {} cores; release build; medians of {rounds}.\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", data.path().join("confide.db").display());
    preload(&url, cases).await;
    let gateway = common::Gateway::spawn_demo(&common::keys(), data.path(), &[], &[]);

    let (mut first, mut inbox, mut nothing_new, mut search, mut warm) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let folder = tempfile::tempdir().unwrap();
        let mut desk = desk_run::Desk::start(&gateway, "intake-minusca", folder.path(), &[]);
        let started = Instant::now();
        desk.launch_and_unlock().await;
        let (_, _, page) = desk.get("/").await;
        first.push(started.elapsed());
        assert_eq!(
            desk_run::cases_on(&page).len(),
            cases,
            "every case is in the inbox"
        );

        let started = Instant::now();
        desk.get("/").await;
        inbox.push(started.elapsed());

        let started = Instant::now();
        let (status, _, _) = desk.post("/sync", &[]).await;
        nothing_new.push(started.elapsed());
        assert_eq!(status, 303);

        let started = Instant::now();
        desk.post("/filter", &[("q", "market remembered 421")])
            .await;
        let (_, _, page) = desk.get("/").await;
        search.push(started.elapsed());
        assert_eq!(
            desk_run::cases_on(&page).len(),
            1,
            "one case has all three words"
        );

        desk.stop();
        let mut again = desk_run::Desk::start(&gateway, "intake-minusca", folder.path(), &[]);
        let started = Instant::now();
        again.launch_and_unlock().await;
        again.get("/").await;
        warm.push(started.elapsed());
    }
    println!("| step | ms |");
    println!("|---|---:|");
    println!(
        "| first unlock: sync, {} envelopes downloaded and kept sealed, all opened, inbox shown | {} |",
        cases * 2,
        ms(median(first))
    );
    println!(
        "| the inbox page again ({cases} rows) | {} |",
        ms(median(inbox))
    );
    println!("| a sync with nothing new | {} |", ms(median(nothing_new)));
    println!(
        "| a search over everything opened (three words) | {} |",
        ms(median(search))
    );
    println!(
        "| unlock of a desk that holds everything (no download), inbox shown | {} |",
        ms(median(warm))
    );
}
