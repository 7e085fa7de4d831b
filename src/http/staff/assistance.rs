//! Victim assistance over the staff listener. Assistance officers of a case's entity record
//! consents and referrals and keep notes sealed to each other; they see the assistance records
//! of their entity's cases and never the investigation file unless it is sealed to them. The
//! case's staff may record consents (they need them before sharing anything) and see them.
//! Assistance never depends on the case's status: a closed complaint can still get support.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::{
    StaffMember, access, audit, case_where, forbidden, seal_to, sealed_envelope, unprocessable,
};
use crate::assistance::{ConsentPurpose, ReferralState, check_move, is_provider_code};
use crate::cases::{EnvelopeKind, may_assist, may_work};
use crate::http::AppState;
use crate::http::error::Problem;
use crate::http::extract::JsonBody;
use crate::intake::Recipients;
use crate::keyring::{Role, Staff};
use crate::staff_api::{
    AssistanceCase, CaseAssistance, ConsentRequest, Consents, Created, EnvelopeRequest,
    MoveRequest, ReferRequest, SealTo,
};
use crate::store::{CaseRecord, ReferralRecord, is_valid_id, random_id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/assistance", get(assistance_cases))
        .route("/api/v1/staff/cases/{id}/assistance", get(case_assistance))
        .route("/api/v1/staff/cases/{id}/consents", post(set_consent))
        .route("/api/v1/staff/cases/{id}/referrals", post(refer))
        .route("/api/v1/staff/referrals/{id}", post(move_referral))
        .route("/api/v1/staff/cases/{id}/assistance-notes", post(add_note))
        .route(
            "/api/v1/staff/cases/{id}/assistance-notes/seal-to",
            get(note_seal_to),
        )
}

fn assists(staff: &Staff, case: &CaseRecord) -> bool {
    may_assist(staff, &access(case))
}

/// Consents are for assistance officers and for the people working on the case.
fn sees_consents(staff: &Staff, case: &CaseRecord) -> bool {
    assists(staff, case) || may_work(staff, &access(case))
}

/// Who a note on assistance is sealed to: the entity's assistance officers only. An intake
/// officer handing over what the victim asked for keeps no copy, so that a note never enters
/// the investigation file (an intake officer's envelopes are re-sealed to investigators on
/// assignment).
fn note_recipients(state: &AppState, case: &CaseRecord) -> Result<Recipients, Problem> {
    let recipients = Recipients::of(
        state
            .keyring
            .current()
            .staff()
            .iter()
            .filter(|s| s.role == Role::Assistance && s.serves(&case.entity)),
    );
    if recipients.names.is_empty() {
        return Err(unprocessable(
            "no_assistance_officer",
            "No assistance officer of this case's entity is in the keyring; ask an administrator to add one.",
        ));
    }
    Ok(recipients)
}

/// The cases of the caller's entities, for assistance officers: metadata and open referrals.
async fn assistance_cases(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
) -> Result<Json<Vec<AssistanceCase>>, Problem> {
    if staff.role != Role::Assistance {
        return Err(forbidden(
            &state,
            &staff,
            "",
            "Only assistance officers have this list.",
        )
        .await);
    }
    let mut out = Vec::new();
    for entity in &staff.entities {
        for case in state.store.cases_of_entity(entity).await? {
            let open = state
                .store
                .referrals_of_case(&case.id)
                .await?
                .iter()
                .filter(|r| r.state.is_open())
                .count();
            out.push(AssistanceCase {
                id: case.id,
                entity: case.entity,
                status: case.status,
                received_on: case.received_on,
                open_referrals: open,
            });
        }
    }
    state
        .store
        .record(&audit(&state, &staff, "list-assistance", "", ""))
        .await?;
    Ok(Json(out))
}

async fn case_assistance(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
) -> Result<Json<CaseAssistance>, Problem> {
    let case = case_where(&state, &staff, &case_id, sees_consents).await?;
    let consents = state.store.consents(&case.id).await?;
    let (referrals, notes) = if assists(&staff, &case) {
        let mut notes = state.store.envelopes_of_case(&case.id).await?;
        notes.retain(|e| {
            e.kind == EnvelopeKind::AssistanceNote && e.recipients.contains(&staff.name)
        });
        (
            Some(state.store.referrals_of_case(&case.id).await?),
            Some(notes),
        )
    } else {
        (None, None)
    };
    state
        .store
        .record(&audit(&state, &staff, "view-assistance", &case.id, ""))
        .await?;
    Ok(Json(CaseAssistance {
        consents,
        referrals,
        notes,
    }))
}

async fn set_consent(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
    JsonBody(request): JsonBody<ConsentRequest>,
) -> Result<Json<Consents>, Problem> {
    let case = case_where(&state, &staff, &case_id, sees_consents).await?;
    // Consent to share the victim's identity unlocks `identity_shared` notifications: it is
    // recorded by assistance officers, never by the people who would then rely on it.
    if request.purpose == ConsentPurpose::ShareIdentity && !assists(&staff, &case) {
        return Err(forbidden(
            &state,
            &staff,
            &case.id,
            "Consent to share the victim's identity is recorded by an assistance officer.",
        )
        .await);
    }
    // Who recorded a consent, and when; not what (ids only in the chain, which outlives the
    // case).
    let entry = audit(&state, &staff, "consent", &case.id, "");
    state
        .store
        .set_consent(
            &case.id,
            request.purpose,
            request.audience,
            request.given,
            state.today(),
            &entry,
        )
        .await?;
    Ok(Json(Consents {
        consents: state.store.consents(&case.id).await?,
    }))
}

async fn refer(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
    JsonBody(request): JsonBody<ReferRequest>,
) -> Result<(StatusCode, Json<ReferralRecord>), Problem> {
    let case = case_where(&state, &staff, &case_id, assists).await?;
    if !is_provider_code(&request.provider) {
        return Err(unprocessable(
            "invalid_provider",
            "A provider is your organisation's code for it: 1 to 40 lowercase letters, digits or dashes (never a person's name).",
        ));
    }
    let referral = ReferralRecord {
        id: random_id(),
        case_id: case.id.clone(),
        service: request.service,
        provider: request.provider,
        state: ReferralState::Offered,
        referred_on: state.today(),
        answered_on: None,
        delivered_on: None,
        followed_up_on: None,
        closed_on: None,
    };
    let entry = audit(&state, &staff, "refer", &case.id, referral.id.clone());
    state.store.add_referral(&referral, &entry).await?;
    Ok((StatusCode::CREATED, Json(referral)))
}

async fn move_referral(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<MoveRequest>,
) -> Result<Json<ReferralRecord>, Problem> {
    let missing = || Problem::not_found("No referral with this id is visible to you.");
    let referral = match is_valid_id(&id) {
        true => state.store.referral(&id).await?,
        false => None,
    };
    let Some(referral) = referral else {
        return Err(super::refused(&state, &staff, "", missing()).await);
    };
    case_where(&state, &staff, &referral.case_id, assists)
        .await
        .map_err(|refused| refused.hidden_as(missing()))?;
    check_move(referral.state, request.state)
        .map_err(|e| Problem::new(StatusCode::CONFLICT, "move_refused", e))?;
    let entry = audit(
        &state,
        &staff,
        "referral",
        &referral.case_id,
        referral.id.clone(),
    );
    if !state
        .store
        .move_referral(
            &referral.id,
            referral.state,
            request.state,
            state.today(),
            Some(&entry),
        )
        .await?
    {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "referral_changed",
            "This referral changed at the same time (perhaps the victim answered); look again and retry.",
        ));
    }
    let moved = state
        .store
        .referral(&referral.id)
        .await?
        .ok_or_else(missing)?;
    Ok(Json(moved))
}

/// Notes are written by assistance officers, or by the case's staff (its intake officers and
/// assigned investigators) handing over a need they heard of. The writer keeps no copy unless
/// they are an assistance officer: the note never enters the investigation file.
fn writes_notes(staff: &Staff, case: &CaseRecord) -> bool {
    assists(staff, case) || may_work(staff, &access(case))
}

async fn note_seal_to(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
) -> Result<Json<SealTo>, Problem> {
    let case = case_where(&state, &staff, &case_id, writes_notes).await?;
    state
        .store
        .record(&audit(
            &state,
            &staff,
            "seal-to",
            &case.id,
            "assistance-note",
        ))
        .await?;
    Ok(seal_to(&note_recipients(&state, &case)?))
}

async fn add_note(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
    JsonBody(request): JsonBody<EnvelopeRequest>,
) -> Result<(StatusCode, Json<Created>), Problem> {
    let case = case_where(&state, &staff, &case_id, writes_notes).await?;
    let recipients = note_recipients(&state, &case)?;
    let envelope = sealed_envelope(EnvelopeKind::AssistanceNote, &request.envelope, &recipients)?;
    let entry = audit(
        &state,
        &staff,
        "assistance-note",
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
