//! What staff need to plan and account: the keyring's public keys, the deadline lists, and the
//! audit chain for auditors.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::reads::cases_for;
use super::{StaffMember, audit};
use crate::audit::AuditRecord;
use crate::deadlines::{case_dates, due, member_state_due};
use crate::http::AppState;
use crate::http::error::Problem;
use crate::keyring::Role;
use crate::staff_api::{Keyring, Member, OverdueRow, Signed};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/keyring", get(keyring))
        .route("/metrics", get(metrics))
        .route("/api/v1/staff/overdue", get(overdue))
        .route("/api/v1/staff/audit", get(audit_chain))
}

/// Operating figures for Prometheus (auditors' certificates only). Not in the audit chain: a
/// scrape every few seconds touches no case.
async fn metrics(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
) -> Result<Response, Problem> {
    if staff.role != Role::Auditor {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "auditors_only",
            "The metrics are for an auditor's certificate (a monitoring system's, for example).",
        ));
    }
    let today = state.today();
    // A failing disk may fail reads too: the storage state is shown whatever the database
    // answers, and the series the database gives are left out (not shown as zeros) when it
    // cannot.
    let open = state.store.open_cases().await.ok();
    let overdue = open.map_or_else(Vec::new, |open| {
        state
            .keyring
            .current()
            .entities()
            .iter()
            .map(|e| {
                let late = open
                    .iter()
                    .filter(|c| c.entity == e.id)
                    .filter(|c| {
                        due(&case_dates(c), &state.clocks, today)
                            .iter()
                            .any(|d| d.overdue)
                    })
                    .count();
                (e.id.clone(), late)
            })
            .collect()
    });
    let health = state.store.health();
    let gauges = crate::metrics::Gauges {
        overdue,
        storage: crate::metrics::StorageGauges {
            failing: health.is_failing(),
            stopped: health.is_stopped(),
            refused: health.refused_total(),
        },
    };
    let outbox_depth = state.store.outbox_depth().await.ok();
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&gauges, outbox_depth),
    )
        .into_response())
}

/// Public keys of every staff member, so that staff clients can seal to each other.
async fn keyring(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
) -> Result<Json<Keyring>, Problem> {
    state
        .store
        .record(&audit(&state, &staff, "keyring", "", ""))
        .await?;
    let keyring = state.keyring.current();
    let signed = keyring.signature().map(|signature| Signed {
        document: keyring.document().to_string(),
        signature: signature.to_string(),
    });
    let staff = keyring
        .staff()
        .iter()
        .map(|s| Member {
            name: s.name.clone(),
            role: s.role,
            entities: s.entities.clone(),
            member_state: s.member_state.clone(),
            recipient: s.recipient.to_string(),
        })
        .collect();
    Ok(Json(Keyring {
        entities: keyring.entities().to_vec(),
        staff,
        signed,
    }))
}

/// Member State deadlines that are late or due soon: for the case's staff and auditors, every
/// Member State implicated in their cases; for a focal point, their own notifications' only.
/// The deadlines of `cases` that `clocks` list as late or due soon: the cases' own and, as
/// [`member_state_rows`] says, those of the Member States concerned.
pub(super) async fn deadline_rows(
    state: &AppState,
    staff: &crate::keyring::Staff,
    cases: &[crate::store::CaseRecord],
    clocks: &crate::deadlines::Clocks,
) -> Result<Vec<OverdueRow>, Problem> {
    let today = state.today();
    let mut rows: Vec<OverdueRow> = cases
        .iter()
        .flat_map(|case| {
            due(&case_dates(case), clocks, today)
                .into_iter()
                .map(|due| OverdueRow {
                    entity: case.entity.clone(),
                    case_id: case.id.clone(),
                    status: case.status,
                    member_state: None,
                    due,
                })
        })
        .collect();
    rows.extend(member_state_rows(state, staff, cases, clocks).await?);
    Ok(rows)
}

async fn member_state_rows(
    state: &AppState,
    staff: &crate::keyring::Staff,
    cases: &[crate::store::CaseRecord],
    clocks: &crate::deadlines::Clocks,
) -> Result<Vec<OverdueRow>, Problem> {
    let today = state.today();
    let mut pairs: Vec<(crate::store::CaseRecord, String)> = Vec::new();
    if staff.role == Role::MemberState {
        let Some(own) = &staff.member_state else {
            return Ok(Vec::new());
        };
        for n in state.store.notifications_to(own).await? {
            if let Some(case) = state.store.case(&n.case_id).await? {
                pairs.push((case, own.clone()));
            }
        }
    } else {
        for case in cases {
            if let Some(c) = state.store.classification(&case.id).await? {
                for member_state in c.member_states() {
                    pairs.push((case.clone(), member_state.to_string()));
                }
            }
        }
    }
    let mut rows = Vec::new();
    for (case, member_state) in pairs {
        let notifications = state.store.notifications_of_case(&case.id).await?;
        let dates = notifications
            .iter()
            .find(|n| n.member_state == member_state)
            .map(crate::stats::notification_dates)
            .unwrap_or_default();
        let member_clocks =
            crate::notification::clocks(case.received_on, &dates, &clocks.member_state);
        for due in member_state_due(case.status, &member_clocks, clocks, today) {
            rows.push(OverdueRow {
                entity: case.entity.clone(),
                case_id: case.id.clone(),
                status: case.status,
                member_state: Some(member_state.clone()),
                due,
            });
        }
    }
    Ok(rows)
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
    let mut rows = deadline_rows(&state, &staff, &cases, &state.clocks).await?;
    rows.sort_by(|a, b| {
        (&a.entity, a.due.due_on, &a.case_id).cmp(&(&b.entity, b.due.due_on, &b.case_id))
    });
    state
        .store
        .record(&audit(&state, &staff, "overdue", "", ""))
        .await?;
    Ok(Json(rows))
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
