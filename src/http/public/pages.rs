//! The reporter's HTML pages. They work with JavaScript off: plain forms, posted back.
//!
//! Forms with files are `multipart/form-data`; the text fields come before the file inputs in
//! the page, so the server knows who to seal the files to before they arrive.

use askama::Template;
use axum::Router;
use axum::extract::multipart::Multipart;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::http::AppState;
use crate::http::error::Problem;
use crate::http::extract::FormBody;
use crate::http::multipart::{FieldSource, chosen_file, next_field, read_text};
use crate::intake::{IntakeError, Recipients, ReportAnswers, ReporterCase};
use crate::keyring::Entity;
use crate::store::NewEnvelope;
use crate::token::Token;

/// Pages with small bodies.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(report_page))
        .route("/report", get(report_page))
        .route("/status", get(status_page).post(check_status))
        .route("/status/assistance", post(answer_offer))
        .route("/static/style.css", get(stylesheet))
}

/// Pages that take files: larger bodies, longer time.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/report", post(submit_report))
        .route("/status/message", post(add_message))
        .route("/api/v1/uploads", post(super::api::upload))
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    entities: &'a [Entity],
    max_description: usize,
    max_field: usize,
    max_files: usize,
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
struct StatusPage<'a> {
    status_text: &'static str,
    received_on: String,
    replies: Vec<(String, String)>,
    /// The token, in a hidden field of the "add information" form: with no cookies and no
    /// token in URLs, this is how the next request proves it comes from the token holder.
    token: &'a str,
    max_message: usize,
    max_files: usize,
    assistance: Vec<crate::intake::AssistanceView>,
    /// A closed case takes no more information: the form is not shown.
    closed: bool,
}

#[derive(Template)]
#[template(path = "message_sent.html")]
struct MessageSentPage {
    files: usize,
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
            max_files: limits.max_attachments,
        },
    )
}

async fn submit_report(State(state): State<AppState>, request: Request) -> Response {
    let read = if is_multipart(&request) {
        read_report_with_files(&state, request).await
    } else {
        read_plain_form(&state, request)
            .await
            .map(|answers| (answers, Vec::new()))
    };
    let (answers, attachments) = match read {
        Ok(read) => read,
        Err(problem) => return problem_page(problem, "/"),
    };
    match state
        .intake
        .report_from_form(answers, attachments, state.today())
        .await
    {
        Ok(token) => render(
            StatusCode::OK,
            &SubmittedPage {
                token: &token.display(),
            },
        ),
        Err(e) => problem_page(e.into(), "/"),
    }
}

/// Reads the report form without files. It arrives on the route that takes files, so the
/// bounds of a request without files (`max_body_bytes`, `request_timeout_secs`) are applied here.
async fn read_plain_form(state: &AppState, request: Request) -> Result<ReportAnswers, Problem> {
    let limits = state.intake.limits();
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limits.max_body_bytes as u64) {
        return Err(Problem::too_large());
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limits.max_body_bytes));
    let request = Request::from_parts(parts, body);
    let limit = std::time::Duration::from_secs(limits.request_timeout_secs);
    match tokio::time::timeout(
        limit,
        FormBody::<ReportAnswers>::from_request(request, state),
    )
    .await
    {
        Ok(read) => read.map(|FormBody(answers)| answers),
        Err(_) => Err(Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "The form took too long to arrive. Please send it again.",
        )),
    }
}

/// Reads the report form with files. Files are sealed to the entity's intake officers as they
/// arrive; on any error, what was stored of them is removed.
async fn read_report_with_files(
    state: &AppState,
    request: Request,
) -> Result<(ReportAnswers, Vec<NewEnvelope>), Problem> {
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|_| not_multipart())?;
    let mut answers = ReportAnswers::default();
    let mut files = Vec::new();
    let result = async {
        let limits = state.intake.limits();
        let mut recipients: Option<Recipients> = None;
        let mut seen = Vec::new();
        while let Some(field) = next_field(&mut multipart).await? {
            once(&mut seen, &field)?;
            // Each character takes at most 4 bytes in UTF-8.
            match field.name().unwrap_or_default() {
                // Files already sealed went to the first entity's officers: the entity cannot
                // change after them, nor be given twice.
                "entity" if recipients.is_some() || !answers.entity.is_empty() => {
                    return Err(Problem::bad_request(
                        "The form is not valid: the entity must come once, before any file.",
                    ));
                }
                "entity" => answers.entity = read_text(field, 64).await?,
                "description" => {
                    answers.description = read_text(field, 4 * limits.max_description_chars).await?
                }
                "when" => answers.when = read_text(field, 4 * limits.max_field_chars).await?,
                "place" => answers.place = read_text(field, 4 * limits.max_field_chars).await?,
                "files" => {
                    let Some((name, media_type)) = chosen_file(&field) else {
                        continue;
                    };
                    if recipients.is_none() {
                        recipients = Some(state.intake.intake_of(&answers.entity)?);
                    }
                    let to = recipients.as_ref().expect("set just above");
                    add_file(state, &mut files, to, &name, &media_type, field).await?;
                }
                _ => return Err(unexpected_field()),
            }
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok((answers, files)),
        Err(problem) => {
            state.intake.discard(&files).await;
            Err(problem)
        }
    }
}

async fn add_file(
    state: &AppState,
    files: &mut Vec<NewEnvelope>,
    to: &Recipients,
    name: &str,
    media_type: &str,
    field: axum::extract::multipart::Field<'_>,
) -> Result<(), Problem> {
    let max = state.intake.limits().max_attachments;
    if files.len() >= max {
        return Err(IntakeError::TooManyFiles(max).into());
    }
    files.push(
        state
            .intake
            .seal_upload(to, name, media_type, &mut FieldSource(field), state.today())
            .await?,
    );
    Ok(())
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
        Err(e) => return problem_page(IntakeError::from(e).into(), "/status"),
    };
    status_response(&state, &token).await
}

/// The status page for a token already parsed.
async fn status_response(state: &AppState, token: &Token) -> Response {
    let found = match state.intake.case_by_token(token).await {
        Ok(found) => found,
        Err(e) => return problem_page(e.into(), "/status"),
    };
    status_of(state, token, &found).await
}

async fn status_of(state: &AppState, token: &Token, found: &ReporterCase) -> Response {
    match state.intake.view(found).await {
        Ok(view) => {
            let limits = state.intake.limits();
            render(
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
                    token: &token.display(),
                    max_message: limits.max_description_chars,
                    max_files: limits.max_attachments,
                    closed: view.status == crate::cases::Status::Closed,
                    assistance: view.assistance,
                },
            )
        }
        Err(e) => problem_page(e.into(), "/status"),
    }
}

#[derive(serde::Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct AnswerForm {
    token: String,
    offer: String,
    answer: String,
}

/// The reporter accepts or declines an offer of support from the status page, then sees the
/// page again.
async fn answer_offer(
    State(state): State<AppState>,
    form: Result<FormBody<AnswerForm>, Problem>,
) -> Response {
    let form = match form {
        Ok(FormBody(form)) => form,
        Err(problem) => return problem_page(problem, "/status"),
    };
    let accept = match form.answer.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return problem_page(Problem::bad_request("Choose accept or decline."), "/status"),
    };
    let token = match Token::parse(&form.token) {
        Ok(token) => token,
        Err(e) => return problem_page(IntakeError::from(e).into(), "/status"),
    };
    let found = match state.intake.case_by_token(&token).await {
        Ok(found) => found,
        Err(e) => return problem_page(e.into(), "/status"),
    };
    if let Err(e) = state
        .intake
        .answer_offer(&found, &form.offer, accept, state.today())
        .await
    {
        return problem_page(e.into(), "/status");
    }
    status_of(&state, &token, &found).await
}

async fn find_case(state: &AppState, typed: &str) -> Result<ReporterCase, Problem> {
    let token = Token::parse(typed).map_err(IntakeError::from)?;
    Ok(state.intake.case_by_token(&token).await?)
}

/// "Add information" from the status page: a message and files, sealed to the case's staff.
async fn add_message(State(state): State<AppState>, request: Request) -> Response {
    if !is_multipart(&request) {
        return problem_page(not_multipart(), "/status");
    }
    let mut multipart = match Multipart::from_request(request, &state).await {
        Ok(m) => m,
        Err(_) => return problem_page(not_multipart(), "/status"),
    };
    let mut files = Vec::new();
    let result = async {
        let mut found: Option<(ReporterCase, Recipients)> = None;
        let mut message = Zeroizing::new(String::new());
        let max_message = 4 * state.intake.limits().max_description_chars;
        let mut seen = Vec::new();
        while let Some(field) = next_field(&mut multipart).await? {
            once(&mut seen, &field)?;
            match (field.name().unwrap_or_default(), &found) {
                ("token", None) => {
                    let typed = Zeroizing::new(read_text(field, 200).await?);
                    let case = find_case(&state, &typed).await?;
                    let staff = state.intake.case_staff(&case.case);
                    found = Some((case, staff));
                }
                ("message", Some(_)) => *message = read_text(field, max_message).await?,
                ("files", Some((_, staff))) => {
                    let Some((name, media_type)) = chosen_file(&field) else {
                        continue;
                    };
                    add_file(&state, &mut files, staff, &name, &media_type, field).await?;
                }
                (_, None) => {
                    return Err(Problem::bad_request(
                        "The form must start with your follow-up number.",
                    ));
                }
                _ => return Err(unexpected_field()),
            }
        }
        let (case, _) = found.ok_or_else(|| {
            Problem::bad_request("The form must start with your follow-up number.")
        })?;
        let count = files.len();
        state
            .intake
            .add_message(&case, message, std::mem::take(&mut files), state.today())
            .await?;
        Ok(count)
    }
    .await;
    match result {
        Ok(files) => render(StatusCode::OK, &MessageSentPage { files }),
        Err(problem) => {
            state.intake.discard(&files).await;
            problem_page(problem, "/status")
        }
    }
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../../static/style.css"),
    )
        .into_response()
}

fn is_multipart(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

fn not_multipart() -> Problem {
    Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Send the form as multipart/form-data or application/x-www-form-urlencoded.",
    )
}

/// Refuses a text field sent twice: the first copy would be dropped unwiped, and which one
/// counts would be a guess.
fn once(
    seen: &mut Vec<String>,
    field: &axum::extract::multipart::Field<'_>,
) -> Result<(), Problem> {
    let name = field.name().unwrap_or_default();
    if name == "files" {
        return Ok(());
    }
    if seen.iter().any(|s| s == name) {
        return Err(Problem::bad_request(
            "The form is not valid: a field is given twice.",
        ));
    }
    seen.push(name.chars().take(32).collect());
    Ok(())
}

fn unexpected_field() -> Problem {
    Problem::bad_request("The form is not valid: it has a field that is not expected here.")
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
