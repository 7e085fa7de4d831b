//! Errors as clients see them: a JSON body for the APIs, a friendly page for reporters.
//!
//! No internal detail reaches a client. A server-side failure is logged once, by its kind,
//! without anything from the request.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::intake::IntakeError;
use crate::store::StoreError;
use crate::store::health::RETRY_MINUTES;
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
    /// Over a rate limit: how many seconds to wait, sent as `Retry-After`.
    pub retry_after: Option<u64>,
    /// Storage could not serve the request, with the store's own words for the operator
    /// (counted and logged once per outage by `store::health`; never sent to the client).
    pub storage_fault: Option<String>,
}

/// Marks an answer that is a failed status check, for the rate limits (`throttle`).
#[derive(Clone, Copy, Debug)]
pub struct FailedCheck;

/// Marks an answer refused because storage failed, with the cause for the operator's log.
#[derive(Clone, Debug)]
pub struct StorageFault(pub String);

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            status,
            code,
            message: message.into(),
            failed_check: false,
            retry_after: None,
            storage_fault: None,
        }
    }

    /// Over a rate limit (`throttle`): wait `wait` and try again.
    pub fn too_many_requests(wait: std::time::Duration) -> Problem {
        let seconds = wait.as_secs().max(1);
        Problem {
            retry_after: Some(seconds),
            ..Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!(
                    "Too many requests from your network just now. Please wait {seconds} seconds and try again."
                ),
            )
        }
    }

    /// Storage cannot serve now: nothing was saved, and the same request may succeed later.
    fn storage_unavailable(cause: String) -> Problem {
        Problem {
            storage_fault: Some(cause),
            ..Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                format!(
                    "We cannot store reports or messages right now, and nothing was saved. Please try again in {RETRY_MINUTES} minutes."
                ),
            )
        }
    }

    /// Storage failed after the write reached its commit: whether it was saved is not known.
    /// A report told this has no follow-up number, so it is to be sent again.
    fn storage_unconfirmed(cause: String) -> Problem {
        Problem {
            storage_fault: Some(cause),
            ..Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unconfirmed",
                format!(
                    "We could not confirm that this was saved, so no follow-up number can be given for it. Please send it again in {RETRY_MINUTES} minutes; if the first one was saved, staff may receive it twice."
                ),
            )
        }
    }

    /// This refusal, or `instead` when it is one that must not say more than "not found" (a
    /// case the caller may not see); a failure of storage stays what it is.
    pub fn hidden_as(self, instead: Problem) -> Problem {
        if self.status == StatusCode::FORBIDDEN || self.status == StatusCode::NOT_FOUND {
            instead
        } else {
            self
        }
    }

    /// The same failure met by a status check, which had nothing to save.
    pub fn checking(self) -> Problem {
        if self.code != "storage_unavailable" {
            return self;
        }
        Problem {
            code: "check_unavailable",
            message: format!(
                "We cannot check your case right now. Please try again in {RETRY_MINUTES} minutes."
            ),
            ..self
        }
    }

    /// What an answer carries besides its body: the marks the middleware reads (`FailedCheck`,
    /// `StorageFault`) and, when storage failed, when to try again.
    pub fn mark(&self, response: &mut Response) {
        if self.failed_check {
            response.extensions_mut().insert(FailedCheck);
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        if let Some(cause) = &self.storage_fault {
            response
                .extensions_mut()
                .insert(StorageFault(cause.clone()));
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(RETRY_MINUTES * 60),
            );
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
        if let StoreError::Unconfirmed = e {
            return Problem::storage_unconfirmed(e.to_string());
        }
        if e.is_unavailable() {
            return Problem::storage_unavailable(e.to_string());
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
            // A lookup key already taken tells that a case exists for it: counted as a guess,
            // like a status check that found nothing (`throttle`).
            LookupTaken => Problem {
                failed_check: true,
                ..Problem::new(StatusCode::CONFLICT, "lookup_taken", message)
            },
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
        let body = crate::staff_api::ErrorAnswer {
            error: crate::staff_api::ErrorBody {
                code: self.code.to_string(),
                message: self.message.clone(),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        self.mark(&mut response);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Tr;

    #[test]
    fn a_storage_failure_is_a_503_that_says_in_every_form_nothing_was_saved_and_when_to_retry() {
        let en = Tr::negotiate(Some("en"), None);
        let stored = Problem::from(StoreError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(stored.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(stored.code, "storage_unavailable");
        // The English page shows the API's words and the script the locale's: the same.
        assert_eq!(en.get("error-storage_unavailable"), stored.message);
        let checked = stored.checking();
        assert_eq!(checked.code, "check_unavailable");
        assert_eq!(en.get("error-check_unavailable"), checked.message);
        let mut response = checked.into_response();
        assert_eq!(response.headers()[axum::http::header::RETRY_AFTER], "300");
        assert!(response.extensions_mut().remove::<StorageFault>().is_some());
    }

    #[test]
    fn every_language_says_when_to_try_again_as_the_retry_header_does() {
        for lang in crate::i18n::LANGS.iter().map(|l| l.code) {
            let t = Tr::negotiate(Some(lang), None);
            assert_eq!(t.code(), lang);
            for key in [
                "error-storage_unavailable",
                "error-storage_unconfirmed",
                "error-check_unavailable",
            ] {
                let text = t.get(key);
                assert_ne!(text, key, "{lang} lacks {key}");
                assert!(
                    text.contains(&RETRY_MINUTES.to_string()),
                    "{lang} {key}: {text}"
                );
            }
        }
    }

    #[test]
    fn a_write_whose_commit_could_not_be_confirmed_does_not_say_nothing_was_saved() {
        let en = Tr::negotiate(Some("en"), None);
        let unconfirmed = Problem::from(StoreError::Unconfirmed);
        assert_eq!(unconfirmed.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(unconfirmed.code, "storage_unconfirmed");
        assert!(!unconfirmed.message.contains("nothing was saved"));
        assert_eq!(en.get("error-storage_unconfirmed"), unconfirmed.message);
        let failed = Problem::from(StoreError::BatchFailed);
        assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn a_broken_row_is_still_a_500_and_a_status_check_does_not_change_other_refusals() {
        let broken = Problem::from(StoreError::Corrupt("a bad day"));
        assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(broken.storage_fault.is_none());
        assert_eq!(Problem::not_found("x").checking().code, "not_found");
    }
}
