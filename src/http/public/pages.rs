//! The reporter's HTML pages. They work with JavaScript off: plain forms, posted back.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::http::AppState;
use crate::http::error::Problem;
use crate::http::extract::FormBody;
use crate::intake::ReportAnswers;
use crate::keyring::Entity;
use crate::token::Token;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(report_page))
        .route("/report", get(report_page).post(submit_report))
        .route("/status", get(status_page).post(check_status))
        .route("/static/style.css", get(stylesheet))
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    entities: &'a [Entity],
    max_description: usize,
    max_field: usize,
}

#[derive(Template)]
#[template(path = "submitted.html")]
struct SubmittedPage<'a> {
    token: &'a str,
}

#[derive(Template)]
#[template(path = "status_form.html")]
struct StatusFormPage;

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage {
    status_text: &'static str,
    received_on: String,
    replies: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage<'a> {
    heading: &'a str,
    message: &'a str,
    back: &'a str,
}

async fn report_page(State(state): State<AppState>) -> Response {
    let limits = state.intake.limits();
    render(
        StatusCode::OK,
        &ReportPage {
            entities: state.keyring.entities(),
            max_description: limits.max_description_chars,
            max_field: limits.max_field_chars,
        },
    )
}

async fn submit_report(
    State(state): State<AppState>,
    form: Result<FormBody<ReportAnswers>, Problem>,
) -> Response {
    let answers = match form {
        Ok(FormBody(answers)) => answers,
        Err(problem) => return problem_page(problem, "/"),
    };
    match state.intake.report_from_form(answers, state.today()).await {
        Ok(token) => render(
            StatusCode::OK,
            &SubmittedPage {
                token: &token.display(),
            },
        ),
        Err(e) => problem_page(e.into(), "/"),
    }
}

async fn status_page() -> Response {
    render(StatusCode::OK, &StatusFormPage)
}

#[derive(serde::Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct StatusForm {
    token: String,
}

async fn check_status(
    State(state): State<AppState>,
    form: Result<FormBody<StatusForm>, Problem>,
) -> Response {
    let form = match form {
        Ok(FormBody(form)) => form,
        Err(problem) => return problem_page(problem, "/status"),
    };
    let token = match Token::parse(&form.token) {
        Ok(token) => token,
        Err(e) => return problem_page(crate::intake::IntakeError::from(e).into(), "/status"),
    };
    match state.intake.status_by_token(&token).await {
        Ok(view) => render(
            StatusCode::OK,
            &StatusPage {
                status_text: view.status_text,
                received_on: crate::store::day_format::to_text(view.received_on),
                replies: view
                    .replies
                    .into_iter()
                    .map(|r| {
                        (
                            crate::store::day_format::to_text(r.created_on),
                            r.text.unwrap_or_default(),
                        )
                    })
                    .collect(),
            },
        ),
        Err(e) => problem_page(e.into(), "/status"),
    }
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../../static/style.css"),
    )
        .into_response()
}

/// The friendly page for an error, with the same status code the API would give.
pub fn problem_page(problem: Problem, back: &str) -> Response {
    let heading = if problem.status.is_server_error() {
        "Something went wrong"
    } else {
        "Please check and try again"
    };
    render(
        problem.status,
        &ProblemPage {
            heading,
            message: &problem.message,
            back,
        },
    )
}

fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
