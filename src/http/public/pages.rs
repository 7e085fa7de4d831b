//! The reporter's HTML pages. They work with JavaScript off: plain forms, posted back.
//!
//! Forms with files are `multipart/form-data`; the text fields come before the file inputs in
//! the page, so the server knows who to seal the files to before they arrive.

use askama::Template;
use axum::Router;
use axum::extract::multipart::Multipart;
use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::http::AppState;
use crate::http::error::Problem;
use crate::http::extract::FormBody;
use crate::http::multipart::{FieldSource, chosen_file, next_field, read_text};
use crate::http::public::once::{Form, MARK_CHARS, MarkError, Sending};
use crate::i18n::Tr;
use crate::intake::{IntakeError, Recipients, ReportAnswers, ReporterCase};
use crate::keyring::Entity;
use crate::store::NewEnvelope;
use crate::store::StoreError;
use crate::token::Token;

/// Pages with small bodies.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(report_page))
        .route("/report", get(report_page))
        .route(
            "/status",
            get(status_page)
                .post(check_status)
                .layer(axum::middleware::map_response(
                    crate::http::pool::changes_nothing,
                )),
        )
        .route("/status/assistance", post(answer_offer))
        .route("/static/style.css", get(stylesheet))
        .route("/static/confide.js", get(script))
        .route("/static/exit.js", get(exit_script))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
}

/// Pages that take files: larger bodies, longer time.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/report", post(submit_report))
        .route("/status/message", post(add_message))
        .route("/api/v1/uploads", post(super::api::upload))
}

/// What every page needs: its language and where the quick-exit button leads.
#[derive(Clone)]
pub struct Ctx {
    t: Tr,
    quick_exit: Arc<str>,
}

/// Where the quick-exit button leads (`[pages] quick_exit_url`), added to every public request.
#[derive(Clone)]
pub struct QuickExit(pub Arc<str>);

impl Ctx {
    /// The language asked for with `?lang=` or preferred by the browser (the header is read for
    /// this and dropped), and the configured quick exit.
    pub fn of(parts: &Parts) -> Ctx {
        let asked = parts
            .uri
            .query()
            .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("lang=")));
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let quick_exit = parts
            .extensions
            .get::<QuickExit>()
            .map(|q| q.0.clone())
            .unwrap_or_else(|| Arc::from(crate::config::DEFAULT_QUICK_EXIT));
        Ctx {
            t: Tr::negotiate(asked, accept),
            quick_exit,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Ctx, Self::Rejection> {
        Ok(Ctx::of(parts))
    }
}

/// Keys the report page's script needs: its progress words and the refusals it may meet.
const REPORT_SCRIPT_KEYS: &[&str] = &[
    "error-keyring_unverified",
    "js-stretching",
    "js-sealing",
    "js-sending",
    "js-busy",
    "js-failed",
    "js-retrying",
    "js-unconfirmed",
    "js-downgrade",
    "js-try-again",
    "js-send-unlocked",
    "js-leave",
    "error-unknown_entity",
    "error-invalid_field",
    "error-too_large",
    "error-file_too_large",
    "error-too_many_files",
    "error-timeout",
    "error-internal",
    "error-unavailable",
    "error-storage_unavailable",
    "error-storage_unconfirmed",
    "error-too_many_requests",
];

/// Keys the status page's script needs, beyond the words of each status, service and state.
const STATUS_SCRIPT_KEYS: &[&str] = &[
    "error-keyring_unverified",
    "js-stretching",
    "js-checking",
    "js-sending",
    "js-failed",
    "js-retrying",
    "js-unconfirmed-message",
    "js-typo",
    "error-not_found",
    "error-token_typo",
    "error-case_closed",
    "error-answer_refused",
    "error-invalid_field",
    "error-too_large",
    "error-file_too_large",
    "error-too_many_files",
    "error-internal",
    "error-unavailable",
    "error-storage_unavailable",
    "error-storage_unconfirmed",
    "error-check_unavailable",
    "error-too_many_requests",
    "case-received-on",
];

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    t: Tr,
    quick_exit: &'a str,
    script: bool,
    /// The language switcher: left out where following it would lose what the page shows once.
    switcher: bool,
    strings: String,
    entities: &'a [Entity],
    /// Per entity: who can open a report, in plain words.
    readers: Vec<String>,
    /// The organisation key the page's script checks the keyring against.
    organisation_key: Option<&'a str>,
    /// The serial of the keyring this page was made from: the script refuses an older one.
    keyring_serial: u64,
    categories: &'static [&'static str],
    max_description: usize,
    max_field: usize,
    max_files: usize,
    /// Empty: the page's template for the script's "received" view shows no token.
    token: &'a str,
    /// Days within which a report is acknowledged: when to come back.
    ack_days: u16,
    /// This page's one-time mark.
    once: String,
}

#[derive(Template)]
#[template(path = "submitted.html")]
struct SubmittedPage<'a> {
    t: Tr,
    quick_exit: &'a str,
    script: bool,
    /// The language switcher: left out where following it would lose what the page shows once.
    switcher: bool,
    strings: String,
    token: &'a str,
    /// Days within which a report is acknowledged: when to come back.
    ack_days: u16,
}

#[derive(Template)]
#[template(path = "status_form.html")]
struct StatusFormPage<'a> {
    t: Tr,
    quick_exit: &'a str,
    script: bool,
    /// The language switcher: left out where following it would lose what the page shows once.
    switcher: bool,
    strings: String,
    max_message: usize,
    organisation_key: Option<&'a str>,
    /// The serial of the keyring this page was made from: the script refuses an older one.
    keyring_serial: u64,
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage<'a> {
    t: Tr,
    quick_exit: &'a str,
    script: bool,
    /// The language switcher: left out where following it would lose what the page shows once.
    switcher: bool,
    status_text: String,
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
    /// The "add information" form's one-time mark.
    once: String,
}

#[derive(Template)]
#[template(path = "message_sent.html")]
struct MessageSentPage<'a> {
    t: Tr,
    quick_exit: &'a str,
    script: bool,
    /// The language switcher: left out where following it would lose what the page shows once.
    switcher: bool,
    files: usize,
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage<'a> {
    t: Tr,
    quick_exit: &'a str,
    script: bool,
    /// The language switcher: left out where following it would lose what the page shows once.
    switcher: bool,
    heading: String,
    message: String,
    back: &'a str,
}

async fn report_page(State(state): State<AppState>, ctx: Ctx) -> Response {
    let limits = state.intake.limits();
    let keyring = state.keyring.current();
    let readers = keyring
        .entities()
        .iter()
        .map(|e| {
            let count = keyring.intake_recipients(&e.id).len();
            format!(
                "{}: {}",
                e.name,
                ctx.t.count("report-readers-count", "count", count)
            )
        })
        .collect();
    render(
        StatusCode::OK,
        &ReportPage {
            t: ctx.t,
            quick_exit: &ctx.quick_exit,
            script: true,
            switcher: true,
            strings: ctx.t.json(REPORT_SCRIPT_KEYS),
            entities: keyring.entities(),
            readers,
            organisation_key: state.organisation_key.as_deref(),
            keyring_serial: keyring.serial(),
            categories: crate::intake::CATEGORIES,
            max_description: limits.max_description_chars,
            max_field: limits.max_field_chars,
            max_files: limits.max_attachments,
            token: "",
            ack_days: state.clocks.acknowledge_days,
            once: state.once.issue(Form::Report),
        },
    )
}

async fn submit_report(State(state): State<AppState>, ctx: Ctx, request: Request) -> Response {
    // Under pressure the form is never asked for work (it may run without JavaScript): its own
    // cost, a token stretching that waits its turn in the fixed pool of stretching workers, is
    // its slower path.
    let read = if is_multipart(&request) {
        read_report_with_files(&state, request).await
    } else {
        read_plain_form(&state, request)
            .await
            .map(|answers| (answers, Vec::new()))
    };
    let (mut answers, attachments) = match read {
        Ok(read) => read,
        Err(problem) => return problem_page(&ctx, problem, "/"),
    };
    let content = answers.digest(&attachments);
    // A form is filed only from a page this gateway issued, and once (`once`): sent again while
    // or soon after its report is filed (a double tap, a lost answer), it is shown the same
    // number; later, it is refused.
    let filing = match state.once.send(&answers.once, Form::Report, content).await {
        Ok(Sending::First(filing)) => filing,
        Ok(Sending::Filed(number)) => {
            state.intake.discard(&attachments).await;
            return submitted_page(&state, &ctx, &number);
        }
        Err(refused) => {
            state.intake.discard(&attachments).await;
            return problem_page(&ctx, mark_refused(refused), "/");
        }
    };
    // Filed apart from this request: a browser that gives up on it (a second tap aborts the
    // first) must not cut a report off half filed, with a number nobody will see. The send that
    // follows waits for this one and is shown its number.
    let today = state.today();
    let filer = state.clone();
    let filed = tokio::spawn(async move {
        let filed = filer
            .intake
            .report_from_form(answers, attachments, today)
            .await;
        match &filed {
            Ok(token) => {
                filing.filed(&token.display());
                filer.work.note_accepted();
                filer
                    .metrics
                    .report_accepted(crate::metrics::SealedOn::Server);
            }
            // A commit that could not be confirmed may be on disk: the form is not filed again.
            Err(IntakeError::Store(StoreError::Unconfirmed)) => filing.outcome_unknown(),
            Err(_) => filing.nothing_filed(),
        }
        filed
    })
    .await;
    match filed {
        Ok(Ok(token)) => submitted_page(&state, &ctx, &token.display()),
        Ok(Err(e)) => problem_page(&ctx, e.into(), "/"),
        // The filing was cut off (the gateway stopping): it may have been committed.
        Err(_) => problem_page(&ctx, StoreError::Unconfirmed.into(), "/"),
    }
}

/// The page with a report's follow-up number.
fn submitted_page(state: &AppState, ctx: &Ctx, number: &str) -> Response {
    render(
        StatusCode::OK,
        &SubmittedPage {
            t: ctx.t,
            quick_exit: &ctx.quick_exit,
            // The script only asks before leaving until the number is marked written down.
            script: true,
            switcher: false,
            strings: ctx.t.json(REPORT_SCRIPT_KEYS),
            token: number,
            ack_days: state.clocks.acknowledge_days,
        },
    )
}

/// Why a report form's one-time mark was refused, in words for the reporter.
fn mark_refused(refused: MarkError) -> Problem {
    match refused {
        MarkError::Spent => Problem::new(
            StatusCode::CONFLICT,
            "form_used",
            "This form was sent already. To send a new report, open the report page again.",
        ),
        MarkError::Expired => Problem::new(
            StatusCode::CONFLICT,
            "form_expired",
            "This form was opened more than a day ago, so nothing was sent. Go back to copy what you wrote, then open the report page again and send it from there.",
        ),
        MarkError::NotIssued => Problem::new(
            StatusCode::FORBIDDEN,
            "form_not_issued",
            "This form did not come from this site's report page, so nothing was sent. Open the report page yourself and send your report from there.",
        ),
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
                "once" => answers.once = read_text(field, MARK_CHARS).await?,
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
                name => {
                    let name = name.to_string();
                    let Some((slot, max)) = answers.field_mut(&name, limits) else {
                        return Err(unexpected_field());
                    };
                    *slot = read_text(field, 4 * max).await?;
                }
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

async fn status_page(State(state): State<AppState>, ctx: Ctx) -> Response {
    let mut keys: Vec<String> = STATUS_SCRIPT_KEYS.iter().map(|k| k.to_string()).collect();
    for status in crate::cases::Status::ALL {
        keys.push(format!("status-{}", status.code()));
    }
    for service in crate::assistance::Service::ALL {
        keys.push(format!("service-{}", service.code()));
    }
    for referral in crate::assistance::ReferralState::ALL {
        keys.push(format!("referral-{}", referral.code()));
    }
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    render(
        StatusCode::OK,
        &StatusFormPage {
            t: ctx.t,
            quick_exit: &ctx.quick_exit,
            script: true,
            switcher: true,
            strings: status_strings(ctx.t, &keys),
            max_message: state.intake.limits().max_description_chars,
            organisation_key: state.organisation_key.as_deref(),
            keyring_serial: state.keyring.current().serial(),
        },
    )
}

/// The status page's strings, with the day of receipt left as `%DATE%` for the script.
fn status_strings(t: Tr, keys: &[&str]) -> String {
    let mut map: serde_json::Value = serde_json::from_str(&t.json(keys)).unwrap_or_default();
    map["case-received-on"] = t.with("case-received-on", "date", "%DATE%").into();
    map.to_string()
}

#[derive(serde::Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct StatusForm {
    token: String,
}

async fn check_status(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Result<FormBody<StatusForm>, Problem>,
) -> Response {
    let form = match form {
        Ok(FormBody(form)) => form,
        Err(problem) => return problem_page(&ctx, problem, "/status"),
    };
    let token = match Token::parse(&form.token) {
        Ok(token) => token,
        Err(e) => return problem_page(&ctx, IntakeError::from(e).into(), "/status"),
    };
    let found = match state.intake.case_by_token(&token).await {
        Ok(found) => found,
        Err(e) => return problem_page(&ctx, Problem::from(e).checking(), "/status"),
    };
    status_of(&state, &ctx, &token, &found).await
}

async fn status_of(state: &AppState, ctx: &Ctx, token: &Token, found: &ReporterCase) -> Response {
    match state.intake.view(found).await {
        Ok(view) => {
            let limits = state.intake.limits();
            render(
                StatusCode::OK,
                &StatusPage {
                    t: ctx.t,
                    quick_exit: &ctx.quick_exit,
                    script: false,
                    switcher: false,
                    status_text: ctx.t.pick("status", view.status.code()),
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
                    once: state.once.issue(Form::Message),
                },
            )
        }
        Err(e) => problem_page(ctx, Problem::from(e).checking(), "/status"),
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
    ctx: Ctx,
    form: Result<FormBody<AnswerForm>, Problem>,
) -> Response {
    let form = match form {
        Ok(FormBody(form)) => form,
        Err(problem) => return problem_page(&ctx, problem, "/status"),
    };
    let accept = match form.answer.as_str() {
        "accept" => true,
        "decline" => false,
        _ => {
            let problem = Problem::bad_request("Choose accept or decline.");
            return problem_page(&ctx, problem, "/status");
        }
    };
    let token = match Token::parse(&form.token) {
        Ok(token) => token,
        Err(e) => return problem_page(&ctx, IntakeError::from(e).into(), "/status"),
    };
    let found = match state.intake.case_by_token(&token).await {
        Ok(found) => found,
        Err(e) => return problem_page(&ctx, e.into(), "/status"),
    };
    if let Err(e) = state
        .intake
        .answer_offer(&found, &form.offer, accept, state.today())
        .await
    {
        return problem_page(&ctx, e.into(), "/status");
    }
    status_of(&state, &ctx, &token, &found).await
}

async fn find_case(state: &AppState, typed: &str) -> Result<ReporterCase, Problem> {
    let token = Token::parse(typed).map_err(IntakeError::from)?;
    Ok(state.intake.case_by_token(&token).await?)
}

/// "Add information" from the status page: a message and files, sealed to the case's staff.
/// Like the report form, it is sent once (`once`): a double tap or a form sent again soon after
/// adds nothing more and is told it was added; later it is refused.
async fn add_message(State(state): State<AppState>, ctx: Ctx, request: Request) -> Response {
    if !is_multipart(&request) {
        return problem_page(&ctx, not_multipart(), "/status");
    }
    let mut multipart = match Multipart::from_request(request, &state).await {
        Ok(m) => m,
        Err(_) => return problem_page(&ctx, not_multipart(), "/status"),
    };
    let mut files = Vec::new();
    let read = async {
        let mut mark = None;
        let mut found: Option<(ReporterCase, Recipients)> = None;
        let mut message = Zeroizing::new(String::new());
        let max_message = 4 * state.intake.limits().max_description_chars;
        let mut seen = Vec::new();
        while let Some(field) = next_field(&mut multipart).await? {
            once(&mut seen, &field)?;
            match (field.name().unwrap_or_default(), &found) {
                ("once", None) => mark = Some(read_text(field, MARK_CHARS).await?),
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
        Ok((mark.unwrap_or_default(), case, message))
    }
    .await;
    let (mark, case, message) = match read {
        Ok(read) => read,
        Err(problem) => {
            state.intake.discard(&files).await;
            return problem_page(&ctx, problem, "/status");
        }
    };
    // A closed case's page has no form (and so no mark): say why nothing can be added.
    if case.case.status == crate::cases::Status::Closed {
        state.intake.discard(&files).await;
        return problem_page(&ctx, IntakeError::CaseClosed.into(), "/status");
    }
    let content = crate::intake::FormDigest::new()
        .field("message", &message)
        .finish(&files);
    let filing = match state.once.send(&mark, Form::Message, content).await {
        Ok(Sending::First(filing)) => filing,
        Ok(Sending::Filed(shown)) => {
            state.intake.discard(&files).await;
            return message_sent_page(&ctx, shown.parse().unwrap_or(0));
        }
        Err(MarkError::Spent) => {
            state.intake.discard(&files).await;
            let problem = Problem::new(
                StatusCode::CONFLICT,
                "message_used",
                "This information was added already. To add more, check your case again.",
            );
            return problem_page(&ctx, problem, "/status");
        }
        Err(refused) => {
            state.intake.discard(&files).await;
            return problem_page(&ctx, mark_refused(refused), "/status");
        }
    };
    // Added apart from this request, as a report is filed (`submit_report`).
    let count = files.len();
    let today = state.today();
    let adder = state.clone();
    let added = tokio::spawn(async move {
        let added = adder.intake.add_message(&case, message, files, today).await;
        match &added {
            Ok(()) => filing.filed(&count.to_string()),
            Err(IntakeError::Store(StoreError::Unconfirmed)) => filing.outcome_unknown(),
            Err(_) => filing.nothing_filed(),
        }
        added
    })
    .await;
    match added {
        Ok(Ok(())) => message_sent_page(&ctx, count),
        Ok(Err(e)) => problem_page(&ctx, e.into(), "/status"),
        // Cut off (the gateway stopping): it may have been added.
        Err(_) => problem_page(&ctx, StoreError::Unconfirmed.into(), "/status"),
    }
}

fn message_sent_page(ctx: &Ctx, files: usize) -> Response {
    render(
        StatusCode::OK,
        &MessageSentPage {
            t: ctx.t,
            quick_exit: &ctx.quick_exit,
            script: false,
            switcher: true,
            files,
        },
    )
}

/// The reporter's browser code, built from `web/` (see `web/build.sh`).
async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../../static/confide.js"),
    )
        .into_response()
}

/// For load balancers: ready when the database answers. Says nothing else.
async fn ready(State(state): State<AppState>) -> Response {
    if state.store.ready().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
    }
}

/// Quick exit and the language switcher, for pages that seal nothing.
async fn exit_script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../../static/exit.js"),
    )
        .into_response()
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

/// The friendly page for an error, with the same status code the API would give. In English
/// it says exactly what the API says; in other languages, what the error's code means.
pub fn problem_page(ctx: &Ctx, problem: Problem, back: &str) -> Response {
    let mut response = problem_page_inner(ctx, &problem, back);
    problem.mark(&mut response);
    response
}

fn problem_page_inner(ctx: &Ctx, problem: &Problem, back: &str) -> Response {
    let t = ctx.t;
    let heading = t.get(if problem.status.is_server_error() {
        "problem-title-server"
    } else {
        "problem-title"
    });
    let message = if t.code() == "en" {
        problem.message.clone()
    } else {
        let key = format!("error-{}", problem.code);
        match t.get(&key) {
            text if text == key => t.get("error-generic"),
            text => text,
        }
    };
    render(
        problem.status,
        &ProblemPage {
            t,
            quick_exit: &ctx.quick_exit,
            script: false,
            switcher: true,
            heading,
            message,
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
