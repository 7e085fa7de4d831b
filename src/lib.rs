//! confide: a confidential, anonymous reporting gateway for survivors and witnesses of sexual
//! exploitation and abuse.
//!
//! A tour, in the order a report travels:
//!
//! - [`http`] owns the two TLS listeners: `public` (the reporter's pages and JSON API, with the
//!   one-time marks of the report form and the proof of work under pressure) and `staff` (mutual
//!   TLS). Its accept loop drops client addresses on the spot, keeping only a daily-keyed hash of
//!   the network for `http::throttle`, the rate limits that remember nobody.
//! - [`i18n`] holds the reporter's nine languages (Fluent files under `locales/`); the browser
//!   code that seals on the phone is in `web/`, built into `static/confide.js`.
//! - [`intake`] takes a report in: seals it (or checks the client's envelope), makes and
//!   stretches the follow-up token, stores the case, and answers status checks.
//! - [`token`] owns the follow-up token: generation, digits with check digits, Argon2id
//!   stretching into a lookup key and a reply key, and the HMAC verifier the store keeps.
//! - [`seal`] owns envelopes: padding to size buckets, age sealing and opening, and the checks
//!   made on envelopes sealed by clients.
//! - [`store`] owns persistence (SQLite, or PostgreSQL for several gateways), with group commit,
//!   retention and the audit chain's storage; it is the only module that speaks SQL.
//! - [`cases`] is pure logic: status codes and transitions, envelope kinds, who may see what;
//!   [`deadlines`] computes what is late; [`audit`] hashes and verifies the audit chain.
//! - What resolution 78/331 asks to be tracked, also pure logic: [`allegation`] (how staff
//!   classify a case), [`notification`] (Member States informed, national action, their clocks),
//!   [`assistance`] (consents and referrals to services) and [`stats`] (yearly figures with
//!   small counts suppressed).
//! - [`keyring`] holds the entities and staff with their public keys and certificate
//!   fingerprints, checks the organisation's signature over them, and keeps the live keyring a
//!   gateway reloads on SIGHUP, less the members revoked in the database.
//! - [`forward`] delivers each sealed report, file and message of an entity to its own
//!   endpoint from the database outbox; [`metrics`] keeps the aggregate operating figures.
//! - [`tls`] builds the rustls configurations and fingerprints certificates.
//! - [`config`] reads and validates `confide.toml` with `CONFIDE_…` overrides.
//! - [`server`] starts it all; [`cli`] is the command line, including the staff client, the
//!   key ceremonies and `check`; [`desk`] is the staff desk, the same client drawn as pages
//!   in the member's own browser, served on their machine's loopback; [`keys`] makes certificates, identities and signatures; [`telemetry`] sets up logging; `fuzzing` holds
//!   the harnesses of the fuzz targets in `fuzz/`.

#![forbid(unsafe_code)]

pub mod allegation;
pub mod assistance;
pub mod audit;
pub mod cases;
pub mod cli;
mod codes;
pub mod config;
pub mod deadlines;
pub mod descriptors;
pub mod desk;
#[doc(hidden)]
pub mod forward;
pub mod fuzzing;
pub mod http;
pub mod i18n;
pub mod intake;
pub mod keyring;
pub mod keys;
pub mod metrics;
pub mod notification;
pub mod seal;
pub mod server;
pub mod staff_api;
pub mod stats;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod token;
