//! The staff listener's JSON API. Every caller has passed mutual TLS with a certificate from the
//! organisation's CA; here the certificate's fingerprint is looked up in the keyring, and what
//! the staff member may see is decided by `cases::may_see`.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::AppState;
use super::error::Problem;
use super::listener::ClientCertificate;
use crate::cases::may_see;
use crate::keyring::Staff;
use crate::store::{CaseRecord, EnvelopeMeta, is_valid_id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/cases", get(list_cases))
        .route("/api/v1/staff/cases/{id}/envelopes", get(list_envelopes))
        .route("/api/v1/staff/envelopes/{id}", get(download_envelope))
}

/// The authenticated staff member making the request.
pub struct StaffMember(pub Staff);

impl FromRequestParts<AppState> for StaffMember {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let fingerprint = parts
            .extensions
            .get::<ClientCertificate>()
            .and_then(|c| c.0)
            .ok_or_else(|| {
                Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "no_certificate",
                    "A client certificate is required.",
                )
            })?;
        state
            .keyring
            .staff_by_fingerprint(&fingerprint)
            .cloned()
            .map(StaffMember)
            .ok_or_else(|| {
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
}

async fn list_cases(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
) -> Result<Json<Vec<CaseRecord>>, Problem> {
    let cases = state.store.cases_of_entities(&staff.entities).await?;
    Ok(Json(
        cases
            .into_iter()
            .filter(|c| may_see(&staff, &c.entity))
            .collect(),
    ))
}

async fn list_envelopes(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
) -> Result<Json<Vec<EnvelopeMeta>>, Problem> {
    visible_case(&state, &staff, &case_id).await?;
    Ok(Json(state.store.envelopes_of_case(&case_id).await?))
}

async fn download_envelope(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(envelope_id): Path<String>,
) -> Result<Response, Problem> {
    let missing = || Problem::not_found("No envelope with this id is visible to you.");
    if !is_valid_id(&envelope_id) {
        return Err(missing());
    }
    let (meta, body) = state
        .store
        .envelope(&envelope_id)
        .await?
        .ok_or_else(missing)?;
    visible_case(&state, &staff, &meta.case_id)
        .await
        .map_err(|_| missing())?;
    let disposition = format!("attachment; filename=\"{}.age\"", meta.id);
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// The case, if it exists and the staff member may see it. Both failures get the same answer,
/// so that nobody learns of another entity's cases.
async fn visible_case(
    state: &AppState,
    staff: &Staff,
    case_id: &str,
) -> Result<CaseRecord, Problem> {
    let missing = || Problem::not_found("No case with this id is visible to you.");
    if !is_valid_id(case_id) {
        return Err(missing());
    }
    match state.store.case(case_id).await? {
        Some(case) if may_see(staff, &case.entity) => Ok(case),
        _ => Err(missing()),
    }
}
