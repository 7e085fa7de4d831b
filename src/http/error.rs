//! Errors as clients see them: a JSON body for the APIs, a friendly page for reporters.
//!
//! No internal detail reaches a client. A server-side failure is logged once, by its kind,
//! without anything from the request.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::intake::IntakeError;
use crate::store::StoreError;
use crate::token::TokenError;

/// An error answer: status, a stable machine-readable code, and a message for people.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// A follow-up number (or lookup key) that matched no case: what the rate limits count as a
    /// failed check, and nothing else is.
    pub failed_check: bool,
}

/// Marks an answer that is a failed status check, for the rate limits (`throttle`).
#[derive(Clone, Copy, Debug)]
pub struct FailedCheck;

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            status,
            code,
            message: message.into(),
            failed_check: false,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn too_large() -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "The request is larger than this server accepts. Shorten the text or send fewer files.",
        )
    }

    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side and nothing was saved. Please try again in a few minutes.",
        )
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        if let StoreError::Conflict(message) = e {
            return Problem::new(StatusCode::CONFLICT, "conflict", message);
        }
        tracing::error!(error = %e, "store failure");
        Problem::internal()
    }
}

impl From<IntakeError> for Problem {
    fn from(e: IntakeError) -> Problem {
        use IntakeError::*;
        let message = e.to_string();
        match e {
            UnknownEntity => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_entity", message)
            }
            FileTooLarge(_) => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large", message)
            }
            TooManyFiles(_) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "too_many_files", message)
            }
            UploadInterrupted => Problem::bad_request(message),
            CaseClosed => Problem::new(StatusCode::CONFLICT, "case_closed", message),
            NoSuchOffer => Problem::not_found(message),
            AnswerRefused => Problem::new(StatusCode::CONFLICT, "answer_refused", message),
            UploadNotFound => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "upload_not_found",
                message,
            ),
            EmptyDescription | EmptyMessage | TooLong { .. } | BadChoice { .. } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
            }
            EnvelopeTooLarge(_) => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "envelope_too_large", message)
            }
            Envelope(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_envelope",
                message,
            ),
            BadClientKey => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_lookup", message)
            }
            LookupTaken => Problem::new(StatusCode::CONFLICT, "lookup_taken", message),
            Token(TokenError::Parameters(_)) => {
                tracing::error!("token stretching failed: check the [token] configuration");
                Problem::internal()
            }
            Token(_) => Problem::new(StatusCode::BAD_REQUEST, "token_typo", message),
            NotFound => Problem {
                failed_check: true,
                ..Problem::not_found(
                    "No case matches this follow-up number. Check that you typed every digit as it was given to you.",
                )
            },
            Store(inner) => inner.into(),
            ShuttingDown => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message),
        }
    }
}

/// The JSON form, used by both APIs.
impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        let mut response = (self.status, Json(body)).into_response();
        if self.failed_check {
            response.extensions_mut().insert(FailedCheck);
        }
        response
    }
}
