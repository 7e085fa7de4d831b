//! The desk of the members who work no case file: assistance officers (consents, referrals,
//! their notes), Member State focal points (their notifications, acknowledgement, national
//! action) and auditors (the audit chain checked here, the overdue list, the statistics).
//! These pages ask the gateway each time (they need it online); what is sealed in them is
//! opened here, in memory. Every action is the CLI's own command, so both check and seal the
//! same way.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use zeroize::Zeroizing;

use super::Desk;
use super::pages::{Done, Frame, done_line, marked, render, short};
use super::session::Unlocked;
use crate::assistance::{Audience, ConsentPurpose, ReferralState, Service};
use crate::cli::casework::CaseworkCommand;
use crate::i18n::Tr;
use crate::notification::NationalAction;
use crate::staff_api::{AssistanceCase, CaseAssistance, NotificationRecord, OverdueRow};
use crate::store::{day_format, is_valid_id};

/// Runs one of the CLI's casework commands for the desk (none of them needs to open a file).
pub(super) async fn casework(u: &Unlocked, command: CaseworkCommand) -> anyhow::Result<()> {
    crate::cli::casework::run(&u.client, &command, None, || {
        anyhow::bail!("this action opens no envelope")
    })
    .await
}

/// The text of a staff document sealed to the member, opened in memory.
async fn opened_text(u: &Unlocked, envelope: &str) -> Option<(Option<String>, Zeroizing<String>)> {
    if !is_valid_id(envelope) {
        return None;
    }
    let body = u
        .client
        .bytes(&format!("/api/v1/staff/envelopes/{envelope}"))
        .await
        .ok()?;
    let plain = crate::cli::open_envelope(&body, &u.identities).ok()??;
    let read = crate::cli::conversation::read(&plain, &u.identities)?;
    let when = read.document.at.clone();
    let by = match (read.author, when) {
        (Some(a), Some(w)) => Some(format!("{w} · {a}")),
        (a, w) => a.or(w),
    };
    Some((by, Zeroizing::new(read.document.text)))
}

/// The options of a closed vocabulary: (code, its words).
fn choices(
    t: Tr,
    prefix: &str,
    codes: impl Iterator<Item = &'static str>,
) -> Vec<(String, String)> {
    codes
        .map(|code| (code.to_string(), t.pick(prefix, code)))
        .collect()
}

#[derive(Template)]
#[template(path = "desk/assistance.html")]
struct AssistancePage {
    t: Tr,
    who: Option<String>,
    mark: String,
    offline: Option<String>,
    rows: Vec<(String, String, String, String, String, usize)>,
}

pub(super) async fn assistance_list(desk: &Desk, t: Tr, u: &Unlocked) -> Response {
    let frame = Frame::of(desk, Some(u));
    let cases: Vec<AssistanceCase> = u
        .client
        .json("/api/v1/staff/assistance")
        .await
        .unwrap_or_default();
    let page = AssistancePage {
        t,
        who: frame.who,
        mark: frame.mark,
        offline: frame.offline,
        rows: cases
            .into_iter()
            .filter(|c| is_valid_id(&c.id))
            .map(|c| {
                // Linked by its first digits: the page finds the case again among the
                // member's own.
                let id = short(&c.id).to_string();
                (
                    id.clone(),
                    id,
                    c.entity,
                    t.pick("status", c.status.code()),
                    day_format::to_text(c.received_on),
                    c.open_referrals,
                )
            })
            .collect(),
    };
    render(StatusCode::OK, &page)
}

struct ReferralRow {
    id: String,
    service: String,
    provider: String,
    state: String,
}

#[derive(Template)]
#[template(path = "desk/assistance_case.html")]
struct AssistanceCasePage {
    t: Tr,
    who: Option<String>,
    mark: String,
    offline: Option<String>,
    done: Option<String>,
    problem: Option<String>,
    id: String,
    short: String,
    consents: Vec<String>,
    referrals: Vec<ReferralRow>,
    states: Vec<(String, String)>,
    notes: Vec<(String, Zeroizing<String>)>,
    purposes: Vec<(String, String)>,
    audiences: Vec<(String, String)>,
    services: Vec<(String, String)>,
}

/// The full id of an assistance case from the short one the list links to.
async fn assistance_case_id(u: &Unlocked, given: &str) -> Option<String> {
    let cases: Vec<AssistanceCase> = u.client.json("/api/v1/staff/assistance").await.ok()?;
    let mut matching = cases
        .into_iter()
        .filter(|c| c.id.starts_with(given) && given.len() >= 8);
    let one = matching.next()?;
    matching.next().is_none().then_some(one.id)
}

pub(super) async fn assistance_case(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(given): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let unlocked = desk.unlocked.lock().await;
    let Some(u) = unlocked.as_ref() else {
        return super::go("/");
    };
    assistance_answer(&desk, t, u, &given, done_line(t, &done.done), None).await
}

async fn assistance_answer(
    desk: &Desk,
    t: Tr,
    u: &Unlocked,
    given: &str,
    done: Option<String>,
    problem: Option<String>,
) -> Response {
    let Some(id) = assistance_case_id(u, given).await else {
        return super::go("/");
    };
    let Ok(answer) = u
        .client
        .json::<CaseAssistance>(&format!("/api/v1/staff/cases/{id}/assistance"))
        .await
    else {
        return super::go("/");
    };
    let mut notes = Vec::new();
    for note in answer.notes.iter().flatten() {
        if let Some((by, text)) = opened_text(u, &note.id).await {
            notes.push((
                by.unwrap_or_else(|| day_format::to_text(note.created_on)),
                text,
            ));
        }
    }
    let frame = Frame::of(desk, Some(u));
    let page = AssistanceCasePage {
        t,
        who: frame.who,
        mark: frame.mark,
        offline: frame.offline,
        done,
        problem,
        short: short(&id).to_string(),
        consents: answer
            .consents
            .iter()
            .map(|c| {
                let key = if c.given {
                    "event-consent-given"
                } else {
                    "event-consent-refused"
                };
                format!(
                    "{}: {}",
                    day_format::to_text(c.recorded_on),
                    t.with(
                        key,
                        "what",
                        format!(
                            "{} → {}",
                            t.pick("purpose", c.purpose.code()),
                            t.pick("audience", c.audience.code())
                        )
                    )
                )
            })
            .collect(),
        referrals: answer
            .referrals
            .iter()
            .flatten()
            .filter(|r| is_valid_id(&r.id))
            .map(|r| ReferralRow {
                id: r.id.clone(),
                service: t.pick("service", r.service.code()),
                provider: r.provider.clone(),
                state: t.pick("referral", r.state.code()),
            })
            .collect(),
        states: choices(t, "referral", ReferralState::ALL.iter().map(|v| v.code())),
        notes,
        purposes: choices(t, "purpose", ConsentPurpose::ALL.iter().map(|v| v.code())),
        audiences: choices(t, "audience", Audience::ALL.iter().map(|v| v.code())),
        services: choices(t, "service", Service::ALL.iter().map(|v| v.code())),
        id: short(&id).to_string(),
    };
    let status = match page.problem {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    render(status, &page)
}

/// Makes the casework command a form asks for and runs it; what was done, for the page after.
async fn run_made(
    u: &Unlocked,
    id: String,
    fields: &super::pages::Fields,
    make: impl FnOnce(String, &super::pages::Fields) -> anyhow::Result<(CaseworkCommand, &'static str)>,
) -> anyhow::Result<&'static str> {
    let (command, done) = make(id, fields)?;
    casework(u, command).await?;
    Ok(done)
}

/// An assistance action: the form checked, the case one of the member's entities'.
async fn assistance_action(
    desk: Arc<Desk>,
    t: Tr,
    given: String,
    form: Vec<(String, String)>,
    make: impl FnOnce(String, &super::pages::Fields) -> anyhow::Result<(CaseworkCommand, &'static str)>,
) -> Response {
    let fields = match marked(&desk, t, form) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let unlocked = desk.unlocked.lock().await;
    let Some(u) = unlocked.as_ref() else {
        return super::go("/");
    };
    let Some(id) = assistance_case_id(u, &given).await else {
        return super::go("/");
    };
    match run_made(u, id, &fields, make).await {
        Ok(done) => super::go(&format!("/assistance/{given}?done={done}")),
        Err(e) => assistance_answer(&desk, t, u, &given, None, Some(format!("{e:#}"))).await,
    }
}

fn code<T: crate::codes::Coded>(text: &str) -> anyhow::Result<T> {
    T::from_code(text).ok_or_else(|| anyhow::anyhow!("choose one of the values offered"))
}

pub(super) async fn consent(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(given): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    assistance_action(desk, t, given, form, |case, f| {
        Ok((
            CaseworkCommand::Consent {
                case,
                purpose: code(f.one("purpose"))?,
                audience: code(f.one("audience"))?,
                refused: f.one("given") == "no",
            },
            "consent",
        ))
    })
    .await
}

pub(super) async fn refer(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(given): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    assistance_action(desk, t, given, form, |case, f| {
        Ok((
            CaseworkCommand::Refer {
                case,
                service: code(f.one("service"))?,
                provider: f.one("provider").trim().to_string(),
            },
            "refer",
        ))
    })
    .await
}

pub(super) async fn move_referral(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path((given, referral)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    assistance_action(desk, t, given, form, |_, f| {
        Ok((
            CaseworkCommand::Referral {
                referral,
                state: code(f.one("state"))?,
            },
            "move",
        ))
    })
    .await
}

pub(super) async fn assistance_note(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(given): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    assistance_action(desk, t, given, form, |case, f| {
        let text = f.one("text");
        if text.trim().is_empty() {
            anyhow::bail!(t.get("problem-empty"));
        }
        Ok((
            CaseworkCommand::Note {
                case,
                message: Some(text.to_string()),
                file: None,
            },
            "assistance_note",
        ))
    })
    .await
}

struct NotificationRow {
    id: String,
    title: String,
    acknowledged: String,
    is_acknowledged: bool,
    text: Option<Zeroizing<String>>,
    actions: Vec<String>,
}

#[derive(Template)]
#[template(path = "desk/notifications.html")]
struct NotificationsPage {
    t: Tr,
    who: Option<String>,
    mark: String,
    offline: Option<String>,
    done: Option<String>,
    problem: Option<String>,
    rows: Vec<NotificationRow>,
    actions: Vec<(String, String)>,
}

pub(super) async fn notifications(
    desk: &Desk,
    t: Tr,
    u: &Unlocked,
    done: Option<String>,
    problem: Option<String>,
) -> Response {
    let list: Vec<NotificationRecord> = u
        .client
        .json("/api/v1/staff/notifications")
        .await
        .unwrap_or_default();
    let mut rows = Vec::new();
    for n in list.into_iter().filter(|n| is_valid_id(&n.id)) {
        let day = |at: &str| at.get(..10).unwrap_or(at).to_string();
        rows.push(NotificationRow {
            title: t.with2(
                "notification-of",
                ("case", short(&n.case_id).to_string()),
                ("date", day(&n.notified_at)),
            ),
            acknowledged: match &n.acknowledged_at {
                Some(at) => t.with("notification-acknowledged", "date", day(at)),
                None => t.get("notification-not-acknowledged"),
            },
            is_acknowledged: n.acknowledged_at.is_some(),
            text: opened_text(u, &n.envelope_id).await.map(|(_, text)| text),
            actions: n
                .actions
                .iter()
                .map(|a| {
                    format!(
                        "{}: {}",
                        day(&a.recorded_at),
                        t.pick("action", a.action.code())
                    )
                })
                .collect(),
            id: n.id,
        });
    }
    let frame = Frame::of(desk, Some(u));
    let status = match problem {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    render(
        status,
        &NotificationsPage {
            t,
            who: frame.who,
            mark: frame.mark,
            offline: frame.offline,
            done,
            problem,
            rows,
            actions: choices(t, "action", NationalAction::ALL.iter().map(|v| v.code())),
        },
    )
}

pub(super) async fn notifications_page(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Query(done): Query<Done>,
) -> Response {
    let unlocked = desk.unlocked.lock().await;
    let Some(u) = unlocked.as_ref() else {
        return super::go("/");
    };
    notifications(&desk, t, u, done_line(t, &done.done), None).await
}

async fn notification_action(
    desk: Arc<Desk>,
    t: Tr,
    id: String,
    form: Vec<(String, String)>,
    make: impl FnOnce(String, &super::pages::Fields) -> anyhow::Result<(CaseworkCommand, &'static str)>,
) -> Response {
    let fields = match marked(&desk, t, form) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let unlocked = desk.unlocked.lock().await;
    let Some(u) = unlocked.as_ref() else {
        return super::go("/");
    };
    if !is_valid_id(&id) {
        return super::go("/notifications");
    }
    match run_made(u, id, &fields, make).await {
        Ok(done) => super::go(&format!("/notifications?done={done}")),
        Err(e) => notifications(&desk, t, u, None, Some(format!("{e:#}"))).await,
    }
}

pub(super) async fn acknowledge(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    notification_action(desk, t, id, form, |notification, _| {
        Ok((CaseworkCommand::Acknowledge { notification }, "acknowledge"))
    })
    .await
}

pub(super) async fn national_action(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    notification_action(desk, t, id, form, |notification, f| {
        let text = f.one("text").trim();
        Ok((
            CaseworkCommand::NationalAction {
                notification,
                action: code(f.one("action"))?,
                message: (!text.is_empty()).then(|| text.to_string()),
                file: None,
            },
            "action",
        ))
    })
    .await
}

#[derive(Template)]
#[template(path = "desk/oversight.html")]
struct OversightPage {
    t: Tr,
    who: Option<String>,
    mark: String,
    offline: Option<String>,
    audit: String,
    audit_ok: bool,
    overdue: Vec<(String, String, String, String, bool)>,
    year: i32,
}

pub(super) async fn oversight(desk: &Desk, t: Tr, u: &Unlocked) -> Response {
    let (audit, audit_ok) = match u
        .client
        .json::<Vec<crate::audit::AuditRecord>>("/api/v1/staff/audit")
        .await
        .and_then(|records| Ok(crate::audit::verify(records)?))
    {
        Ok(count) => (t.count("oversight-audit-intact", "count", count), true),
        Err(e) => (
            t.with("oversight-audit-broken", "reason", format!("{e:#}")),
            false,
        ),
    };
    let overdue: Vec<OverdueRow> = u
        .client
        .json("/api/v1/staff/overdue")
        .await
        .unwrap_or_default();
    let frame = Frame::of(desk, Some(u));
    render(
        StatusCode::OK,
        &OversightPage {
            t,
            who: frame.who,
            mark: frame.mark,
            offline: frame.offline,
            audit,
            audit_ok,
            overdue: overdue
                .iter()
                .map(|o| {
                    (
                        short(&o.case_id).to_string(),
                        o.entity.clone(),
                        t.pick("status", o.status.code()),
                        super::pages::deadline_line(t, o),
                        o.due.overdue,
                    )
                })
                .collect(),
            year: time::OffsetDateTime::now_utc().year(),
        },
    )
}

#[derive(serde::Deserialize)]
pub(super) struct Year {
    year: i32,
}

/// The statistics report, as the gateway renders it (aggregates only, small counts
/// suppressed), shown under a sandbox: whatever the gateway put in it runs nothing and reaches
/// nothing of the desk.
pub(super) async fn statistics(
    State(desk): State<Arc<Desk>>,
    Query(year): Query<Year>,
) -> Response {
    let unlocked = desk.unlocked.lock().await;
    let Some(u) = unlocked.as_ref() else {
        return super::go("/");
    };
    if !(2000..=9999).contains(&year.year) {
        return StatusCode::UNPROCESSABLE_ENTITY.into_response();
    }
    match u
        .client
        .bytes(&format!(
            "/api/v1/staff/statistics?year={}&format=html",
            year.year
        ))
        .await
    {
        Ok(html) => {
            let mut response = (StatusCode::OK, html).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; sandbox",
                ),
            );
            response
        }
        Err(e) => (StatusCode::BAD_GATEWAY, format!("{e:#}")).into_response(),
    }
}
