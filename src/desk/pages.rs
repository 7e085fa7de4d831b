//! The desk's pages and the forms they post. Every page is drawn here, on the member's
//! machine, from what the desk opened in memory; the gateway sees only the staff API calls the
//! CLI makes too. Pages work without JavaScript (there is none).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Extension, Form, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use secrecy::SecretString;
use zeroize::Zeroizing;

use super::guard::{self, Refusal};
use super::inbox::{Content, Filter, Flag, Order};
use super::session::Unlocked;
use super::{Desk, files, roles};
use crate::i18n::{Book, Tr};
use crate::keyring::Role;
use crate::staff_api::{CaseView, Status, StatusChanged, StatusRequest};
use crate::store::day_format;

/// Forms are small: a reply or a note at most.
const FORM_LIMIT: usize = 256 * 1024;

pub fn router(desk: Arc<Desk>) -> Router {
    // Every address under the desk's random first path (see `super::at`).
    let at = |path: &str| super::to(path);
    Router::new()
        .route(&at("/launch"), get(launch))
        .route(&at("/static/desk.css"), get(stylesheet))
        .route(&at("/"), get(index))
        .route(&at("/unlock"), post(unlock))
        .route(&at("/lock"), post(lock))
        .route(&at("/sync"), post(sync))
        .route(&at("/filter"), post(filter))
        .route(&at("/cases/{id}"), get(case_page))
        .route(&at("/cases/{id}/reply"), post(reply))
        .route(&at("/cases/{id}/note"), post(note))
        .route(&at("/cases/{id}/status"), post(status))
        .route(&at("/cases/{id}/assign"), post(assign))
        .route(&at("/cases/{id}/star"), post(star))
        .route(&at("/cases/{id}/labels"), post(labels))
        .route(&at("/cases/{id}/classify"), post(classify))
        .route(&at("/cases/{id}/export"), post(export_case))
        .route(&at("/cases/{id}/notify"), post(notify))
        .route(&at("/assistance/{id}"), get(roles::assistance_case))
        .route(&at("/assistance/{id}/consent"), post(roles::consent))
        .route(&at("/assistance/{id}/refer"), post(roles::refer))
        .route(&at("/assistance/{id}/note"), post(roles::assistance_note))
        .route(
            &at("/assistance/{id}/referrals/{referral}"),
            post(roles::move_referral),
        )
        .route(&at("/notifications"), get(roles::notifications_page))
        .route(
            &at("/notifications/{id}/acknowledge"),
            post(roles::acknowledge),
        )
        .route(
            &at("/notifications/{id}/action"),
            post(roles::national_action),
        )
        .route(&at("/statistics"), get(roles::statistics))
        .route(&at("/cases/{id}/files/{envelope}"), get(files::page))
        .route(&at("/cases/{id}/files/{envelope}/image"), get(files::image))
        .route(
            &at("/cases/{id}/files/{envelope}/download"),
            post(files::download),
        )
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
        .layer(middleware::from_fn_with_state(desk.clone(), guarded))
        .with_state(desk)
}

/// The checks of [`guard`], in order, before any handler; then the desk's headers on every
/// answer. The stylesheet and the launch link are the only things served without a session.
async fn guarded(State(desk): State<Arc<Desk>>, mut request: Request, next: Next) -> Response {
    let accept = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(code) = request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("lang=")))
        && let Some(tr) = Tr::of_in(Book::Desk, code)
        && guard::host_is(request.headers(), &desk.served).is_ok()
        && session_ok(&desk, &request)
    {
        *desk.lang.lock().unwrap_or_else(|e| e.into_inner()) = Some(tr);
    }
    let t = super::language(&desk, accept.as_deref());
    let checked = guard::host_is(request.headers(), &desk.served).and_then(|()| {
        let path = request.uri().path();
        let open = path == super::to("/launch") || path == super::to("/static/desk.css");
        if open {
            return Ok(());
        }
        if !session_ok(&desk, &request) {
            return Err(Refusal::NoSession);
        }
        guard::same_origin(request.method(), request.headers(), &desk.origin)
    });
    let mut response = match checked {
        Err(refusal) => refused(t, refusal),
        Ok(()) => {
            if desk.idle_for() >= desk.idle {
                desk.lock().await;
            }
            if request.uri().path() != super::to("/static/desk.css") {
                desk.touch();
            }
            request.extensions_mut().insert(t);
            next.run(request).await
        }
    };
    let headers = response.headers_mut();
    for (name, value) in guard::page_headers() {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

fn session_ok(desk: &Desk, request: &Request) -> bool {
    let session = desk.session.lock().unwrap_or_else(|e| e.into_inner());
    match session.as_ref() {
        Some((value, _)) => guard::has_session(request.headers(), &desk.cookie, value).is_ok(),
        None => false,
    }
}

#[derive(Template)]
#[template(path = "desk/refused.html")]
struct RefusedPage {
    t: Tr,
    reason: &'static str,
}

fn refused(t: Tr, refusal: Refusal) -> Response {
    let status = match refusal {
        Refusal::WrongHost => StatusCode::MISDIRECTED_REQUEST,
        Refusal::NoSession => StatusCode::UNAUTHORIZED,
        Refusal::CrossSite => StatusCode::FORBIDDEN,
    };
    render(
        status,
        &RefusedPage {
            t,
            reason: refusal.message(),
        },
    )
}

pub(super) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a desk page failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(serde::Deserialize)]
struct LaunchQuery {
    #[serde(default)]
    secret: String,
}

/// The launch link: its secret, once, becomes this browser's session.
async fn launch(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Query(query): Query<LaunchQuery>,
) -> Response {
    let query = Zeroizing::new(query.secret);
    let spent = {
        let mut launch = desk.launch.lock().unwrap_or_else(|e| e.into_inner());
        match launch.as_ref() {
            Some(secret) if guard::same_secret(&query, secret) => launch.take().is_some(),
            _ => false,
        }
    };
    if !spent {
        return refused(t, Refusal::NoSession);
    }
    let (session, mark) = (guard::new_secret(), guard::new_secret());
    // Bound to the desk's random first path: no other page on 127.0.0.1 receives it.
    let cookie = format!(
        "{}={}; Path={}/; HttpOnly; SameSite=Strict",
        desk.cookie,
        *session,
        super::at()
    );
    *desk.session.lock().unwrap_or_else(|e| e.into_inner()) = Some((session, mark));
    let mut response = super::go("/");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/desk.css"),
    )
        .into_response()
}

/// The form fields of a post, their values wiped when dropped.
pub(super) struct Fields(Vec<(String, Zeroizing<String>)>);

impl Fields {
    fn of(form: Vec<(String, String)>) -> Fields {
        Fields(
            form.into_iter()
                .map(|(k, v)| (k, Zeroizing::new(v)))
                .collect(),
        )
    }

    pub(super) fn one(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.to_string())
            .collect()
    }

    fn take(&mut self, name: &str) -> Zeroizing<String> {
        self.0
            .iter_mut()
            .find(|(k, _)| k == name)
            .map(|(_, v)| std::mem::take(v))
            .unwrap_or_default()
    }
}

/// A posted form, checked to carry the session's form mark.
pub(super) fn marked(
    desk: &Desk,
    t: Tr,
    form: Vec<(String, String)>,
) -> Result<Fields, Box<Response>> {
    let fields = Fields::of(form);
    let expected = desk.mark();
    match !expected.is_empty() && guard::same_secret(fields.one("mark"), &expected) {
        true => Ok(fields),
        false => Err(Box::new(refused(t, Refusal::CrossSite))),
    }
}

/// What every page's frame shows.
pub(super) struct Frame {
    pub who: Option<String>,
    pub mark: String,
    pub offline: Option<String>,
}

impl Frame {
    pub(super) fn of(desk: &Desk, unlocked: Option<&Unlocked>) -> Frame {
        Frame {
            who: unlocked.and_then(|u| u.me.as_ref()).map(|me| {
                let entities = match (&me.member_state, me.entities.is_empty()) {
                    (Some(state), _) => state.clone(),
                    (None, true) => String::new(),
                    (None, false) => me.entities.join(", "),
                };
                format!("{} · {} · {entities}", me.name, me.role.code())
            }),
            mark: desk.mark(),
            offline: unlocked.and_then(|u| u.offline.clone()),
        }
    }
}

#[derive(Template)]
#[template(path = "desk/unlock.html")]
struct UnlockPage {
    t: Tr,
    who: Option<String>,
    mark: String,
    offline: Option<String>,
    problem: Option<String>,
}

fn unlock_page(desk: &Desk, t: Tr, problem: Option<String>, status: StatusCode) -> Response {
    let frame = Frame::of(desk, None);
    render(
        status,
        &UnlockPage {
            t,
            who: None,
            mark: frame.mark,
            offline: None,
            problem,
        },
    )
}

async fn unlock(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let mut fields = match marked(&desk, t, form) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let passphrase = SecretString::from(std::mem::take(&mut *fields.take("passphrase")));
    drop(fields);
    let mut unlocked = desk.unlocked.lock().await;
    if unlocked.is_some() {
        return super::go("/");
    }
    match Unlocked::open(&desk.keys, &desk.vault, passphrase).await {
        Ok(opened) => {
            *unlocked = Some(opened);
            tracing::info!("the desk is unlocked");
            super::go("/")
        }
        Err(e) => unlock_page(
            &desk,
            t,
            Some(t.with("unlock-failed", "reason", format!("{e:#}"))),
            StatusCode::UNAUTHORIZED,
        ),
    }
}

async fn lock(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(refused) = marked(&desk, t, form) {
        return *refused;
    }
    desk.lock().await;
    super::go("/")
}

async fn sync(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(refused) = marked(&desk, t, form) {
        return *refused;
    }
    let mut unlocked = desk.unlocked.lock().await;
    let Some(u) = unlocked.as_mut() else {
        return super::go("/");
    };
    match u.sync(&desk.vault).await {
        Ok(report) => {
            tracing::info!(
                cases = report.cases,
                envelopes = report.envelopes,
                fetched = report.fetched,
                forgotten = report.forgotten,
                "synced"
            );
            super::go("/?done=sync")
        }
        // The page shows why, in its offline banner.
        Err(_) => super::go("/"),
    }
}

async fn filter(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let fields = match marked(&desk, t, form) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let mut unlocked = desk.unlocked.lock().await;
    if let Some(u) = unlocked.as_mut() {
        let entity = fields.one("entity");
        u.filter = Filter {
            status: Status::from_code(fields.one("status")),
            flag: Flag::from_code(fields.one("flag")),
            entity: u
                .inbox
                .entities()
                .contains(entity)
                .then(|| entity.to_string()),
            starred: fields.one("starred") == "1",
            // Bounded: a search is a few words.
            query: Zeroizing::new(fields.one("q").chars().take(200).collect()),
            order: match fields.one("order") {
                "deadline" => Order::Deadline,
                _ => Order::Activity,
            },
        };
    }
    super::go("/")
}

#[derive(serde::Deserialize, Default)]
pub(super) struct Done {
    #[serde(default)]
    pub(super) done: String,
}

/// The sentence for a `?done=` code; anything else shows nothing.
pub(super) fn done_line(t: Tr, done: &str) -> Option<String> {
    const DONE: [&str; 7] = [
        "reply", "note", "status", "assign", "star", "labels", "sync",
    ];
    DONE.contains(&done).then(|| t.pick("done", done))
}

struct Row {
    id: String,
    short: String,
    entity: String,
    status: String,
    unseen: usize,
    unseen_line: String,
    starred: bool,
    summary: Zeroizing<String>,
    labels: String,
    flags: Vec<String>,
    shared: String,
    counts: String,
    active: String,
    deadline: Option<String>,
    late: bool,
}

#[derive(Template)]
#[template(path = "desk/inbox.html")]
struct InboxPage<'a> {
    t: Tr,
    who: Option<String>,
    mark: String,
    offline: Option<String>,
    done: Option<String>,
    filter: &'a Filter,
    by_deadline: bool,
    statuses: Vec<(String, String, bool)>,
    flags: Vec<(String, String, bool)>,
    entities: Vec<(String, bool)>,
    shown_line: String,
    rows: Vec<Row>,
}

async fn index(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Query(done): Query<Done>,
) -> Response {
    let unlocked = desk.unlocked.lock().await;
    let Some(u) = unlocked.as_ref() else {
        return unlock_page(&desk, t, None, StatusCode::OK);
    };
    // Each role's first page: case staff have an inbox; the others work no case file.
    match u.me.as_ref().map(|me| me.role) {
        Some(Role::Assistance) => return roles::assistance_list(&desk, t, u).await,
        Some(Role::MemberState) => {
            return roles::notifications(&desk, t, u, done_line(t, &done.done), None).await;
        }
        Some(Role::Auditor) => return roles::oversight(&desk, t, u).await,
        _ => {}
    }
    let frame = Frame::of(&desk, Some(u));
    let filter = &u.filter;
    let shown = u.inbox.shown(filter, &u.state.stars);
    let rows = shown
        .iter()
        .map(|c| {
            let listing = &c.listing;
            Row {
                id: c.id().to_string(),
                short: short(c.id()).to_string(),
                entity: listing.case.entity.clone(),
                status: t.pick("status", listing.case.status.code()),
                unseen: c.unseen,
                unseen_line: t.count("unseen-count", "count", c.unseen),
                starred: u.state.stars.contains(c.id()),
                summary: c.summary.clone(),
                labels: u
                    .state
                    .labels
                    .get(c.id())
                    .map(|l| l.join(", "))
                    .unwrap_or_default(),
                flags: c.flags.iter().map(|f| t.pick("flag", f.code())).collect(),
                shared: c.share_with.join(", "),
                counts: counts(t, listing.messages, listing.files),
                active: day_format::to_text(listing.last_activity_on),
                deadline: c.next_deadline().map(|d| deadline_line(t, d)),
                late: c.late(),
            }
        })
        .collect();
    let page = InboxPage {
        t,
        who: frame.who,
        mark: frame.mark,
        offline: frame.offline,
        done: done_line(t, &done.done),
        by_deadline: filter.order == Order::Deadline,
        statuses: Status::ALL
            .iter()
            .map(|s| {
                (
                    s.code().to_string(),
                    t.pick("status", s.code()),
                    filter.status == Some(*s),
                )
            })
            .collect(),
        flags: Flag::ALL
            .iter()
            .map(|f| {
                (
                    f.code().to_string(),
                    t.pick("flag", f.code()),
                    filter.flag == Some(*f),
                )
            })
            .collect(),
        entities: u
            .inbox
            .entities()
            .into_iter()
            .map(|e| (e.to_string(), filter.entity.as_deref() == Some(e)))
            .collect(),
        shown_line: t.with2(
            "inbox-shown",
            ("count", shown.len()),
            ("max", u.inbox.cases.len()),
        ),
        rows,
        filter,
    };
    render(StatusCode::OK, &page)
}

fn counts(t: Tr, messages: usize, files: usize) -> String {
    t.with2("counts", ("count", messages), ("max", files))
}

pub(super) fn deadline_line(t: Tr, d: &crate::staff_api::OverdueRow) -> String {
    let what = match &d.member_state {
        Some(state) => format!("{} ({state})", t.pick("deadline", d.due.deadline.code())),
        None => t.pick("deadline", d.due.deadline.code()),
    };
    let key = if d.due.overdue {
        "deadline-late"
    } else {
        "deadline-due"
    };
    t.with2(
        key,
        ("date", day_format::to_text(d.due.due_on)),
        ("what", what),
    )
}

pub(super) use crate::cli::staff::short;

struct TimelineRow {
    /// The envelope, for items the member can open (and so export).
    envelope: Option<String>,
    class: &'static str,
    what: String,
    when: String,
    by: Option<String>,
    text: Option<Zeroizing<String>>,
    /// (envelope id, file name, size).
    file: Option<(String, Zeroizing<String>, String)>,
    unseen: bool,
}

#[derive(Template)]
#[template(path = "desk/case.html")]
struct CasePage {
    t: Tr,
    who: Option<String>,
    mark: String,
    offline: Option<String>,
    done: Option<String>,
    problem: Option<String>,
    id: String,
    short: String,
    status: String,
    entity: String,
    received: String,
    assignees: String,
    flags: Vec<String>,
    shared: String,
    deadlines: Vec<(String, bool)>,
    classification: Option<String>,
    report: Vec<(String, Zeroizing<String>)>,
    timeline: Vec<TimelineRow>,
    online: bool,
    may_write: bool,
    next: Vec<(String, String)>,
    investigators: Vec<(String, bool)>,
    allegations: Vec<(String, String)>,
    /// Who an export may be sealed to: the member first, then the case's colleagues.
    export_to: Vec<(String, String)>,
    starred: bool,
    labels: String,
}

async fn case_page(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let mut unlocked = desk.unlocked.lock().await;
    let Some(u) = unlocked.as_mut() else {
        return unlock_page(&desk, t, None, StatusCode::OK);
    };
    let done = done_line(t, &done.done);
    case_answer(&desk, t, u, &id, done, None, StatusCode::OK).await
}

/// Draws a case's page (after an action too, with what happened), and marks what it shows as
/// seen.
async fn case_answer(
    desk: &Desk,
    t: Tr,
    u: &mut Unlocked,
    id: &str,
    done: Option<String>,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let Some(case) = u.inbox.case(id) else {
        return super::go("/");
    };
    // What only the gateway knows now (allowed next statuses, notifications, consents): asked
    // when it can be reached; the page is drawn from what the desk holds when not.
    let view: Option<CaseView> = match u.offline {
        None => u
            .client
            .json(&format!("/api/v1/staff/cases/{id}/view"))
            .await
            .ok(),
        Some(_) => None,
    };
    let me = u.me.as_ref();
    let role = me.map(|m| m.role);
    let record = view.as_ref().map(|v| &v.case).unwrap_or(&case.listing.case);
    // The signed keyring, asked once for the page: whom intake may assign, whom an export may be
    // sealed to.
    let staff = match (me, &view) {
        (Some(_), Some(_)) => u.client.trusted_staff().await.unwrap_or_default(),
        _ => Vec::new(),
    };
    let investigators = match role {
        Some(Role::Intake) => staff
            .iter()
            .filter(|s| s.role == Role::Investigator && s.entities.contains(&record.entity))
            .map(|s| (s.name.clone(), record.assignees.contains(&s.name)))
            .collect(),
        _ => Vec::new(),
    };
    let export_to = match (me, &view) {
        (Some(me), Some(_)) => {
            std::iter::once((me.name.clone(), t.with("export-me", "name", &me.name)))
                .chain(
                    staff
                        .iter()
                        .filter(|s| s.name != me.name && s.works_cases_of(&record.entity))
                        .map(|s| (s.name.clone(), s.name.clone())),
                )
                .collect()
        }
        _ => Vec::new(),
    };
    let mut timeline = timeline_of(t, case, &u.state.seen);
    if let Some(view) = &view {
        let mut events = events_of(t, view);
        events.sort_by(|a, b| a.when.cmp(&b.when));
        timeline.extend(events);
        // By day only, and stable: the items keep the order the inbox worked out (the reporter's
        // have no time), and each day's events follow them in their own order.
        timeline.sort_by(|a, b| a.when.get(..10).cmp(&b.when.get(..10)));
    }
    let page = CasePage {
        t,
        who: Frame::of(desk, Some(u)).who,
        mark: desk.mark(),
        offline: u.offline.clone(),
        done,
        problem,
        id: id.to_string(),
        short: short(id).to_string(),
        status: t.pick("status", record.status.code()),
        entity: record.entity.clone(),
        received: day_format::to_text(record.received_on),
        assignees: match record.assignees.is_empty() {
            true => t.get("case-nobody"),
            false => record.assignees.join(", "),
        },
        flags: case
            .flags
            .iter()
            .map(|f| t.pick("flag", f.code()))
            .collect(),
        shared: match case.share_with.is_empty() {
            true => "–".to_string(),
            false => case.share_with.join(", "),
        },
        deadlines: view
            .as_ref()
            .map(|v| &v.deadlines)
            .unwrap_or(&case.deadlines)
            .iter()
            .map(|d| (deadline_line(t, d), d.due.overdue))
            .collect(),
        classification: view
            .as_ref()
            .and_then(|v| v.classification.as_ref())
            .map(|c| {
                let implicated: Vec<String> = c
                    .implicated
                    .iter()
                    .map(|g| match &g.member_state {
                        Some(s) => format!("{} ({s})", g.category.code()),
                        None => g.category.code().to_string(),
                    })
                    .collect();
                format!(
                    "{}; {}; {} / {} / {}",
                    c.allegation.code(),
                    implicated.join(", "),
                    c.victims.adult,
                    c.victims.child,
                    c.victims.unknown_age
                )
            }),
        report: case.report().map(|r| report_rows(t, r)).unwrap_or_default(),
        timeline,
        online: view.is_some(),
        may_write: matches!(role, Some(Role::Intake | Role::Investigator)),
        next: view
            .as_ref()
            .map(|v| {
                v.next
                    .iter()
                    .map(|s| (s.code().to_string(), t.pick("status", s.code())))
                    .collect()
            })
            .unwrap_or_default(),
        investigators,
        export_to,
        allegations: crate::allegation::AllegationType::ALL
            .iter()
            .map(|a| (a.code().to_string(), t.pick("allegation", a.code())))
            .collect(),
        starred: u.state.stars.contains(id),
        labels: u
            .state
            .labels
            .get(id)
            .map(|l| l.join(", "))
            .unwrap_or_default(),
    };
    let response = render(status, &page);
    drop(page);
    let seen = u.inbox.see(id);
    let before = u.state.seen.len();
    u.state.seen.extend(seen);
    if u.state.seen.len() != before
        && let Err(e) = u.keep(&desk.vault)
    {
        tracing::warn!(error = %format!("{e:#}"), "the desk's state could not be kept");
    }
    response
}

fn timeline_of(
    t: Tr,
    case: &super::inbox::Case,
    seen: &std::collections::BTreeSet<String>,
) -> Vec<TimelineRow> {
    case.items
        .iter()
        .map(|item| {
            let day = day_format::to_text(item.meta.created_on);
            let mut row = TimelineRow {
                envelope: (!matches!(item.content, Content::Closed)).then(|| item.meta.id.clone()),
                class: "item",
                what: t.pick("kind", item.meta.kind.code()),
                when: day.clone(),
                by: None,
                text: None,
                file: None,
                unseen: !seen.contains(&item.meta.id),
            };
            match &item.content {
                Content::Report(_) => {
                    row.what = t.get("kind-report");
                    row.class = "report";
                }
                Content::Message(text) => {
                    row.text = Some(text.clone());
                    row.class = "reporter";
                }
                Content::Staff {
                    author, at, text, ..
                } => {
                    row.text = Some(text.clone());
                    row.class = "staff";
                    if !item.copy {
                        row.by = author.clone();
                        if let Some(at) = at {
                            row.when = at.clone();
                        }
                    }
                }
                Content::File { name, size, .. } => {
                    row.what = t.get("kind-attachment");
                    row.class = "file";
                    row.file = Some((item.meta.id.clone(), name.clone(), size_text(*size)));
                }
                Content::Closed => row.text = Some(Zeroizing::new(t.get("kind-closed"))),
            }
            if item.copy {
                row.what = format!("{} ({})", row.what, t.get("kind-assignment"));
                row.by = Some(t.get("copy-hint"));
            }
            row
        })
        .collect()
}

/// What the gateway records of the case besides envelopes, as timeline rows.
fn events_of(t: Tr, view: &CaseView) -> Vec<TimelineRow> {
    let event = |when: &str, what: String| TimelineRow {
        envelope: None,
        class: "event",
        what,
        when: when.to_string(),
        by: None,
        text: None,
        file: None,
        unseen: false,
    };
    let mut rows = Vec::new();
    // The gateway keeps the time of each step the UN's clocks count from, and of the last
    // change: each is shown as the status it began (the last one as the status now).
    let case = &view.case;
    let steps = [
        (&case.acknowledged_at, Status::Acknowledged),
        (&case.investigation_started_at, Status::UnderInvestigation),
        (&case.closed_at, Status::Closed),
    ];
    for (at, status) in steps {
        if let Some(at) = at
            && case.status_changed_at.as_ref() != Some(at)
        {
            rows.push(event(
                at,
                t.with("event-step", "what", t.pick("status", status.code())),
            ));
        }
    }
    if let Some(at) = &case.status_changed_at {
        rows.push(event(
            at,
            t.with("event-status", "what", t.pick("status", case.status.code())),
        ));
    }
    for n in &view.notifications {
        rows.push(event(
            &n.notified_at,
            t.with("event-notified", "what", &n.member_state),
        ));
        if let Some(at) = &n.acknowledged_at {
            rows.push(event(
                at,
                t.with("event-acknowledged", "what", &n.member_state),
            ));
        }
        for a in &n.actions {
            rows.push(event(
                &a.recorded_at,
                format!("{}: {}", t.get("kind-national_action"), a.action.code()),
            ));
        }
    }
    for c in &view.consents {
        let key = if c.given {
            "event-consent-given"
        } else {
            "event-consent-refused"
        };
        rows.push(event(
            &day_format::to_text(c.recorded_on),
            t.with(
                key,
                "what",
                format!("{} → {}", c.purpose.code(), c.audience.code()),
            ),
        ));
    }
    rows
}

fn report_rows(t: Tr, r: &super::inbox::Report) -> Vec<(String, Zeroizing<String>)> {
    let when = [&r.when.known, &r.when.date, &r.when.words]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" · ");
    let who = [
        &r.perpetrator.category,
        &r.perpetrator.nationality,
        &r.perpetrator.unit,
        &r.perpetrator.description,
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .map(|s| s.as_str())
    .collect::<Vec<_>>()
    .join(" · ");
    [
        ("report-submitted", r.submitted_on.clone()),
        ("report-reporter", r.reporter.clone()),
        ("report-description", r.description.clone()),
        ("report-when", when),
        ("report-place", r.place.clone()),
        ("report-perpetrator", who),
        ("report-child", r.child_involved.clone()),
        ("report-safe", r.safe_now.clone()),
        ("report-needs", r.needs.join(", ")),
        ("report-contact", r.contact.allowed.clone()),
        ("report-contact-how", r.contact.how.clone()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| (t.get(k), Zeroizing::new(v)))
    .collect()
}

pub(super) use crate::cli::case_view::size as size_text;

/// An action on a case: the form checked, the case one of the member's, the desk unlocked and
/// online; afterwards a sync brings back what was sent, and the case page says what happened
/// (or what went wrong, and changes nothing).
macro_rules! case_action {
    ($desk:ident, $t:ident, $id:ident, $form:ident, |$u:ident, $fields:ident| $body:expr) => {{
        let $fields = match marked(&$desk, $t, $form) {
            Ok(fields) => fields,
            Err(refused) => return *refused,
        };
        let mut unlocked = $desk.unlocked.lock().await;
        let Some($u) = unlocked.as_mut() else {
            return super::go("/");
        };
        if $u.inbox.case(&$id).is_none() {
            return super::go("/");
        }
        let result: anyhow::Result<&'static str> = $body;
        match result {
            Ok(done) => {
                let _ = $u.sync(&$desk.vault).await;
                super::go(&format!("/cases/{}?done={done}", $id))
            }
            Err(e) => {
                case_answer(
                    &$desk,
                    $t,
                    $u,
                    &$id,
                    None,
                    Some(format!("{e:#}")),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        }
    }};
}

fn written(t: Tr, fields: &Fields) -> anyhow::Result<Zeroizing<String>> {
    let text = Zeroizing::new(fields.one("text").to_string());
    if text.trim().is_empty() {
        anyhow::bail!(t.get("problem-empty"));
    }
    Ok(text)
}

async fn reply(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    case_action!(desk, t, id, form, |u, fields| async {
        let text = written(t, &fields)?;
        crate::cli::staff::reply(&u.client, &id, &text).await?;
        Ok("reply")
    }
    .await)
}

async fn note(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    case_action!(desk, t, id, form, |u, fields| async {
        let text = written(t, &fields)?;
        crate::cli::staff::internal_note(&u.client, &id, &text).await?;
        Ok("note")
    }
    .await)
}

async fn status(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    case_action!(desk, t, id, form, |u, fields| async {
        let status = Status::from_code(fields.one("status"))
            .ok_or_else(|| anyhow::anyhow!("choose one of the statuses offered"))?;
        u.client
            .post::<StatusChanged>(
                &format!("/api/v1/staff/cases/{id}/status"),
                &StatusRequest { status },
            )
            .await?;
        Ok("status")
    }
    .await)
}

async fn assign(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    case_action!(desk, t, id, form, |u, fields| async {
        let to = fields.all("to");
        crate::cli::staff::assign(&u.client, &id, &to, &u.identities).await?;
        Ok("assign")
    }
    .await)
}

async fn classify(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    case_action!(desk, t, id, form, |u, fields| async {
        let count = |name: &str| -> anyhow::Result<u32> {
            match fields.one(name).trim() {
                "" => Ok(0),
                n => n.parse::<u32>().ok().filter(|n| *n <= 1000).ok_or_else(|| {
                    anyhow::anyhow!("the numbers of victims are whole numbers from 0 to 1000")
                }),
            }
        };
        let command = crate::cli::casework::CaseworkCommand::Classify {
            case: id.clone(),
            allegation: fields.one("allegation").to_string(),
            implicated: fields
                .one("implicated")
                .split(',')
                .map(|g| g.trim().to_string())
                .filter(|g| !g.is_empty())
                .take(20)
                .collect(),
            adults: count("adults")?,
            children: count("children")?,
            unknown_age: count("unknown_age")?,
        };
        roles::casework(u, command).await?;
        Ok("classify")
    }
    .await)
}

async fn notify(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    case_action!(desk, t, id, form, |u, fields| async {
        let text = written(t, &fields)?;
        let command = crate::cli::casework::CaseworkCommand::Notify {
            case: id.clone(),
            member_state: fields.one("member_state").trim().to_string(),
            message: Some(text.to_string()),
            file: None,
            identity_shared: fields.one("identity_shared") == "1",
        };
        roles::casework(u, command).await?;
        Ok("notify")
    }
    .await)
}

/// An evidence export: the chosen items (all the member can open, if none is chosen) sealed
/// to the chosen member, recorded in the gateway's audit chain before the file is given.
async fn export_case(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let fields = match marked(&desk, t, form) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let mut unlocked = desk.unlocked.lock().await;
    let Some(u) = unlocked.as_mut() else {
        return super::go("/");
    };
    match exported(&desk, u, &id, &fields).await {
        Ok(Some(sealed)) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"case-{}-evidence.tar.age\"",
                        short(&id)
                    ),
                ),
                (
                    header::CONTENT_SECURITY_POLICY,
                    guard::DOWNLOAD_POLICY.to_string(),
                ),
            ],
            sealed.file,
        )
            .into_response(),
        Ok(None) => super::go("/"),
        Err(e) => {
            case_answer(
                &desk,
                t,
                u,
                &id,
                None,
                Some(format!("{e:#}")),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn exported(
    desk: &Desk,
    u: &Unlocked,
    id: &str,
    fields: &Fields,
) -> anyhow::Result<Option<super::export::Sealed>> {
    let Some(case) = u.inbox.case(id) else {
        return Ok(None);
    };
    let me =
        u.me.as_ref()
            .ok_or_else(|| anyhow::anyhow!("the gateway must be reachable to record an export"))?;
    let chosen = fields.all("item");
    let to_name = fields.one("to");
    let to = u
        .client
        .trusted_staff()
        .await?
        .into_iter()
        .find(|s| {
            s.name == to_name && (s.name == me.name || s.works_cases_of(&case.listing.case.entity))
        })
        .ok_or_else(|| anyhow::anyhow!("choose who the export is sealed to from the list"))?;
    let recipient: age::x25519::Recipient = to
        .recipient
        .parse()
        .map_err(|_| anyhow::anyhow!("the recipient's key in the keyring is not valid"))?;
    let mut kept = Vec::new();
    for item in &case.items {
        if matches!(item.content, Content::Closed)
            || (!chosen.is_empty() && !chosen.contains(&item.meta.id))
        {
            continue;
        }
        if let Some(sealed) = desk.vault.envelope(&item.meta.id)? {
            kept.push((&item.meta, sealed));
        }
    }
    let mut items = Vec::with_capacity(kept.len());
    for (meta, sealed) in &kept {
        if let Some(plain) = crate::cli::open_envelope(sealed, &u.identities)? {
            items.push(super::export::Item {
                meta,
                plain,
                sealed,
            });
        }
    }
    if items.is_empty() {
        anyhow::bail!("choose at least one item you can open");
    }
    let count = u32::try_from(items.len()).unwrap_or(u32::MAX);
    let at = crate::cli::conversation::now();
    let sealed = super::export::export(id, items, &me.name, &at, (&to.name, &recipient))?;
    u.client
        .post::<crate::staff_api::ExportRecorded>(
            &format!("/api/v1/staff/cases/{id}/exports"),
            &crate::staff_api::ExportRequest {
                recipient: to.name.clone(),
                items: count,
                sha256: sealed.sha256.clone(),
            },
        )
        .await
        .map_err(|e| e.context("the export was not given: the gateway did not record it"))?;
    Ok(Some(sealed))
}

/// Stars and labels are the member's own: kept sealed to them in the desk's folder, never sent.
async fn star(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    mine(desk, t, id, form, |state, id, _| {
        if !state.stars.remove(id) {
            state.stars.insert(id.to_string());
        }
        "star"
    })
    .await
}

async fn labels(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    mine(desk, t, id, form, |state, id, fields| {
        let labels: Vec<String> = fields
            .one("labels")
            .split(',')
            .map(|l| l.trim().chars().take(40).collect::<String>())
            .filter(|l| !l.is_empty())
            .take(12)
            .collect();
        match labels.is_empty() {
            true => state.labels.remove(id),
            false => state.labels.insert(id.to_string(), labels),
        };
        "labels"
    })
    .await
}

async fn mine(
    desk: Arc<Desk>,
    t: Tr,
    id: String,
    form: Vec<(String, String)>,
    change: impl FnOnce(&mut super::vault::DeskState, &str, &Fields) -> &'static str,
) -> Response {
    let fields = match marked(&desk, t, form) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let mut unlocked = desk.unlocked.lock().await;
    let Some(u) = unlocked.as_mut() else {
        return super::go("/");
    };
    if u.inbox.case(&id).is_none() {
        return super::go("/");
    }
    let done = change(&mut u.state, &id, &fields);
    match u.keep(&desk.vault) {
        Ok(()) => super::go(&format!("/cases/{id}?done={done}")),
        Err(e) => {
            case_answer(
                &desk,
                t,
                u,
                &id,
                None,
                Some(format!("{e:#}")),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
            .await
        }
    }
}
