//! The staff listener's JSON API. Every caller has passed mutual TLS with a certificate from the
//! organisation's CA; the certificate's fingerprint must name a staff member in the keyring, or
//! nothing at all is answered. What each member may see and do is decided by `cases`; every
//! request that touches a case is recorded in the audit chain.

mod actions;
mod assistance;
mod member_states;
mod oversight;
mod reads;
mod rotation;
mod statistics;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::Problem;
use super::listener::ClientCertificate;
use crate::audit::AuditEntry;
use crate::cases::{Access, may_see};
use crate::keyring::{Role, Staff};
use crate::store::{CaseRecord, is_valid_id};

pub fn router() -> Router<AppState> {
    reads::router()
        .merge(actions::router())
        .merge(oversight::router())
        .merge(member_states::router())
        .merge(assistance::router())
        .merge(statistics::router())
        .merge(rotation::router())
}

/// Routes that stream large bodies (re-sealed copies of files).
pub fn upload_router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/staff/uploads",
        axum::routing::post(actions::upload),
    )
}

/// The authenticated staff member making the request.
pub struct StaffMember(pub Staff);

impl FromRequestParts<AppState> for StaffMember {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        // `require_staff` identified the member once, before any route ran.
        match parts.extensions.get::<Identified>() {
            Some(Identified(staff)) => Ok(StaffMember(staff.clone())),
            None => identify(parts.extensions.get::<ClientCertificate>(), state, false)
                .await
                .map(StaffMember),
        }
    }
}

/// The member `require_staff` identified, for the routes' extractor.
#[derive(Clone)]
struct Identified(Staff);

/// The one route an auditor may reach while the database cannot say whether they were revoked:
/// the metrics, which must be able to show that storage failed, and which carry no case.
const METRICS_PATH: &str = "/metrics";

/// The staff member a certificate names: in the keyring, and not revoked in the database (read
/// on every request, so that a revocation takes effect at once on every gateway).
///
/// When the database cannot answer, every request is refused (503), except, with
/// `metrics_scrape`, an auditor of the live keyring reaching `/metrics`: the keyring leaves out
/// the members revoked up to its last refresh, and the metrics name no case and no person.
async fn identify(
    certificate: Option<&ClientCertificate>,
    state: &AppState,
    metrics_scrape: bool,
) -> Result<Staff, Problem> {
    let fingerprint = certificate.and_then(|c| c.0).ok_or_else(|| {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "no_certificate",
            "A client certificate is required.",
        )
    })?;
    let revoked = match state.store.is_revoked(&fingerprint).await {
        Ok(revoked) => revoked,
        Err(e)
            if metrics_scrape
                && e.is_unavailable()
                && state
                    .keyring
                    .current()
                    .staff_by_fingerprint(&fingerprint)
                    .is_some_and(|s| s.role == crate::keyring::Role::Auditor) =>
        {
            false
        }
        Err(e) => return Err(e.into()),
    };
    if revoked {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "revoked",
            "Your access was revoked. Ask an administrator if you think this is a mistake.",
        ));
    }
    state.keyring.current().staff_by_fingerprint(&fingerprint).cloned().ok_or_else(|| {
        Problem::new(
            StatusCode::FORBIDDEN,
            "unknown_certificate",
            format!(
                "Your certificate is not in the keyring (SHA-256 {}). Ask an administrator to add it.",
                hex::encode(fingerprint)
            ),
        )
    })
}

/// Refuses every request, unknown paths included, from a certificate not in the keyring.
pub async fn require_staff(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut request = request;
    let scrape = request.uri().path() == METRICS_PATH;
    match identify(
        request.extensions().get::<ClientCertificate>(),
        &state,
        scrape,
    )
    .await
    {
        Ok(staff) => {
            request.extensions_mut().insert(Identified(staff));
            next.run(request).await
        }
        Err(problem) => problem.into_response(),
    }
}

/// The case, if it exists and the staff member may see it. A case of another entity and a case
/// that does not exist get the same answer, so that nobody learns of another entity's cases;
/// an investigator of the case's own entity is told plainly that it is someone else's.
async fn visible_case(
    state: &AppState,
    staff: &Staff,
    case_id: &str,
) -> Result<CaseRecord, Problem> {
    case_where(state, staff, case_id, |staff, case| {
        may_see(staff, &access(case))
    })
    .await
}

/// The case, if it exists and `allowed` says the staff member may reach it for the purpose at
/// hand; refused like [`visible_case`] otherwise.
async fn case_where(
    state: &AppState,
    staff: &Staff,
    case_id: &str,
    allowed: impl Fn(&Staff, &CaseRecord) -> bool,
) -> Result<CaseRecord, Problem> {
    let missing = || Problem::not_found("No case with this id is visible to you.");
    if !is_valid_id(case_id) {
        return Err(refused(state, staff, "", missing()).await);
    }
    let refusal = match state.store.case(case_id).await? {
        Some(case) if allowed(staff, &case) => return Ok(case),
        // Someone who sees the case knows it exists, so they are told what they may do instead,
        // not that it is someone else's. What the case's staff cannot do on their own case is
        // the assistance officers' part (referrals, their notes).
        Some(case) if may_see(staff, &access(&case)) => Problem::new(
            StatusCode::FORBIDDEN,
            "assistance_only",
            "Only the assistance officers of this case's entity do this; hand the need over to them with `confide staff note CASE`.",
        ),
        Some(case) if staff.role == Role::Investigator && staff.serves(&case.entity) => {
            Problem::new(
                StatusCode::FORBIDDEN,
                "assigned_elsewhere",
                "This case is assigned to someone else; ask your entity's intake officer.",
            )
        }
        _ => missing(),
    };
    Err(refused(state, staff, case_id, refusal).await)
}

/// Records a refused request in the audit chain (someone probing case ids leaves a trace) and
/// returns the refusal. If the record cannot be written, the answer is the server error.
async fn refused(state: &AppState, staff: &Staff, case_id: &str, problem: Problem) -> Problem {
    let entry = audit(
        state,
        staff,
        "refused",
        case_id,
        format!("{} {}", problem.status.as_u16(), problem.code),
    );
    match state.store.record(&entry).await {
        Ok(()) => problem,
        Err(e) => e.into(),
    }
}

fn access(case: &CaseRecord) -> Access<'_> {
    Access {
        entity: &case.entity,
        assignees: &case.assignees,
    }
}

/// An audit entry for an action by `staff` now. A read's detail never counts what it returned:
/// the count would move when a report arrives, and the record's exact time would date it.
fn audit(
    state: &AppState,
    staff: &Staff,
    action: &'static str,
    case_id: &str,
    detail: impl Into<String>,
) -> AuditEntry {
    AuditEntry {
        at: state.now_text(),
        actor: staff.name.clone(),
        action,
        case_id: case_id.to_string(),
        detail: detail.into(),
    }
}

/// A staff member's envelope for the case, checked to be sealed to exactly `recipients` keys.
fn sealed_envelope(
    kind: crate::cases::EnvelopeKind,
    text: &str,
    recipients: &crate::intake::Recipients,
) -> Result<crate::store::NewEnvelope, Problem> {
    Ok(crate::store::NewEnvelope {
        id: crate::store::random_id(),
        kind,
        body: crate::store::EnvelopeBody::Inline(actions::decode_checked(
            text,
            recipients.names.len(),
        )?),
        recipients: recipients.names.clone(),
    })
}

/// Who an envelope must be sealed to, as the staff client needs it: names and age recipients.
fn seal_to(recipients: &crate::intake::Recipients) -> axum::Json<crate::staff_api::SealTo> {
    let seal_to = recipients
        .names
        .iter()
        .zip(&recipients.keys)
        .map(|(name, key)| crate::staff_api::SealToMember {
            name: name.clone(),
            recipient: key.to_string(),
        })
        .collect();
    axum::Json(crate::staff_api::SealTo { seal_to })
}

/// A request refused because the caller's role or entity does not allow it, recorded.
async fn forbidden(state: &AppState, staff: &Staff, case_id: &str, message: &str) -> Problem {
    refused(
        state,
        staff,
        case_id,
        Problem::new(StatusCode::FORBIDDEN, "forbidden", message.to_string()),
    )
    .await
}

/// A body that names an unknown code or breaks a bound: 422 with the reason.
fn unprocessable(code: &'static str, message: impl Into<String>) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}
