//! The public listener: the reporter's pages and JSON API. No authentication, no cookies.

pub mod api;
pub mod once;
pub mod pages;
pub mod work;

use axum::Router;

use super::AppState;

pub fn router() -> Router<AppState> {
    pages::router().merge(api::router())
}
