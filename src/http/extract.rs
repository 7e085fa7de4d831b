//! Request body extractors that answer bad input in our own error format.
//!
//! Bodies are bounded by the router's body limit before they are read. Error messages name the
//! problem (a missing or unknown field, a position in the JSON) but never repeat a value the
//! client sent. Form bodies are wiped after parsing, because they hold report plaintext.

use axum::RequestExt;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use zeroize::{Zeroize, Zeroizing};

use super::error::Problem;

/// A JSON request body.
pub struct JsonBody<T>(pub T);

/// A `application/x-www-form-urlencoded` request body, strictly UTF-8.
pub struct FormBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Problem> {
        require_content_type(&req, "application/json")?;
        let bytes = read_body(req).await?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| json_problem(&e))
    }
}

/// The answer to a JSON body that does not parse as the type the route takes.
fn json_problem(e: &serde_json::Error) -> Problem {
    // serde_json puts the position after the message; it is given once, at the end.
    let text = e.to_string();
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(message, _)| message);
    // Well-formed, but a closed vocabulary's value is not one of its codes: the answer names
    // the allowed ones, as a refusal of what the body means (422).
    if e.classify() == serde_json::error::Category::Data
        && let Some(known) = known_codes(message)
    {
        return Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_code",
            format!(
                "{} (line {}, column {}).",
                capitalised(&known),
                e.line(),
                e.column()
            ),
        );
    }
    let what = match e.classify() {
        serde_json::error::Category::Data => field_problem(message),
        serde_json::error::Category::Eof => "it ends too early".to_string(),
        _ => "it is not well-formed JSON".to_string(),
    };
    Problem::bad_request(format!(
        "The JSON body is not valid: {what} (line {}, column {}).",
        e.line(),
        e.column()
    ))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for FormBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Problem> {
        require_content_type(&req, "application/x-www-form-urlencoded")?;
        let bytes = read_body(req).await?;
        let parsed = if is_utf8_form(&bytes) {
            serde_urlencoded::from_bytes(&bytes).map_err(|e| {
                Problem::bad_request(format!(
                    "The form is not valid: {}.",
                    field_problem(&e.to_string())
                ))
            })
        } else {
            Err(Problem::bad_request(
                "The form is not valid: its text is not UTF-8. Please send it again from the page.",
            ))
        };
        parsed.map(FormBody)
    }
}

/// Reads a whole body, within the router's body limit, into a buffer that is wiped when
/// dropped. The buffer grows by copying into a fresh wiped buffer, so no reallocation leaves an
/// unwiped copy behind; each frame received is wiped too, when no one else holds it.
pub async fn read_body(req: Request) -> Result<Zeroizing<Vec<u8>>, Problem> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = req.into_limited_body();
    // The declared length was checked against the limit before any handler ran.
    // A declared length is only a claim: reserve at most 1 MiB on its word, grow as data comes.
    let mut out = Zeroizing::new(Vec::with_capacity(declared.min(1 << 20)));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if too_large {
                Problem::too_large()
            } else {
                Problem::bad_request(
                    "The request body could not be read completely. Please try again.",
                )
            }
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if out.capacity() - out.len() < data.len() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(
                (out.len() + data.len()).max(2 * out.capacity()),
            ));
            bigger.extend_from_slice(&out);
            out = bigger;
        }
        out.extend_from_slice(&data);
        if let Ok(mut owned) = data.try_into_mut() {
            owned.as_mut().zeroize();
        }
    }
    Ok(out)
}

fn require_content_type(req: &Request, expected: &str) -> Result<(), Problem> {
    let given = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    if given.is_some_and(|g| g.eq_ignore_ascii_case(expected)) {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("Send the body as {expected}."),
        ))
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Says which of our fields is missing, or that there is a field we do not know, without
/// repeating anything the client sent (not even an unknown field's name).
fn field_problem(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        format!("the field `{name}` is missing")
    } else if message.starts_with("unknown field") {
        "it has a field that is not expected here".to_string()
    } else if let Some(known) = known_codes(message) {
        known
    } else {
        "a field has the wrong type or value".to_string()
    }
}

/// The message of a closed vocabulary's refusal (`codes::coded_enum`: "unknown referral
/// state; use one of: offered, …"), which names the allowed codes and never what was sent; or
/// serde's own for a derived enum ("unknown variant `SENT`, expected one of `a`, `b`"), with
/// the value sent left out. The allowed codes come last in both, after anything sent.
fn known_codes(message: &str) -> Option<String> {
    if let Some((_, known)) = message.rsplit_once(", expected ")
        && message.starts_with("unknown variant `")
    {
        let known = known.trim_start_matches("one of ").replace('`', "");
        return Some(format!(
            "a value is not one of those allowed here; use one of: {known}"
        ));
    }
    let (what, known) = message.rsplit_once("; use one of: ")?;
    let what = what.strip_prefix(crate::codes::UNKNOWN)?.trim();
    // The type's name in words, nothing a client could have put there.
    if !what.chars().all(|c| c.is_ascii_lowercase() || c == ' ') {
        return None;
    }
    Some(format!(
        "this {what} is not one of those allowed; use one of: {known}"
    ))
}

/// Whether a url-encoded body decodes to valid UTF-8 (serde_urlencoded would silently replace
/// invalid bytes, changing what the reporter wrote).
fn is_utf8_form(body: &[u8]) -> bool {
    let mut decoded = zeroize::Zeroizing::new(Vec::with_capacity(body.len()));
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'%' => {
                let hex = body
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => decoded.push(byte),
                    None => return false,
                }
                i += 3;
            }
            byte => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_typo_in_a_closed_vocabulary_is_a_422_naming_every_allowed_code_and_not_the_typo() {
        let e = serde_json::from_str::<crate::staff_api::MoveRequest>(r#"{"state":"acepted"}"#)
            .unwrap_err();
        let problem = super::json_problem(&e);
        assert_eq!(problem.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem.code, "unknown_code");
        let known = crate::assistance::ReferralState::known();
        assert!(
            problem.message.starts_with(&format!(
                "This referral state is not one of those allowed; use one of: {known} (line 1"
            )),
            "{}",
            problem.message
        );
        assert!(!problem.message.contains("acepted"));
    }

    #[test]
    fn a_missing_field_is_named_once_with_its_position() {
        let e = serde_json::from_str::<crate::staff_api::MoveRequest>("{}").unwrap_err();
        let problem = super::json_problem(&e);
        assert_eq!(problem.status, axum::http::StatusCode::BAD_REQUEST);
        assert_eq!(
            problem.message,
            "The JSON body is not valid: the field `state` is missing (line 1, column 2)."
        );
    }

    use super::*;

    #[test]
    fn invalid_percent_escapes_and_non_utf8_are_refused() {
        assert!(is_utf8_form(b"entity=minusca&description=caf%C3%A9+ok"));
        assert!(!is_utf8_form(b"description=%FF%FE"));
        assert!(!is_utf8_form(b"description=%G1"));
        assert!(!is_utf8_form(b"description=%4"));
        assert!(!is_utf8_form(b"description=\xff"));
    }

    #[test]
    fn field_problems_keep_the_field_name_and_drop_values() {
        assert_eq!(
            field_problem("missing field `entity`"),
            "the field `entity` is missing"
        );
        assert_eq!(
            field_problem("unknown field `colour`, expected one of `entity`"),
            "it has a field that is not expected here"
        );
        assert_eq!(
            field_problem("invalid type: string \"my secret\", expected u32"),
            "a field has the wrong type or value"
        );
        assert_eq!(
            field_problem("unknown referral state; use one of: offered, accepted"),
            "this referral state is not one of those allowed; use one of: offered, accepted"
        );
        let sneaky = "unknown variant `x, expected my secret`, expected one of `a`, `b`";
        assert_eq!(
            field_problem(sneaky),
            "a value is not one of those allowed here; use one of: a, b"
        );
        assert!(!field_problem("unknown My Secret; use one of: a").contains("Secret"));
    }
}
