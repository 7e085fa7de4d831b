//! Member State notifications over the staff listener. The case's staff (intake of its entity,
//! assigned investigators) classify the case and notify each Member State whose personnel are
//! implicated, sealing what they share to its focal points and to themselves; the focal points
//! see only notifications to their own Member State, acknowledge them and record national
//! action. Every step is in the audit chain.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::{
    StaffMember, access, audit, case_where, forbidden, seal_to, sealed_envelope, unprocessable,
    visible_case,
};
use crate::allegation::{Classification, is_member_state_code};
use crate::assistance::{Audience, ConsentPurpose};
use crate::cases::{EnvelopeKind, may_work};
use crate::http::AppState;
use crate::http::error::Problem;
use crate::http::extract::JsonBody;
use crate::intake::Recipients;
use crate::keyring::{Role, Staff};
use crate::notification::{focal_points, is_focal_point};
use crate::staff_api::{
    Acknowledged, ActionRequest, ClassificationAnswer, Created, Notified, NotifyRequest, SealTo,
};
use crate::store::{CaseRecord, NotificationRecord, is_valid_id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/staff/cases/{id}/classification",
            get(show_classification).post(classify),
        )
        .route(
            "/api/v1/staff/cases/{id}/notifications",
            get(case_notifications).post(notify),
        )
        .route(
            "/api/v1/staff/cases/{id}/notifications/{state}/seal-to",
            get(notification_seal_to),
        )
        .route("/api/v1/staff/notifications", get(my_notifications))
        .route("/api/v1/staff/notifications/{id}", get(show_notification))
        .route(
            "/api/v1/staff/notifications/{id}/acknowledgement",
            post(acknowledge),
        )
        .route("/api/v1/staff/notifications/{id}/actions", post(add_action))
        .route(
            "/api/v1/staff/notifications/{id}/seal-to",
            get(action_seal_to),
        )
}

/// A case the caller works on (intake of its entity or an assigned investigator).
async fn worked_case(
    state: &AppState,
    staff: &Staff,
    case_id: &str,
) -> Result<CaseRecord, Problem> {
    case_where(state, staff, case_id, |s, c| may_work(s, &access(c))).await
}

async fn show_classification(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
) -> Result<Json<ClassificationAnswer>, Problem> {
    let case = visible_case(&state, &staff, &case_id).await?;
    let classification = state.store.classification(&case.id).await?;
    state
        .store
        .record(&audit(&state, &staff, "view-classification", &case.id, ""))
        .await?;
    Ok(Json(ClassificationAnswer { classification }))
}

async fn classify(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
    JsonBody(classification): JsonBody<Classification>,
) -> Result<Json<ClassificationAnswer>, Problem> {
    let case = worked_case(&state, &staff, &case_id).await?;
    let classification = classification
        .checked()
        .map_err(|e| unprocessable("invalid_classification", e))?;
    // Audit details hold ids only: the chain outlives every purged case, and what a case was
    // about must go with it.
    let entry = audit(&state, &staff, "classify", &case.id, "");
    state
        .store
        .classify(&case.id, &classification, &entry)
        .await?;
    Ok(Json(ClassificationAnswer {
        classification: Some(classification),
    }))
}

/// Who a notification to `member_state` is sealed to: its focal points and the case's staff.
fn notification_recipients(
    state: &AppState,
    case: &CaseRecord,
    member_state: &str,
) -> Result<Recipients, Problem> {
    let keyring = state.keyring.current();
    let points = focal_points(keyring.staff(), member_state);
    if points.is_empty() {
        return Err(unprocessable(
            "no_focal_point",
            "No focal point of this Member State is in the keyring; ask an administrator to add one before notifying.",
        ));
    }
    let mut recipients = Recipients::of(points.into_iter());
    let staff = state.intake.case_staff(case);
    recipients.names.extend(staff.names);
    recipients.keys.extend(staff.keys);
    Ok(recipients)
}

fn checked_member_state(code: &str) -> Result<&str, Problem> {
    if is_member_state_code(code) {
        Ok(code)
    } else {
        Err(unprocessable(
            "invalid_member_state",
            "A Member State is an ISO 3166-1 alpha-3 code in capitals, such as FRA.",
        ))
    }
}

async fn notification_seal_to(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path((case_id, member_state)): Path<(String, String)>,
) -> Result<Json<SealTo>, Problem> {
    let case = worked_case(&state, &staff, &case_id).await?;
    let member_state = checked_member_state(&member_state)?;
    let recipients = notification_recipients(&state, &case, member_state)?;
    state
        .store
        .record(&audit(&state, &staff, "seal-to", &case.id, "notification"))
        .await?;
    Ok(seal_to(&recipients))
}

async fn notify(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
    JsonBody(request): JsonBody<NotifyRequest>,
) -> Result<(StatusCode, Json<Notified>), Problem> {
    let case = worked_case(&state, &staff, &case_id).await?;
    let member_state = checked_member_state(&request.member_state)?;
    let concerned = state
        .store
        .classification(&case.id)
        .await?
        .is_some_and(|c| c.member_states().contains(&member_state));
    if !concerned {
        return Err(unprocessable(
            "member_state_not_implicated",
            "Record in the case's classification that personnel of this Member State are implicated, then notify it.",
        ));
    }
    if request.identity_shared {
        let consented = state.store.consents(&case.id).await?.iter().any(|c| {
            c.purpose == ConsentPurpose::ShareIdentity
                && c.audience == Audience::MemberState
                && c.given
        });
        if !consented {
            return Err(forbidden(
                &state,
                &staff,
                &case.id,
                "The victim has not consented to share their identity with the Member State; notify without it.",
            )
            .await);
        }
    }
    if state
        .store
        .notifications_of_case(&case.id)
        .await?
        .iter()
        .any(|n| n.member_state == member_state)
    {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "already_notified",
            "This Member State was notified of this case already; add to it through national action instead.",
        ));
    }
    let recipients = notification_recipients(&state, &case, member_state)?;
    let envelope = sealed_envelope(EnvelopeKind::Notification, &request.envelope, &recipients)?;
    let entry = audit(&state, &staff, "notify", &case.id, envelope.id.clone());
    let id = state
        .store
        .notify(
            &case.id,
            member_state,
            request.identity_shared,
            &envelope,
            state.today(),
            &entry,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Notified {
            id,
            envelope_id: envelope.id,
        }),
    ))
}

async fn case_notifications(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(case_id): Path<String>,
) -> Result<Json<Vec<NotificationRecord>>, Problem> {
    let case = visible_case(&state, &staff, &case_id).await?;
    let list = state.store.notifications_of_case(&case.id).await?;
    state
        .store
        .record(&audit(&state, &staff, "list-notifications", &case.id, ""))
        .await?;
    Ok(Json(list))
}

/// A focal point's notifications: those to their own Member State only.
async fn my_notifications(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
) -> Result<Json<Vec<NotificationRecord>>, Problem> {
    let Some(member_state) = staff
        .member_state
        .clone()
        .filter(|_| staff.role == Role::MemberState)
    else {
        return Err(forbidden(
            &state,
            &staff,
            "",
            "Only Member State focal points have notifications; case staff find them on each case.",
        )
        .await);
    };
    let list = state.store.notifications_to(&member_state).await?;
    state
        .store
        .record(&audit(&state, &staff, "list-notifications", "", ""))
        .await?;
    Ok(Json(list))
}

/// The notification, if the caller is a focal point of its Member State or works on its case.
/// Anyone else gets the same answer as for one that does not exist.
async fn reachable_notification(
    state: &AppState,
    staff: &Staff,
    id: &str,
) -> Result<(NotificationRecord, bool), Problem> {
    let missing = || Problem::not_found("No notification with this id is visible to you.");
    let found = match is_valid_id(id) {
        true => state.store.notification(id).await?,
        false => None,
    };
    if let Some(n) = found {
        if is_focal_point(staff, &n.member_state) {
            return Ok((n, true));
        }
        if let Some(case) = state.store.case(&n.case_id).await?
            && may_work(staff, &access(&case))
        {
            return Ok((n, false));
        }
    }
    Err(super::refused(state, staff, "", missing()).await)
}

async fn show_notification(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(id): Path<String>,
) -> Result<Json<NotificationRecord>, Problem> {
    let (notification, _) = reachable_notification(&state, &staff, &id).await?;
    state
        .store
        .record(&audit(
            &state,
            &staff,
            "view-notification",
            &notification.case_id,
            notification.id.clone(),
        ))
        .await?;
    Ok(Json(notification))
}

async fn acknowledge(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(id): Path<String>,
) -> Result<Json<Acknowledged>, Problem> {
    let (notification, focal) = reachable_notification(&state, &staff, &id).await?;
    if !focal {
        return Err(forbidden(
            &state,
            &staff,
            &notification.case_id,
            "Only a focal point of the Member State can acknowledge its notification.",
        )
        .await);
    }
    let entry = audit(
        &state,
        &staff,
        "acknowledge-notification",
        &notification.case_id,
        notification.id.clone(),
    );
    if !state
        .store
        .acknowledge_notification(&notification.id, &entry)
        .await?
    {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "already_acknowledged",
            "This notification was acknowledged already.",
        ));
    }
    Ok(Json(Acknowledged { acknowledged: true }))
}

/// Who details of national action are sealed to: the focal points and the case's staff now.
async fn action_recipients(
    state: &AppState,
    notification: &NotificationRecord,
) -> Result<Recipients, Problem> {
    let case = state
        .store
        .case(&notification.case_id)
        .await?
        .ok_or_else(|| Problem::not_found("The case of this notification is gone."))?;
    notification_recipients(state, &case, &notification.member_state)
}

async fn action_seal_to(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(id): Path<String>,
) -> Result<Json<SealTo>, Problem> {
    let (notification, _) = reachable_notification(&state, &staff, &id).await?;
    let recipients = action_recipients(&state, &notification).await?;
    state
        .store
        .record(&audit(
            &state,
            &staff,
            "seal-to",
            &notification.case_id,
            notification.id.clone(),
        ))
        .await?;
    Ok(seal_to(&recipients))
}

/// National action, recorded by a focal point, or by the case's staff when the Member State
/// reported it another way.
async fn add_action(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ActionRequest>,
) -> Result<(StatusCode, Json<Created>), Problem> {
    let (notification, _) = reachable_notification(&state, &staff, &id).await?;
    if request.action.is_outcome() && notification.actions.iter().any(|a| a.action.is_outcome()) {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "outcome_recorded",
            "An outcome is recorded on this notification already; record what follows it as sanctions or paternity_follow_up.",
        ));
    }
    let details = match &request.envelope {
        Some(text) => Some(sealed_envelope(
            EnvelopeKind::NationalAction,
            text,
            &action_recipients(&state, &notification).await?,
        )?),
        None => None,
    };
    let entry = audit(
        &state,
        &staff,
        "national-action",
        &notification.case_id,
        notification.id.clone(),
    );
    let action_id = state
        .store
        .add_national_action(
            &notification,
            request.action,
            details.as_ref(),
            state.today(),
            &entry,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: action_id })))
}
