//! The reporters' JSON API, for clients that seal reports and stretch tokens themselves.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::http::AppState;
use crate::http::error::Problem;
use crate::http::extract::JsonBody;
use crate::intake::{CaseView, ClientKey, IntakeError, ReporterCase};
use crate::token::{KEY_BYTES, LookupKey, Token};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports", post(create_report))
        .route("/api/v1/keyring", get(keyring))
        .route("/api/v1/challenge", get(challenge))
        .route(
            "/api/v1/status",
            post(status).layer(axum::middleware::map_response(
                crate::http::pool::changes_nothing,
            )),
        )
        .route("/api/v1/messages", post(add_message))
        .route("/api/v1/assistance", post(answer_offer))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportRequest {
    entity: String,
    /// Base64 of a binary age file.
    envelope: String,
    /// Base64 of the 32-byte lookup key, for a token made and stretched by the client.
    #[serde(default)]
    lookup: Option<String>,
    /// The age X25519 recipient derived from the client's token; required with `lookup`.
    #[serde(default)]
    reply_recipient: Option<String>,
    /// Ids of files uploaded to `/api/v1/uploads`, sealed like the report.
    #[serde(default)]
    attachments: Vec<String>,
    /// The answer to a challenge from `/api/v1/challenge`, when the server asks for one.
    #[serde(default)]
    pow: Option<WorkAnswer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkAnswer {
    challenge: String,
    nonce: u64,
}

/// A challenge to answer before sending a report while the server is under pressure.
async fn challenge(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "challenge": state.work.challenge(),
        "bits": state.work.bits(),
        "required": state.work.under_pressure(),
        "rule": "find a nonce such that SHA-256(challenge bytes || nonce as 8 bytes little-endian) starts with `bits` zero bits",
    }))
}

async fn create_report(
    State(state): State<AppState>,
    network: Option<axum::Extension<crate::http::throttle::PrefixKey>>,
    JsonBody(request): JsonBody<ReportRequest>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    // A lookup key is a guess at a case as much as a status check is.
    if request.lookup.is_some()
        && let Some(axum::Extension(network)) = network
        && let Some(wait) = state.throttle.locked_out(network)
    {
        return Err(Problem::too_many_requests(wait));
    }
    if state.work.under_pressure() {
        let Some(answer) = &request.pow else {
            return Err(Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "pow_required",
                "Many reports are arriving: fetch a challenge from /api/v1/challenge and send its answer as \"pow\".",
            ));
        };
        if state.work.redeem(&answer.challenge, answer.nonce).is_err() {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pow_invalid",
                "The answer to the challenge is wrong, expired or used already; fetch a new challenge.",
            ));
        }
    }
    let envelope = decode_envelope(&state, &request.envelope)?;
    let client_key = match (request.lookup, request.reply_recipient) {
        (None, None) => None,
        (Some(lookup), Some(recipient)) => Some(ClientKey {
            lookup: decode_lookup(&lookup)?,
            reply_recipient: recipient.parse().map_err(|_| IntakeError::BadClientKey)?,
        }),
        _ => return Err(IntakeError::BadClientKey.into()),
    };
    let token = state
        .intake
        .report_sealed(
            &request.entity,
            envelope,
            &request.attachments,
            client_key,
            state.today(),
        )
        .await?;
    let body = match token {
        crate::intake::Filed::New(Some(token)) => json!({ "token": token.display().as_str() }),
        crate::intake::Filed::New(None) => json!({}),
        // Counted when it was filed.
        crate::intake::Filed::Again => return Ok((StatusCode::CREATED, Json(json!({})))),
    };
    state.work.note_accepted();
    state
        .metrics
        .report_accepted(crate::metrics::SealedOn::Client);
    Ok((StatusCode::CREATED, Json(body)))
}

/// Everything a client needs to seal a report and stretch a token itself. `signed` carries the
/// organisation-signed public document (keys per entity, no names); a client that pins the
/// organisation key seals only to recipients it finds there (members revoked since signing are
/// left out of `entities`).
async fn keyring(State(state): State<AppState>) -> Json<Value> {
    let keyring = state.keyring.current();
    let signed = keyring
        .public_signature()
        .map(|signature| json!({ "document": keyring.public_document(), "signature": signature }));
    let entities: Vec<Value> = keyring
        .entities()
        .iter()
        .map(|e| {
            let recipients: Vec<String> = keyring
                .intake_recipients(&e.id)
                .iter()
                .map(|r| r.to_string())
                .collect();
            json!({ "id": e.id, "name": e.name, "recipients": recipients })
        })
        .collect();
    let p = state.intake.stretch_params();
    Json(json!({
        "entities": entities,
        "signed": signed,
        "token": {
            "digits": crate::token::TOKEN_DIGITS,
            "check": "ISO 7064 MOD 97-10 over all digits",
            "algorithm": "argon2id",
            "version": 19,
            "salt": STANDARD.encode(&p.salt),
            "memory_kib": p.memory_kib,
            "iterations": p.iterations,
            "parallelism": p.parallelism,
            "output_bytes": 2 * KEY_BYTES,
            "lookup": "first 32 bytes of the output",
            "reply_seed": "last 32 bytes: an X25519 secret key, used as an age identity"
        },
        "padding": { "min_bucket": crate::seal::MIN_BUCKET, "rule": "power of two, padded with trailing spaces" }
    }))
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct StatusRequest {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    lookup: Option<String>,
}

async fn status(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<StatusRequest>,
) -> Result<Json<CaseView>, Problem> {
    let checked = async {
        let found = find_case(&state, &request).await?;
        Ok::<_, Problem>(state.intake.view(&found).await?)
    };
    Ok(Json(checked.await.map_err(Problem::checking)?))
}

/// Finds the reporter's case from exactly one of a token or a lookup key.
async fn find_case(state: &AppState, request: &StatusRequest) -> Result<ReporterCase, Problem> {
    match (&request.token, &request.lookup) {
        (Some(token), None) => {
            let token = Token::parse(token).map_err(IntakeError::from)?;
            Ok(state.intake.case_by_token(&token).await?)
        }
        (None, Some(lookup)) => Ok(state.intake.case_by_lookup(&decode_lookup(lookup)?).await?),
        _ => Err(Problem::bad_request(
            "Send exactly one of \"token\" or \"lookup\".",
        )),
    }
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct MessageRequest {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    lookup: Option<String>,
    /// Base64 of an age file sealed to the case's `staff_recipients` (from the status answer).
    #[serde(default)]
    envelope: Option<String>,
    /// Ids of files uploaded to `/api/v1/uploads`, sealed to the same people.
    #[serde(default)]
    attachments: Vec<String>,
}

/// A follow-up message sealed by the client to the people working on the case.
async fn add_message(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<MessageRequest>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let keys = StatusRequest {
        token: request.token.clone(),
        lookup: request.lookup.clone(),
    };
    let found = find_case(&state, &keys).await?;
    let envelope = request
        .envelope
        .as_deref()
        .map(|e| decode_envelope(&state, e))
        .transpose()?;
    state
        .intake
        .add_sealed_message(&found, envelope, &request.attachments, state.today())
        .await?;
    Ok((StatusCode::CREATED, Json(json!({}))))
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct AnswerRequest {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    lookup: Option<String>,
    /// The offer's id, from `assistance` in the status answer.
    offer: String,
    /// `accept` or `decline`.
    answer: String,
}

/// The reporter accepts or declines an offer of support.
async fn answer_offer(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<AnswerRequest>,
) -> Result<Json<CaseView>, Problem> {
    let accept = match request.answer.as_str() {
        "accept" => true,
        "decline" => false,
        _ => {
            return Err(Problem::bad_request(
                "\"answer\" is \"accept\" or \"decline\".",
            ));
        }
    };
    let keys = StatusRequest {
        token: request.token.clone(),
        lookup: request.lookup.clone(),
    };
    let found = find_case(&state, &keys).await?;
    state
        .intake
        .answer_offer(&found, &request.offer, accept, state.today())
        .await?;
    Ok(Json(state.intake.view(&found).await?))
}

fn decode_envelope(state: &AppState, text: &str) -> Result<Vec<u8>, Problem> {
    let max = state.intake.limits().max_envelope_bytes;
    // Refuse before decoding: base64 is 4 characters for every 3 bytes.
    if text.len() > max.div_ceil(3) * 4 {
        return Err(IntakeError::EnvelopeTooLarge(max).into());
    }
    STANDARD
        .decode(text.trim())
        .map_err(|_| Problem::bad_request("The envelope must be standard base64 of an age file."))
}

/// A file sealed by the client (a binary age file, the request body), streamed into the store.
/// Answers the upload id to name in a report's or message's `attachments`.
pub async fn upload(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<crate::staff_api::Uploaded>), Problem> {
    let is_binary = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("application/octet-stream"));
    if !is_binary {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the sealed file as application/octet-stream.",
        ));
    }
    use axum::RequestExt;
    let mut source = BodySource(request.into_limited_body().into_data_stream());
    let id = state
        .intake
        .receive_upload(&mut source, state.today())
        .await?;
    // The same answer on both listeners: staff stream large re-sealed copies the same way.
    Ok((
        StatusCode::CREATED,
        Json(crate::staff_api::Uploaded { upload: id }),
    ))
}

/// A request body as a stream of chunks.
struct BodySource(axum::body::BodyDataStream);

impl crate::intake::ChunkSource for BodySource {
    async fn next_chunk(&mut self) -> Result<Option<axum::body::Bytes>, IntakeError> {
        use futures_util::StreamExt;
        self.0
            .next()
            .await
            .transpose()
            .map_err(|_| IntakeError::UploadInterrupted)
    }
}

fn decode_lookup(text: &str) -> Result<LookupKey, Problem> {
    let bytes = zeroize::Zeroizing::new(
        STANDARD
            .decode(text.trim())
            .map_err(|_| IntakeError::BadClientKey)?,
    );
    Ok(LookupKey::from_bytes(&bytes).ok_or(IntakeError::BadClientKey)?)
}
