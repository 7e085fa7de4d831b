//! Reading cases and envelopes. Envelopes are listed and served only to the people they are
//! sealed to.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::{StaffMember, audit, visible_case};
use crate::cases::{EnvelopeKind, may_assist, may_see};
use crate::http::AppState;
use crate::http::error::Problem;
use crate::keyring::Role;
use crate::notification::is_focal_point;
use crate::staff_api::{CaseListing, CaseView, ExportRecorded, ExportRequest, SyncAnswer};
use crate::store::{CaseRecord, EnvelopeMeta, is_valid_id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/cases", get(list_cases))
        .route("/api/v1/staff/cases/{id}", get(show_case))
        .route("/api/v1/staff/cases/{id}/view", get(view_case))
        .route("/api/v1/staff/sync", get(sync))
        .route(
            "/api/v1/staff/cases/{id}/exports",
            axum::routing::post(record_export),
        )
        .route("/api/v1/staff/cases/{id}/envelopes", get(list_envelopes))
        .route("/api/v1/staff/envelopes/{id}", get(download_envelope))
}

/// The cases the caller may see: their entities' cases for intake, their assigned cases for
/// investigators.
pub async fn cases_for(
    state: &AppState,
    staff: &crate::keyring::Staff,
) -> Result<Vec<CaseRecord>, Problem> {
    let mut cases = Vec::new();
    match staff.role {
        Role::Intake => {
            for entity in &staff.entities {
                cases.extend(state.store.cases_of_entity(entity).await?);
            }
        }
        Role::Investigator => cases = state.store.cases_assigned_to(&staff.name).await?,
        Role::Assistance | Role::MemberState | Role::Auditor => {}
    }
    cases.retain(|c| may_see(staff, &super::access(c)));
    cases.sort_by(|a, b| (a.received_on, &a.id).cmp(&(b.received_on, &b.id)));
    Ok(cases)
}

/// The caller's cases as listed, with every envelope of them sealed to the caller.
async fn listings(
    state: &AppState,
    staff: &crate::keyring::Staff,
) -> Result<(Vec<CaseListing>, Vec<EnvelopeMeta>), Problem> {
    let cases = cases_for(state, staff).await?;
    let mut listed = Vec::with_capacity(cases.len());
    let mut sealed = Vec::new();
    for case in cases {
        let mut envelopes = state.store.envelopes_of_case(&case.id).await?;
        envelopes.retain(|e| e.recipients.contains(&staff.name));
        let count = |kind| envelopes.iter().filter(|e| e.kind == kind).count();
        listed.push(CaseListing {
            last_activity_on: envelopes
                .iter()
                .map(|e| e.created_on)
                .max()
                .unwrap_or(case.received_on),
            envelopes: envelopes.len(),
            messages: count(EnvelopeKind::Message),
            files: count(EnvelopeKind::Attachment),
            case,
        });
        sealed.extend(envelopes);
    }
    Ok((listed, sealed))
}

async fn list_cases(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
) -> Result<Json<Vec<CaseListing>>, Problem> {
    let (cases, _) = listings(&state, &staff).await?;
    state
        .store
        .record(&audit(&state, &staff, "list", "", ""))
        .await?;
    Ok(Json(cases))
}

/// A desk's sync: one answer and one audit record, however many cases. The bodies are fetched
/// one by one afterwards, each recorded as a download.
async fn sync(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
) -> Result<Json<SyncAnswer>, Problem> {
    let (cases, envelopes) = listings(&state, &staff).await?;
    let records: Vec<CaseRecord> = cases.iter().map(|c| c.case.clone()).collect();
    let mut deadlines =
        super::oversight::deadline_rows(&state, &staff, &records, &state.clocks.without_horizon())
            .await?;
    deadlines.sort_by(|a, b| (a.due.due_on, &a.case_id).cmp(&(b.due.due_on, &b.case_id)));
    state
        .store
        .record(&audit(&state, &staff, "sync", "", ""))
        .await?;
    Ok(Json(SyncAnswer {
        cases,
        envelopes,
        deadlines,
    }))
}

async fn show_case(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
) -> Result<Json<CaseRecord>, Problem> {
    let case = visible_case(&state, &staff, &case_id).await?;
    state
        .store
        .record(&audit(&state, &staff, "view", &case.id, ""))
        .await?;
    Ok(Json(case))
}

/// One case as its staff see it, in one answer.
async fn view_case(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
) -> Result<Json<CaseView>, Problem> {
    let case = visible_case(&state, &staff, &case_id).await?;
    let mut envelopes = state.store.envelopes_of_case(&case.id).await?;
    envelopes.retain(|e| e.recipients.contains(&staff.name));
    let mut deadlines = super::oversight::deadline_rows(
        &state,
        &staff,
        std::slice::from_ref(&case),
        &state.clocks.without_horizon(),
    )
    .await?;
    deadlines.sort_by_key(|row| row.due.due_on);
    let view = CaseView {
        next: case.status.next().to_vec(),
        deadlines,
        classification: state.store.classification(&case.id).await?,
        envelopes,
        notifications: state.store.notifications_of_case(&case.id).await?,
        consents: state.store.consents(&case.id).await?,
        case,
    };
    state
        .store
        .record(&audit(&state, &staff, "view", &view.case.id, ""))
        .await?;
    Ok(Json(view))
}

/// An evidence export made on a desk, recorded in the audit chain: for whom, how many items,
/// and the hash of the sealed file. The caller must see the case; the recipient must be in the
/// keyring.
async fn record_export(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
    crate::http::extract::JsonBody(request): crate::http::extract::JsonBody<ExportRequest>,
) -> Result<(axum::http::StatusCode, Json<ExportRecorded>), Problem> {
    let case = visible_case(&state, &staff, &case_id).await?;
    let hex = |s: &str| s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !hex(&request.sha256) {
        return Err(super::unprocessable(
            "invalid_hash",
            "The export's hash is 64 lowercase hex digits (SHA-256 of the sealed file).",
        ));
    }
    if !(1..=100_000).contains(&request.items) {
        return Err(super::unprocessable(
            "invalid_items",
            "An export holds from 1 to 100000 items.",
        ));
    }
    // Sealed to the exporter, or to someone of the case's staff: nobody else is handed a case.
    let allowed = |s: &crate::keyring::Staff| {
        s.name == staff.name
            || (matches!(s.role, Role::Intake | Role::Investigator) && s.serves(&case.entity))
    };
    if !state
        .keyring
        .current()
        .staff()
        .iter()
        .any(|s| s.name == request.recipient && allowed(s))
    {
        return Err(super::unprocessable(
            "unknown_recipient",
            "An export is sealed to yourself or to an intake officer or investigator of the case's entity.",
        ));
    }
    let entry = audit(
        &state,
        &staff,
        "export",
        &case.id,
        format!(
            "to {}; {} items; sha256 {}",
            request.recipient, request.items, request.sha256
        ),
    );
    let recorded_at = entry.at.clone();
    state.store.record(&entry).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(ExportRecorded { recorded_at }),
    ))
}

async fn list_envelopes(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
) -> Result<Json<Vec<EnvelopeMeta>>, Problem> {
    visible_case(&state, &staff, &case_id).await?;
    let mut envelopes = state.store.envelopes_of_case(&case_id).await?;
    envelopes.retain(|e| e.recipients.contains(&staff.name));
    state
        .store
        .record(&audit(&state, &staff, "list-envelopes", &case_id, ""))
        .await?;
    Ok(Json(envelopes))
}

/// Being a recipient is not enough: the caller must still be allowed near the case for this
/// kind of envelope (an investigator taken off a case, or rows left from before). Refusals are
/// recorded by `case_where`; the caller hides them as a missing envelope.
pub(super) async fn reachable(
    state: &AppState,
    staff: &crate::keyring::Staff,
    meta: &EnvelopeMeta,
) -> Result<CaseRecord, Problem> {
    let kind = meta.kind;
    // A focal point reaches an envelope of a notification to their own Member State only: the
    // notification itself or details of national action on it.
    let notified = match (kind, staff.role) {
        (EnvelopeKind::Notification | EnvelopeKind::NationalAction, Role::MemberState) => state
            .store
            .notifications_of_case(&meta.case_id)
            .await?
            .iter()
            .filter(|n| {
                n.envelope_id == meta.id
                    || n.actions
                        .iter()
                        .any(|a| a.envelope_id.as_deref() == Some(meta.id.as_str()))
            })
            .any(|n| is_focal_point(staff, &n.member_state)),
        _ => false,
    };
    super::case_where(state, staff, &meta.case_id, |s, case| {
        let access = super::access(case);
        match kind {
            EnvelopeKind::Notification | EnvelopeKind::NationalAction => {
                notified || may_see(s, &access)
            }
            // Notes are for assistance officers: nobody else, whatever their role on the case.
            EnvelopeKind::AssistanceNote => may_assist(s, &access),
            _ => may_see(s, &access),
        }
    })
    .await
}

async fn download_envelope(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(envelope_id): Path<String>,
) -> Result<Response, Problem> {
    let missing = || Problem::not_found("No envelope with this id is visible to you.");
    let meta = match is_valid_id(&envelope_id) {
        true => state.store.envelope(&envelope_id).await?,
        false => None,
    };
    let Some(meta) = meta.filter(|m| m.recipients.contains(&staff.name)) else {
        return Err(super::refused(&state, &staff, "", missing()).await);
    };
    reachable(&state, &staff, &meta)
        .await
        .map_err(|refused| refused.hidden_as(missing()))?;
    state
        .store
        .record(&audit(
            &state,
            &staff,
            "download",
            &meta.case_id,
            meta.id.clone(),
        ))
        .await?;
    let body = if meta.chunks == 0 {
        Body::from(state.store.envelope_body(&meta.id).await?)
    } else {
        Body::from_stream(state.store.envelope_pieces(meta.id.clone(), meta.chunks))
    };
    let headers = [
        (header::CONTENT_TYPE, "application/octet-stream".to_string()),
        (header::CONTENT_LENGTH, meta.size.to_string()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.age\"", meta.id),
        ),
    ];
    Ok((headers, body).into_response())
}
