//! What staff need to plan and account: the keyring's public keys, the deadline lists, and the
//! audit chain for auditors.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};

use super::reads::cases_for;
use super::{StaffMember, audit};
use crate::audit::AuditRecord;
use crate::deadlines::{CaseDates, Due, due};
use crate::http::AppState;
use crate::http::error::Problem;
use crate::keyring::Role;
use crate::store::CaseRecord;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/keyring", get(keyring))
        .route("/api/v1/staff/overdue", get(overdue))
        .route("/api/v1/staff/audit", get(audit_chain))
}

/// Public keys of every staff member, so that staff clients can seal to each other.
async fn keyring(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
) -> Result<Json<Value>, Problem> {
    state
        .store
        .record(&audit(&state, &staff, "keyring", "", ""))
        .await?;
    let staff: Vec<Value> = state
        .keyring
        .staff()
        .iter()
        .map(|s| json!({ "name": s.name, "role": s.role, "entities": s.entities, "member_state": s.member_state, "recipient": s.recipient.to_string() }))
        .collect();
    Ok(Json(
        json!({ "entities": state.keyring.entities(), "staff": staff }),
    ))
}

#[derive(Serialize)]
struct OverdueRow {
    entity: String,
    case_id: String,
    status: crate::cases::Status,
    #[serde(flatten)]
    due: Due,
}

/// Deadlines that are late or due soon, per entity, for the cases the caller may see (all open
/// cases for auditors, who see no content).
async fn overdue(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
) -> Result<Json<Vec<OverdueRow>>, Problem> {
    let cases = match staff.role {
        Role::Auditor => state.store.open_cases().await?,
        _ => cases_for(&state, &staff).await?,
    };
    let today = state.today();
    let mut rows: Vec<OverdueRow> = cases
        .iter()
        .flat_map(|case| {
            due(&dates(case), &state.clocks, today)
                .into_iter()
                .map(|due| OverdueRow {
                    entity: case.entity.clone(),
                    case_id: case.id.clone(),
                    status: case.status,
                    due,
                })
        })
        .collect();
    rows.sort_by(|a, b| {
        (&a.entity, a.due.due_on, &a.case_id).cmp(&(&b.entity, b.due.due_on, &b.case_id))
    });
    state
        .store
        .record(&audit(
            &state,
            &staff,
            "overdue",
            "",
            format!("{} deadlines", rows.len()),
        ))
        .await?;
    Ok(Json(rows))
}

fn dates(case: &CaseRecord) -> CaseDates {
    let day = |at: &Option<String>| {
        at.as_deref()
            .and_then(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
            .map(|t| t.date())
    };
    CaseDates {
        status: case.status,
        received_on: case.received_on,
        acknowledged_on: day(&case.acknowledged_at),
        first_feedback_on: day(&case.first_feedback_at),
        investigation_started_on: day(&case.investigation_started_at),
    }
}

/// The whole audit chain, for auditors. The export itself is recorded first.
async fn audit_chain(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
) -> Result<Json<Vec<AuditRecord>>, Problem> {
    if staff.role != Role::Auditor {
        let refusal = Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Only auditors can export the audit chain.",
        );
        return Err(super::refused(&state, &staff, "", refusal).await);
    }
    state
        .store
        .record(&audit(&state, &staff, "export-audit", "", ""))
        .await?;
    Ok(Json(state.store.audit_records().await?))
}
