//! Staff actions on a case: assignment by re-sealing, replies to the reporter, status changes.
//! The server never sees plaintext: the staff client seals, the server checks the envelope's
//! shape against who it must be sealed to, records who can open it, and audits the action.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{StaffMember, access, audit, visible_case};
use crate::cases::{
    EnvelopeKind, Status, check_assignees, check_final_reply, check_transition, may_assign,
    may_work,
};
use crate::http::AppState;
use crate::http::error::Problem;
use crate::intake::Recipients;
use crate::keyring::Role;
use crate::seal;
use crate::staff_api::{
    AssignRequest, Assigned, Created, EnvelopeRequest, StatusChanged, StatusRequest, Uploaded,
};
use crate::store::{EnvelopeBody, NewEnvelope, REPORTER, random_id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/cases/{id}/assignment", post(assign))
        .route("/api/v1/staff/cases/{id}/replies", post(reply))
        .route("/api/v1/staff/cases/{id}/status", post(set_status))
        .route(
            "/api/v1/staff/cases/{id}/internal-notes",
            post(internal_note),
        )
}

async fn assign(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
    crate::http::extract::JsonBody(request): crate::http::extract::JsonBody<AssignRequest>,
) -> Result<Json<Assigned>, Problem> {
    let case = visible_case(&state, &staff, &case_id).await?;
    if !may_assign(&staff, &access(&case)) {
        let refusal = forbidden("Only an intake officer of this case's entity can assign it.");
        return Err(super::refused(&state, &staff, &case.id, refusal).await);
    }
    refuse_if_closed(&case)?;
    let keyring = state.keyring.current();
    let assignees = check_assignees(keyring.staff(), &request.assignees, &case.entity)
        .map_err(|e| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_assignee", e))?;
    if assignees.is_empty() != (request.copies.is_empty() && request.uploads.is_empty()) {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_copies",
            "Send re-sealed copies of the case's envelopes with the assignees, and none to unassign.",
        ));
    }
    // Who every copy must be sealed to: the assignees and the entity's intake officers.
    let sealed_to = Recipients::of(state.keyring.current().staff().iter().filter(|s| {
        assignees.iter().any(|a| a.name == s.name)
            || (s.role == Role::Intake && s.serves(&case.entity))
    }));
    let names = sealed_to.names.clone();
    let mut copies = state
        .intake
        .claim_uploads(&request.uploads, &sealed_to, EnvelopeKind::Assignment)
        .await?;
    for text in &request.copies {
        let body = decode_checked(text, names.len())?;
        copies.push(NewEnvelope {
            id: random_id(),
            kind: EnvelopeKind::Assignment,
            body: EnvelopeBody::Inline(body),
            recipients: names.clone(),
        });
    }
    let assigned: Vec<String> = assignees.iter().map(|s| s.name.clone()).collect();
    let entry = audit(&state, &staff, "assign", &case.id, assigned.join(","));
    state
        .store
        .assign(&case.id, &assigned, &copies, state.today(), &entry)
        .await?;
    Ok(Json(Assigned {
        assignees: assigned,
        copies: copies.len(),
    }))
}

async fn reply(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
    crate::http::extract::JsonBody(request): crate::http::extract::JsonBody<EnvelopeRequest>,
) -> Result<(StatusCode, Json<Created>), Problem> {
    let case = open_case_to_work(&state, &staff, &case_id).await?;
    let case_staff = state.intake.case_staff(&case);
    let body = decode_checked(&request.envelope, case_staff.names.len() + 1)?;
    let mut recipients = case_staff.names;
    recipients.push(REPORTER.to_string());
    let envelope = NewEnvelope {
        id: random_id(),
        kind: EnvelopeKind::Reply,
        body: EnvelopeBody::Inline(body),
        recipients,
    };
    let entry = audit(&state, &staff, "reply", &case.id, envelope.id.clone());
    state
        .store
        .add_reply(&case.id, &envelope, state.today(), &entry)
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: envelope.id })))
}

/// A note the case's staff write for one another: sealed to them only, never to the reporter,
/// and copied to new assignees with the rest of the case.
async fn internal_note(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
    crate::http::extract::JsonBody(request): crate::http::extract::JsonBody<EnvelopeRequest>,
) -> Result<(StatusCode, Json<Created>), Problem> {
    let case = open_case_to_work(&state, &staff, &case_id).await?;
    let case_staff = state.intake.case_staff(&case);
    let envelope =
        super::sealed_envelope(EnvelopeKind::InternalNote, &request.envelope, &case_staff)?;
    let entry = audit(
        &state,
        &staff,
        "internal-note",
        &case.id,
        envelope.id.clone(),
    );
    state
        .store
        .add_envelopes(
            &case.id,
            std::slice::from_ref(&envelope),
            state.today(),
            Some(&entry),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: envelope.id })))
}

async fn set_status(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
    crate::http::extract::JsonBody(request): crate::http::extract::JsonBody<StatusRequest>,
) -> Result<Json<StatusChanged>, Problem> {
    let case = visible_case(&state, &staff, &case_id).await?;
    if !may_work(&staff, &access(&case)) {
        let refusal = forbidden("This case is assigned to someone else.");
        return Err(super::refused(&state, &staff, &case.id, refusal).await);
    }
    let to = request.status;
    check_transition(case.status, to)
        .map_err(|e| Problem::new(StatusCode::CONFLICT, "transition_refused", e.to_string()))?;
    if to == Status::Closed {
        let envelopes = state.store.envelopes_of_case(&case.id).await?;
        let last = |kinds: &[EnvelopeKind]| {
            envelopes
                .iter()
                .filter(|e| kinds.contains(&e.kind))
                .map(|e| e.created_on)
                .max()
        };
        check_final_reply(
            case.status_changed_at.as_deref(),
            last(&[EnvelopeKind::Report, EnvelopeKind::Message]).unwrap_or(case.received_on),
            case.last_reply_at.as_deref(),
        )
        .map_err(|e| Problem::new(StatusCode::CONFLICT, "final_reply_missing", e.to_string()))?;
    }
    let entry = audit(
        &state,
        &staff,
        "status",
        &case.id,
        format!("{} -> {}", case.status.code(), to.code()),
    );
    if !state
        .store
        .set_status(&case.id, case.status, to, &entry)
        .await?
    {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "status_changed",
            "Someone changed this case's status at the same time; look at it again and retry.",
        ));
    }
    Ok(Json(StatusChanged { status: to }))
}

/// A large re-sealed copy, streamed in before the assignment that names it.
pub async fn upload(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<Uploaded>), Problem> {
    let answer = crate::http::public::api::upload(State(state.clone()), request).await?;
    state
        .store
        .record(&audit(
            &state,
            &staff,
            "upload",
            "",
            answer.1.upload.clone(),
        ))
        .await?;
    Ok(answer)
}

/// Decodes a staff member's envelope and checks it is sealed to `recipients` keys and padded.
pub(crate) fn decode_checked(text: &str, recipients: usize) -> Result<Vec<u8>, Problem> {
    let body = STANDARD
        .decode(text.trim())
        .map_err(|_| Problem::bad_request("An envelope must be standard base64 of an age file."))?;
    seal::check_client_envelope(&body, recipients).map_err(|e| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_envelope",
            e.to_string(),
        )
    })?;
    Ok(body)
}

/// A case the caller works on and that still takes something: for replies and notes.
async fn open_case_to_work(
    state: &AppState,
    staff: &crate::keyring::Staff,
    case_id: &str,
) -> Result<crate::store::CaseRecord, Problem> {
    let case = visible_case(state, staff, case_id).await?;
    if !may_work(staff, &access(&case)) {
        let refusal = forbidden("This case is assigned to someone else.");
        return Err(super::refused(state, staff, &case.id, refusal).await);
    }
    refuse_if_closed(&case)?;
    Ok(case)
}

/// A closed case takes nothing more (it is purged a fixed time after closure).
fn refuse_if_closed(case: &crate::store::CaseRecord) -> Result<(), Problem> {
    if case.status == Status::Closed {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "case_closed",
            "This case is closed and takes nothing more.",
        ));
    }
    Ok(())
}

fn forbidden(message: &str) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, "forbidden", message)
}
