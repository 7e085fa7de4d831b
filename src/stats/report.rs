//! The statistics as one self-contained HTML page for headquarters: tables and bar charts
//! drawn in inline SVG, no script, no font, nothing fetched. Its only style block is a constant
//! whose hash goes into the page's Content-Security-Policy, so nothing else can style it.

use askama::Template;
use base64::Engine;

use super::suppress::Shown;
use super::{Statistics, Table};

/// The page's whole style sheet.
pub const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;max-width:62rem;margin:1.5rem auto;padding:0 1rem;color:#1b1b1b}\
table{border-collapse:collapse;margin:.5rem 0 1rem;font-variant-numeric:tabular-nums}\
th,td{border:1px solid #999;padding:.25rem .5rem;text-align:right}th:first-child,td:first-child{text-align:left}\
thead th,tr.total td{background:#eef1f5;font-weight:600}\
.scroll{overflow-x:auto}.note{color:#444;font-size:.9rem}.withheld{color:#8a1c1c}\
svg text{font:12px system-ui,sans-serif;fill:#1b1b1b}svg rect.bar{fill:#1f5d99}";

/// The Content-Security-Policy the page needs: its own style block and nothing else.
pub fn content_security_policy() -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, STYLE.as_bytes());
    format!(
        "default-src 'none'; style-src 'sha256-{}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

#[derive(Template)]
#[template(path = "statistics.html")]
struct Page<'a> {
    style: &'static str,
    stats: &'a Statistics,
    tables: Vec<TableView<'a>>,
}

struct TableView<'a> {
    table: &'a Table,
    /// Rows of texts: label, cells, row total.
    body: Vec<Vec<String>>,
    /// Column totals, then the grand total.
    totals: Vec<String>,
    chart: Chart,
}

/// A horizontal bar chart of a table's column totals. Suppressed totals draw no bar.
struct Chart {
    height: usize,
    bars: Vec<Bar>,
}

struct Bar {
    y: usize,
    label: String,
    width: u64,
    value: String,
}

const BAR_HEIGHT: usize = 18;
const BAR_MAX_WIDTH: u64 = 420;

/// Renders the report.
pub fn render(stats: &Statistics) -> String {
    let tables = stats.tables.iter().map(view).collect();
    let page = Page {
        style: STYLE,
        stats,
        tables,
    };
    page.render()
        .unwrap_or_else(|_| "<!doctype html><p>The report could not be drawn.</p>".into())
}

fn view(table: &Table) -> TableView<'_> {
    let Some(published) = &table.published else {
        return TableView {
            table,
            body: Vec::new(),
            totals: Vec::new(),
            chart: Chart {
                height: 0,
                bars: Vec::new(),
            },
        };
    };
    let body = table
        .rows
        .iter()
        .zip(&published.cells)
        .zip(&published.row_totals)
        .map(|((label, cells), total)| {
            std::iter::once(label.clone())
                .chain(cells.iter().map(|c| c.text()))
                .chain([total.text()])
                .collect()
        })
        .collect();
    let totals = published
        .column_totals
        .iter()
        .map(|c| c.text())
        .chain([published.total.text()])
        .collect();
    let largest = published
        .column_totals
        .iter()
        .filter_map(|c| match c {
            Shown::Count(n) => Some(*n),
            _ => None,
        })
        .max()
        .unwrap_or(0)
        .max(1);
    let bars = table
        .columns
        .iter()
        .zip(&published.column_totals)
        .enumerate()
        .map(|(i, (label, shown))| Bar {
            y: i * (BAR_HEIGHT + 4),
            label: label.clone(),
            width: match shown {
                Shown::Count(n) => n * BAR_MAX_WIDTH / largest,
                _ => 0,
            },
            value: shown.text(),
        })
        .collect::<Vec<_>>();
    TableView {
        table,
        body,
        totals,
        chart: Chart {
            height: bars.len() * (BAR_HEIGHT + 4),
            bars,
        },
    }
}
