//! Key rotation (`confide keys rotate`): a staff member lists every envelope sealed to them and
//! replaces each with the same content sealed again, on their own machine, with their new key
//! in place of the old. Afterwards the old key opens nothing the gateway stores.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::actions::decode_checked;
use super::{StaffMember, audit};
use crate::http::AppState;
use crate::http::error::Problem;
use crate::http::extract::JsonBody;
use crate::staff_api::{ResealRequest, SealedToMe};
use crate::store::{REPORTER, Resealed, is_valid_id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/sealed-to-me", get(sealed_to_me))
        .route("/api/v1/staff/envelopes/{id}/reseal", post(reseal))
}

/// Every envelope sealed to the caller, with who else it is sealed to (and the reporter's reply
/// key where the reporter is one of them), so that it can be sealed again to the same people.
async fn sealed_to_me(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
) -> Result<Json<Vec<SealedToMe>>, Problem> {
    state
        .store
        .record(&audit(&state, &staff, "list_sealed", "", ""))
        .await?;
    let mut out = Vec::new();
    for sealed in state.store.envelopes_sealed_to(&staff.name).await? {
        let Some(meta) = state.store.envelope(&sealed.envelope_id).await? else {
            continue;
        };
        let reply_recipient = if meta.recipients.iter().any(|r| r == REPORTER) {
            state
                .store
                .case(&meta.case_id)
                .await?
                .map(|c| c.reply_recipient)
        } else {
            None
        };
        out.push(SealedToMe {
            id: meta.id,
            case_id: meta.case_id,
            kind: meta.kind,
            size: meta.size,
            recipients: meta.recipients,
            reply_recipient,
        });
    }
    Ok(Json(out))
}

/// The plaintext length of a stored envelope or upload, from its header and size.
async fn plaintext_len(
    state: &AppState,
    id: &str,
    chunks: u32,
    size: u64,
) -> Result<usize, Problem> {
    let head = if chunks == 0 {
        state.store.envelope_body(id).await?
    } else {
        state.store.envelope_chunk(id, 0).await?
    };
    let damaged = || {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_envelope",
            "The stored envelope cannot be read.",
        )
    };
    let header = crate::seal::parse_header(&head).map_err(|_| damaged())?;
    let payload = usize::try_from(size)
        .map_err(|_| damaged())?
        .checked_sub(header.len)
        .ok_or_else(damaged)?;
    crate::seal::plaintext_len(payload).map_err(|_| damaged())
}

/// The same content sealed again has the same length.
fn same_size(old: usize, new: Option<usize>) -> Result<(), Problem> {
    if new != Some(old) {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_envelope",
            "A re-sealed envelope holds the same content as before, so the same number of bytes.",
        ));
    }
    Ok(())
}

async fn reseal(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ResealRequest>,
) -> Result<Json<crate::staff_api::Resealed>, Problem> {
    let missing = || Problem::not_found("No envelope with this id is sealed to you.");
    if !is_valid_id(&id) {
        return Err(missing());
    }
    let meta = state.store.envelope(&id).await?.ok_or_else(missing)?;
    if !meta.recipients.contains(&staff.name) {
        return Err(missing());
    }
    // Only someone who may still read the envelope may replace it: an investigator taken off
    // the case could otherwise put words of their choosing in place of a survivor's message.
    super::reads::reachable(&state, &staff, &meta)
        .await
        .map_err(|refused| refused.hidden_as(missing()))?;
    // Only during the caller's own key rotation: the signed keyring gives them a new key.
    let new_key = staff.recipient.to_string();
    if !state.store.rotation_open(&staff.name, &new_key).await? {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "no_rotation",
            "No key rotation is open for you: the administrator puts your new key in the signed keyring and reloads the gateways first.",
        ));
    }
    // Exactly the people it was sealed to who are still in the keyring (and the reporter):
    // nobody new, nobody left out on the caller's say-so.
    let keyring = state.keyring.current();
    let mut names: Vec<String> = meta
        .recipients
        .iter()
        .filter(|n| *n == REPORTER || keyring.staff().iter().any(|s| &s.name == *n))
        .cloned()
        .collect();
    names.sort();
    let mut asked = request.recipients.clone();
    asked.sort();
    if asked != names || request.recipients.len() > 64 {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_recipients",
            format!(
                "A re-sealed envelope goes to exactly the people it was sealed to who are still in the keyring: {}.",
                names.join(", ")
            ),
        ));
    }
    let old_plaintext = plaintext_len(&state, &meta.id, meta.chunks, meta.size).await?;
    let detail = format!("{id} {}", names.join(","));
    let entry = audit(&state, &staff, "reseal", &meta.case_id, detail);
    match (&request.body, &request.upload) {
        (Some(text), None) => {
            let body = decode_checked(text, names.len())?;
            same_size(
                old_plaintext,
                crate::seal::inspect(&body).ok().map(|s| s.plaintext_len),
            )?;
            state
                .store
                .reseal(
                    &id,
                    Resealed::Inline(&body),
                    &names,
                    &staff.name,
                    &new_key,
                    &entry,
                )
                .await?;
        }
        (None, Some(upload)) => {
            let upload = match is_valid_id(upload) {
                true => state.store.upload(upload).await?,
                false => None,
            }
            .ok_or_else(|| Problem::not_found("No finished upload with this id."))?;
            if upload.stanzas as usize != names.len() {
                return Err(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_envelope",
                    format!(
                        "The upload is sealed to {} keys, not to the {} recipients named.",
                        upload.stanzas,
                        names.len()
                    ),
                ));
            }
            let new_plaintext =
                plaintext_len(&state, &upload.id, upload.chunks, upload.size).await?;
            same_size(old_plaintext, Some(new_plaintext))?;
            state
                .store
                .reseal(
                    &id,
                    Resealed::Uploaded(&upload),
                    &names,
                    &staff.name,
                    &new_key,
                    &entry,
                )
                .await?;
        }
        _ => {
            return Err(Problem::bad_request(
                "Give either body (base64) or upload (an upload id), not both.",
            ));
        }
    }
    Ok(Json(crate::staff_api::Resealed {
        resealed: id,
        recipients: names,
    }))
}
