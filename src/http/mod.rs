//! The two listeners. Only this module knows axum.
//!
//! - `public`: the reporter's pages and JSON API, server-authenticated TLS only.
//! - `staff`: the staff JSON API, behind mutual TLS.
//!
//! Neither has an access log. Requests are never logged: not their addresses (the accept loop
//! drops them), not their headers, not their bodies.

pub mod error;
pub mod extract;
pub mod listener;
pub mod public;
pub mod staff;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::intake::Intake;
use crate::keyring::Keyring;
use crate::store::{Day, Store};

/// The clock, injected so that tests and later deadline logic can control it.
pub type Clock = Arc<dyn Fn() -> time::OffsetDateTime + Send + Sync>;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub intake: Arc<Intake>,
    pub store: Store,
    pub keyring: Arc<Keyring>,
    pub clock: Clock,
}

impl AppState {
    /// Today's date (UTC): the only precision kept for reporter-originated dates.
    pub fn today(&self) -> Day {
        (self.clock)().date()
    }
}

/// The reporters' router.
pub fn public_router(state: AppState) -> Router {
    let body_limit = state.intake.limits().max_body_bytes;
    // Layers run outside-in in the reverse of the order written: the security headers wrap every
    // answer, the fallback included, and the body limit is set before any extractor reads.
    public::router()
        .fallback(|| async {
            public::pages::problem_page(error::Problem::not_found("There is no such page."), "/")
        })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(move |req, next| {
            refuse_declared_oversize(body_limit, req, next)
        }))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// The staff router.
pub fn staff_router(state: AppState) -> Router {
    staff::router()
        .fallback(|| async { error::Problem::not_found("No such endpoint.").into_response() })
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
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
            public::pages::problem_page(problem, "/")
        };
    }
    next.run(request).await
}

/// Headers on every answer: no caching, no referrer, no framing, no outside resources.
async fn security_headers(mut response: Response) -> Response {
    const HEADERS: [(HeaderName, &str); 9] = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
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
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        ),
    ];
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
