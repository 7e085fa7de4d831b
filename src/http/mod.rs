//! The two listeners. Only this module knows axum.
//!
//! - `public`: the reporter's pages and JSON API, server-authenticated TLS only.
//! - `staff`: the staff JSON API, behind mutual TLS.
//!
//! Neither has an access log. Requests are never logged: not their addresses (the accept loop
//! drops them), not their headers, not their bodies.

pub mod cross_site;
pub mod error;
pub mod extract;
pub mod listener;
pub mod multipart;
pub mod pace;
pub mod pool;
pub mod public;
pub mod staff;
pub mod throttle;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::intake::Intake;
use crate::keyring::Live;
use crate::store::{Day, Store};

/// The clock, injected so that tests and later deadline logic can control it.
pub type Clock = Arc<dyn Fn() -> time::OffsetDateTime + Send + Sync>;

/// What every handler shares: one pointer, cloned for every request by the router and each
/// middleware layer (a struct of a dozen `Arc`s would touch a dozen shared counters each time).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    pub intake: Arc<Intake>,
    pub store: Store,
    pub keyring: Arc<Live>,
    pub clocks: Arc<crate::deadlines::Clocks>,
    pub clock: Clock,
    /// Where the reporter's quick-exit button leads.
    pub quick_exit: Arc<str>,
    /// Report forms already sent (`public::once`).
    pub once: Arc<public::once::Once>,
    /// The public listener's rate limits (`throttle`).
    pub throttle: Arc<throttle::Throttle>,
    /// The onion service's address, for `Onion-Location`.
    pub onion_location: Option<Arc<str>>,
    /// Proof of work under pressure (`public::work`).
    pub work: Arc<public::work::Work>,
    /// The organisation's public key, which reporters' browsers check the keyring against.
    pub organisation_key: Option<Arc<str>>,
    /// Operating figures (`GET /metrics` on the staff listener).
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl Shared {
    /// Today's date (UTC): the only precision kept for reporter-originated dates.
    pub fn today(&self) -> Day {
        (self.clock)().date()
    }

    /// The exact time now, RFC 3339 UTC: kept for staff actions only.
    pub fn now_text(&self) -> String {
        let now = (self.clock)()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| (self.clock)());
        now.format(&time::format_description::well_known::Rfc3339)
            .expect("a UTC time always formats")
    }
}

/// The reporters' router.
pub fn public_router(state: AppState) -> Router {
    let limits = state.intake.limits().clone();
    let pages = bounded(
        public::router(),
        limits.max_body_bytes,
        limits.request_timeout_secs,
    );
    let uploads = bounded(
        public::pages::upload_router(),
        limits.max_upload_bytes,
        limits.upload_timeout_secs,
    );
    pages
        .merge(uploads)
        .fallback(|request: Request| async move {
            let (parts, _) = request.into_parts();
            let ctx = public::pages::Ctx::of(&parts);
            let problem = error::Problem::not_found("There is no such page.");
            public::pages::problem_page(&ctx, problem, "/")
        })
        .layer(axum::middleware::from_fn(pad_follow_ups))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            throttle_requests,
        ))
        // Outside the budgets: another site's request spends none of them.
        .layer(axum::middleware::from_fn(refuse_cross_site))
        .layer(axum::middleware::map_response(explain_empty_errors))
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            onion_location,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            measure_public,
        ))
        .layer(axum::Extension(public::pages::QuickExit(
            state.quick_exit.clone(),
        )))
        .with_state(state)
}

/// Refuses a request that changes something, or a read embedded in its page, when a page of
/// another site made the browser send it (`cross_site`).
async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let verdict = cross_site::judge(
        request.method(),
        request.headers(),
        cross_site::host_asked(&request),
    );
    if verdict == cross_site::Verdict::Allowed {
        return next.run(request).await;
    }
    let problem = error::Problem::new(
        StatusCode::FORBIDDEN,
        "cross_site",
        "This was sent from a page of another site, so nothing was done. To report or to check a case, type this site's address yourself and use its pages.",
    );
    if request.uri().path().starts_with("/api/") {
        problem.into_response()
    } else {
        let (parts, _) = request.into_parts();
        public::pages::problem_page(&public::pages::Ctx::of(&parts), problem, "/")
    }
}

/// Applies the public listener's rate limits (`throttle`): refuses a request over its budget
/// with 429 and how long to wait, and counts failed status checks (a follow-up answered 404:
/// no case for that number), holding back failing answers when failures overall run high.
async fn throttle_requests(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let class = throttle::Class::of(request.method(), request.uri().path());
    let key = request
        .extensions()
        .get::<throttle::PrefixKey>()
        .copied()
        .unwrap_or(throttle::PrefixKey(0));
    if let Err(wait) = state.throttle.admit(class, key) {
        let problem = error::Problem::too_many_requests(wait);
        return if request.uri().path().starts_with("/api/") {
            problem.into_response()
        } else {
            let (parts, _) = request.into_parts();
            public::pages::problem_page(&public::pages::Ctx::of(&parts), problem, "/")
        };
    }
    let response = next.run(request).await;
    if response.extensions().get::<error::FailedCheck>().is_some() {
        let hold = state.throttle.failed(key);
        if !hold.is_zero() {
            tokio::time::sleep(hold).await;
        }
    }
    response
}

/// The largest follow-up answer padded (a status page with many long replies); larger ones
/// are sent as they are.
const MAX_PADDED: usize = 16 << 20;

/// Pads every answer to a follow-up (a status check, a message added, an offer answered; pages
/// and JSON, refusals too) to a size bucket, so that a network observer cannot read a case's
/// status, its replies or a failed check from the answer's length. An HTML page ends in a
/// comment of spaces, JSON in spaces (both ignore them).
async fn pad_follow_ups(request: Request, next: Next) -> Response {
    if throttle::Class::of(request.method(), request.uri().path()) != throttle::Class::FollowUp {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_PADDED).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let padded = padded(&body, html);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(padded))
}

/// `body` grown to its bucket (`seal::bucket`): spaces in an HTML comment, or spaces.
fn padded(body: &[u8], html: bool) -> Vec<u8> {
    let (open, close): (&[u8], &[u8]) = if html { (b"<!--", b"-->") } else { (b"", b"") };
    let target = crate::seal::bucket(body.len() + open.len() + close.len() + 1);
    let mut out = Vec::with_capacity(target);
    out.extend_from_slice(body);
    out.extend_from_slice(open);
    out.resize(target - close.len(), b' ');
    out.extend_from_slice(close);
    out
}

/// Adds `Onion-Location` (the same path on the onion service) to every public answer, when the
/// gateway has an onion service: Tor Browser then offers to switch to it.
async fn onion_location(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let mut response = next.run(request).await;
    if let Some(onion) = &state.onion_location
        && let Ok(value) = HeaderValue::from_str(&format!("{}{path}", onion.trim_end_matches('/')))
    {
        response
            .headers_mut()
            .insert(HeaderName::from_static("onion-location"), value);
    }
    response
}

/// Largest staff JSON request: small re-sealed copies in base64 (larger ones are streamed).
const STAFF_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The staff router. A certificate not in the keyring gets only a 403 naming its fingerprint.
pub fn staff_router(state: AppState) -> Router {
    let limits = state.intake.limits().clone();
    let api = bounded(
        staff::router(),
        STAFF_BODY_BYTES,
        limits.request_timeout_secs,
    );
    let uploads = bounded(
        staff::upload_router(),
        limits.max_upload_bytes,
        limits.upload_timeout_secs,
    );
    api.merge(uploads)
        .fallback(|| async { error::Problem::not_found("No such endpoint.").into_response() })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            staff::require_staff,
        ))
        .layer(axum::middleware::map_response(explain_empty_errors))
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            measure_staff,
        ))
        .with_state(state)
}

/// Counts a public answer by route class and refusal kind, and times it (`crate::metrics`).
async fn measure_public(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let class = throttle::Class::of(request.method(), request.uri().path());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .answered(class.label(), response.status().as_u16(), started.elapsed());
    count_storage_fault(&state, &response);
    response
}

/// An answer refused because storage failed is counted, and the first of an outage logged, by
/// the store's health (`store::health`): one line per outage, not one per request.
fn count_storage_fault(state: &AppState, response: &Response) {
    if let Some(fault) = response.extensions().get::<error::StorageFault>() {
        state.store.health().refused(&fault.0);
    }
}

/// Times a staff answer.
async fn measure_staff(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    state.metrics.staff_answered(started.elapsed());
    count_storage_fault(&state, &response);
    response
}

/// The bounds every route gets, outermost first: a time limit on the whole request (so a body
/// trickled in a byte at a time is cut off), a refusal of declared oversize bodies before
/// reading, and the body limit that stops bodies that lie about or omit their length.
fn bounded(router: Router<AppState>, max_body: usize, timeout_secs: u64) -> Router<AppState> {
    router
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(
            move |request: Request, next: Next| refuse_declared_oversize(max_body, request, next),
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(timeout_secs),
        ))
}

/// Answers 413 at once when a request declares a body over the limit, instead of reading it
/// first. (The body limit above still stops a body that lies about or omits its length.)
async fn refuse_declared_oversize(limit: usize, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        let problem = error::Problem::too_large();
        return if request.uri().path().starts_with("/api/") {
            problem.into_response()
        } else {
            let (parts, _) = request.into_parts();
            public::pages::problem_page(&public::pages::Ctx::of(&parts), problem, "/")
        };
    }
    next.run(request).await
}

/// Gives an error answered by a layer without a body (a timeout, a method the route does not
/// take) the same JSON shape as every other error.
async fn explain_empty_errors(response: Response) -> Response {
    let status = response.status();
    let has_body = response.headers().contains_key(header::CONTENT_TYPE);
    if has_body || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let message = match status {
        StatusCode::REQUEST_TIMEOUT => "The request took too long to arrive. Please send it again.",
        StatusCode::METHOD_NOT_ALLOWED => "This address does not take this kind of request.",
        _ => "The request could not be handled.",
    };
    error::Problem::new(status, "error", message).into_response()
}

/// Headers on every answer: no caching, no referrer, no framing, no outside resources.
async fn security_headers(mut response: Response) -> Response {
    const HEADERS: [(HeaderName, &str); 10] = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::STRICT_TRANSPORT_SECURITY, "max-age=63072000"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-embedder-policy"),
            "require-corp",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        ),
    ];
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        // A handler may set its own page's policy (the statistics report allows its one style
        // block by hash); every other header is always the same.
        if name == header::CONTENT_SECURITY_POLICY && headers.contains_key(&name) {
            continue;
        }
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod padding_tests {
    #[test]
    fn an_answer_grows_to_its_bucket_and_stays_what_it_was() {
        let page = super::padded(b"<html>status</html>", true);
        assert_eq!(page.len(), 4096);
        assert!(page.starts_with(b"<html>status</html><!--") && page.ends_with(b"-->"));
        let json = super::padded(br#"{"status":"received"}"#, false);
        assert_eq!(json.len(), 4096);
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["status"], "received");
        assert_eq!(super::padded(&vec![b'x'; 5000], false).len(), 8192);
    }
}
