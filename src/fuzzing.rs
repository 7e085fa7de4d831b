//! The harnesses of the fuzz targets (`fuzz/`), one per parser of untrusted input, kept in the
//! library so that the inputs fuzzing found are replayed by `tests/fuzz_regressions.rs` on every
//! test run. Each takes arbitrary bytes and must neither panic nor hang.

use std::sync::OnceLock;

use axum::extract::{FromRequest, Request};

use crate::allegation::Classification;
use crate::config::Limits;
use crate::http::extract::{FormBody, JsonBody};
use crate::intake::ReportAnswers;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime starts")
    })
}

/// Follow-up numbers as typed.
pub fn token(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(token) = crate::token::Token::parse(&text) {
        // What parses displays and parses again to the same digits.
        let shown = token.display();
        assert!(crate::token::Token::parse(&shown).is_ok());
    }
}

/// Client-sealed envelopes: header, shape, the checks made on them, attachment layouts.
pub fn envelope(data: &[u8]) {
    let _ = crate::seal::parse_header(data);
    if let Ok(shape) = crate::seal::inspect(data) {
        let _ = crate::seal::check_client_envelope(data, shape.x25519_stanzas);
    }
    for expected in 0..3 {
        let _ = crate::seal::check_client_envelope(data, expected);
    }
    let _ = crate::seal::parse_attachment(data);
}

/// Form and JSON bodies, through the same extractors and checks as the routes.
pub fn bodies(data: &[u8]) {
    let form = || {
        Request::builder()
            .method("POST")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(data.to_vec()))
            .expect("a request builds")
    };
    let json = || {
        Request::builder()
            .method("POST")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(data.to_vec()))
            .expect("a request builds")
    };
    runtime().block_on(async {
        if let Ok(FormBody(mut answers)) =
            FormBody::<ReportAnswers>::from_request(form(), &()).await
        {
            let _ = answers.check(&Limits::default());
        }
        if let Ok(JsonBody(classification)) =
            JsonBody::<Classification>::from_request(json(), &()).await
        {
            let _ = classification.checked();
        }
        let _ = JsonBody::<serde_json::Value>::from_request(json(), &()).await;
    });
}

/// Multipart forms, through the field readers the report and message routes use.
pub fn multipart(data: &[u8]) {
    let request = Request::builder()
        .method("POST")
        .header("content-type", "multipart/form-data; boundary=BOUNDARY")
        .body(axum::body::Body::from(data.to_vec()))
        .expect("a request builds");
    runtime().block_on(async {
        let Ok(mut form) = axum::extract::Multipart::from_request(request, &()).await else {
            return;
        };
        let mut answers = ReportAnswers::default();
        let limits = Limits::default();
        for _ in 0..64 {
            let Ok(Some(field)) = crate::http::multipart::next_field(&mut form).await else {
                return;
            };
            let name = field.name().unwrap_or_default().to_string();
            if crate::http::multipart::chosen_file(&field).is_some() {
                continue;
            }
            let Some((slot, max)) = answers.field_mut(&name, &limits) else {
                continue;
            };
            match crate::http::multipart::read_text(field, 4 * max).await {
                Ok(text) => *slot = text,
                Err(_) => return,
            }
        }
        let _ = answers.check(&limits);
    });
}
