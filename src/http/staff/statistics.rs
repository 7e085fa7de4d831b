//! Statistics for auditors over the staff listener: the same figures as `confide stats`, as
//! JSON, CSV or the HTML report. Aggregates only, small counts suppressed; the export is audited.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::{StaffMember, audit, forbidden, unprocessable};
use crate::http::AppState;
use crate::http::error::Problem;
use crate::keyring::Role;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/staff/statistics", get(statistics))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatisticsQuery {
    year: i32,
    #[serde(default)]
    format: Option<String>,
}

async fn statistics(
    State(state): State<AppState>,
    StaffMember(staff): StaffMember,
    query: Result<Query<StatisticsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    if staff.role != Role::Auditor {
        return Err(forbidden(&state, &staff, "", "Only auditors can export statistics.").await);
    }
    let Ok(Query(query)) = query else {
        return Err(Problem::bad_request(
            "Ask for ?year=YYYY, with &format=json, csv or html if you want.",
        ));
    };
    if !(2000..=9999).contains(&query.year) {
        return Err(unprocessable(
            "invalid_year",
            "The year must be from 2000 to 9999.",
        ));
    }
    let format = query.format.as_deref().unwrap_or("json");
    if !["json", "csv", "html"].contains(&format) {
        return Err(unprocessable(
            "invalid_format",
            "The format is json, csv or html.",
        ));
    }
    let facts = state.store.case_facts().await?;
    let purged = state.store.purged_counts().await?;
    let (clocks, today, year) = (state.clocks.clone(), state.today(), query.year);
    let entities = state
        .keyring
        .current()
        .entities()
        .iter()
        .map(|e| e.id.clone())
        .collect();
    // Suppression searches paths for every hidden count: off the async workers.
    let stats = tokio::task::spawn_blocking(move || {
        crate::stats::compute(
            &facts,
            &purged,
            &crate::stats::Inputs {
                year,
                today,
                clocks: &clocks,
                entities,
            },
        )
    })
    .await
    .map_err(|_| Problem::internal())?;
    state
        .store
        .record(&audit(
            &state,
            &staff,
            "statistics",
            "",
            format!("{} {format}", query.year),
        ))
        .await?;
    Ok(match format {
        "csv" => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            stats.to_csv(),
        )
            .into_response(),
        "html" => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                (
                    header::CONTENT_SECURITY_POLICY,
                    crate::stats::report::content_security_policy(),
                ),
            ],
            crate::stats::report::render(&stats),
        )
            .into_response(),
        _ => Json(stats.to_json()).into_response(),
    })
}
