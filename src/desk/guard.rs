//! What every request to the desk must pass before anything else runs: the desk listens on a
//! loopback address of the staff member's own machine, yet any page their browser opens (any
//! site, any tab) can make that browser send requests to it. So:
//!
//! - the `Host` must be exactly the address served: a name that an attacker's DNS points at
//!   127.0.0.1 (DNS rebinding) is refused before a cookie is looked at;
//! - a session exists only after the one-time launch secret printed in the terminal came back
//!   once; it is a random cookie, `HttpOnly` and `SameSite=Strict`, compared in constant time;
//! - a state change (every POST) must come from the desk's own pages: the browser's `Origin`
//!   (or, where a browser sends none, `Sec-Fetch-Site`) says same origin, and the form carries
//!   the session's form mark.
//!
//! Pure functions of the request's headers, so that each refusal is tested on its own.

use axum::http::{HeaderMap, Method, header};
use subtle::ConstantTimeEq;

/// The name of the session cookie. It carries the port, so that two desks on one machine (two
/// profiles) do not overwrite each other's session.
pub fn cookie_name(port: u16) -> String {
    format!("confide_desk_{port}")
}

/// Why a request was refused, in the words the page shows.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The Host is not the loopback address served.
    WrongHost,
    /// No session: the launch link was not opened in this browser, or the desk was restarted.
    NoSession,
    /// A state change from another site, or without the page's form mark.
    CrossSite,
}

impl Refusal {
    /// The message key of the refusal page.
    pub fn message(&self) -> &'static str {
        match self {
            Refusal::WrongHost => "refused-host",
            Refusal::NoSession => "refused-session",
            Refusal::CrossSite => "refused-cross-site",
        }
    }
}

/// The `Host` of the request is exactly `served` (`127.0.0.1:PORT`).
pub fn host_is(headers: &HeaderMap, served: &str) -> Result<(), Refusal> {
    match headers.get(header::HOST).map(|h| h.as_bytes()) {
        Some(host) if host == served.as_bytes() => Ok(()),
        _ => Err(Refusal::WrongHost),
    }
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The request carries the session `expected`.
pub fn has_session(headers: &HeaderMap, name: &str, expected: &str) -> Result<(), Refusal> {
    match session_cookie(headers, name) {
        Some(given) if same_secret(given, expected) => Ok(()),
        _ => Err(Refusal::NoSession),
    }
}

/// Whether a POST comes from the desk's own pages (`origin`, `http://127.0.0.1:PORT`). Browsers
/// send `Origin` with every POST, but as `null` when the page's referrer policy withholds it
/// (and from opaque origins: a `data:` page, a sandboxed frame); `Sec-Fetch-Site`, which no
/// policy hides, decides then. A request with neither is refused: the desk is used from a
/// browser only.
pub fn same_origin(method: &Method, headers: &HeaderMap, origin: &str) -> Result<(), Refusal> {
    if matches!(*method, Method::GET | Method::HEAD) {
        return Ok(());
    }
    match headers.get(header::ORIGIN).map(|v| v.as_bytes()) {
        Some(b"null") | None => {}
        Some(given) if given == origin.as_bytes() => return Ok(()),
        Some(_) => return Err(Refusal::CrossSite),
    }
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        Some(b"same-origin") => Ok(()),
        _ => Err(Refusal::CrossSite),
    }
}

/// Two secrets compared in constant time (their lengths are not secret: both are fixed).
pub fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// A new random secret: 32 bytes, URL-safe base64.
pub fn new_secret() -> zeroize::Zeroizing<String> {
    use base64::Engine;
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), bytes.as_mut())
        .expect("the system's random source works");
    zeroize::Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(*bytes))
}

/// The headers every answer of the desk carries: nothing is loaded from anywhere but the desk,
/// no script runs (the desk has none), no page may frame it, nothing is cached (a cached page of a
/// case would be a readable copy on disk), and no address leaves in a Referer.
pub fn page_headers() -> [(header::HeaderName, &'static str); 6] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'none'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Not `no-referrer`: under it a browser sends `Origin: null` with the desk's own forms.
        // `same-origin` still sends nothing to any other site.
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ]
}

/// The policy of a file given as a download: nothing in it may run, even if a browser were to
/// render it.
pub const DOWNLOAD_POLICY: &str = "default-src 'none'; sandbox";

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn a_rebound_name_or_another_port_is_not_the_desk() {
        let served = "127.0.0.1:4711";
        assert_eq!(host_is(&headers(&[("host", served)]), served), Ok(()));
        for host in [
            "evil.example:4711",
            "localhost:4711",
            "127.0.0.1:4712",
            "127.0.0.1",
        ] {
            assert_eq!(
                host_is(&headers(&[("host", host)]), served),
                Err(Refusal::WrongHost),
                "{host}"
            );
        }
        assert_eq!(host_is(&headers(&[]), served), Err(Refusal::WrongHost));
    }

    #[test]
    fn only_the_sessions_own_cookie_opens_the_desk() {
        let name = cookie_name(4711);
        let good = headers(&[("cookie", "other=1; confide_desk_4711=s3cret")]);
        assert_eq!(has_session(&good, &name, "s3cret"), Ok(()));
        for cookie in [
            "confide_desk_4711=s3creT",
            "confide_desk_4712=s3cret",
            "confide_desk_4711=",
            "xconfide_desk_4711=s3cret",
        ] {
            assert_eq!(
                has_session(&headers(&[("cookie", cookie)]), &name, "s3cret"),
                Err(Refusal::NoSession),
                "{cookie}"
            );
        }
    }

    #[test]
    fn a_post_from_another_origin_or_from_nowhere_is_refused() {
        let origin = "http://127.0.0.1:4711";
        let post = Method::POST;
        assert_eq!(
            same_origin(&post, &headers(&[("origin", origin)]), origin),
            Ok(())
        );
        assert_eq!(
            same_origin(
                &post,
                &headers(&[("sec-fetch-site", "same-origin")]),
                origin
            ),
            Ok(())
        );
        for h in [
            headers(&[("origin", "http://evil.example")]),
            headers(&[("origin", "null")]),
            headers(&[("origin", "null"), ("sec-fetch-site", "cross-site")]),
            headers(&[
                ("origin", "http://evil.example"),
                ("sec-fetch-site", "same-origin"),
            ]),
            headers(&[("origin", "http://127.0.0.1:4712")]),
            headers(&[("sec-fetch-site", "cross-site")]),
            headers(&[("sec-fetch-site", "same-site")]),
            headers(&[]),
        ] {
            assert_eq!(
                same_origin(&post, &h, origin),
                Err(Refusal::CrossSite),
                "{h:?}"
            );
        }
        // Reading is not a state change: links from elsewhere may open a page (the session
        // cookie, SameSite=Strict, is not sent with them anyway).
        assert_eq!(same_origin(&Method::GET, &headers(&[]), origin), Ok(()));
    }

    #[test]
    fn secrets_are_random_and_compare_whole() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(*a, *b);
        assert_eq!(a.len(), 43);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &a[..42]));
    }
}
