//! Requests another site makes a visitor's browser send.
//!
//! A page elsewhere can make a browser post to the gateway: a form that files a report from the
//! visitor's address, or thirty wrong status checks that lock the visitor's whole network out of
//! follow-ups for an hour. Browsers say where a request comes from: every current one sends
//! `Sec-Fetch-Site`, and every one since 2020 sends `Origin` with a POST. The rule is the one Go
//! 1.25 adopted (`net/http.CrossOriginProtection`, after Filippo Valsorda's survey of the
//! headers): a request that changes something is refused when `Sec-Fetch-Site` says it comes
//! from another site, or, without that header, when its `Origin` is another host than the one
//! asked; a request that carries neither comes from a program, not a browser, and cannot be
//! made on a visitor's behalf. The refusal comes before any budget is counted (`throttle`), so
//! another site cannot spend a visitor's network's budgets either.

use axum::http::{HeaderMap, Method, header};

/// Whether a request may go on.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Sent by a page of another site.
    CrossSite,
}

/// Judges a request by its method, its headers and the host it was sent to (the `Host` header
/// in HTTP/1.1, the `:authority` in HTTP/2: [`host_asked`]).
pub fn judge(method: &Method, headers: &HeaderMap, host: Option<&str>) -> Verdict {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        // A read is refused only when another site's page embeds or fetches it (an image, a
        // script, a fetch in a loop): the gateway's pages load nothing from elsewhere and are
        // loaded by nothing elsewhere, and such loads would spend the visitor's network's page
        // budget. Following a link from another site is a navigation, and goes on.
        let embedded = headers
            .get("sec-fetch-site")
            .is_some_and(|site| !matches!(site.as_bytes(), b"same-origin" | b"none"))
            && headers
                .get("sec-fetch-mode")
                .is_some_and(|mode| mode.as_bytes() != b"navigate");
        return if embedded {
            Verdict::CrossSite
        } else {
            Verdict::Allowed
        };
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none`: the visitor's own doing (a bookmark, the address bar).
        return match site.as_bytes() {
            b"same-origin" | b"none" => Verdict::Allowed,
            _ => Verdict::CrossSite,
        };
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Verdict::Allowed;
    };
    // `Origin: null` (a sandboxed frame, a redirect across sites) is another site too.
    let origin_host = origin.to_str().ok().and_then(|o| {
        o.strip_prefix("https://")
            .or_else(|| o.strip_prefix("http://"))
    });
    match (origin_host, host) {
        (Some(origin), Some(host)) if origin.eq_ignore_ascii_case(host) => Verdict::Allowed,
        _ => Verdict::CrossSite,
    }
}

/// The host a request was sent to.
pub fn host_asked(request: &axum::extract::Request) -> Option<&str> {
    match request.headers().get(header::HOST) {
        Some(host) => host.to_str().ok(),
        None => request.uri().authority().map(|a| a.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    fn post(headers: &HeaderMap) -> Verdict {
        judge(&Method::POST, headers, Some("gateway.example:8443"))
    }

    #[test]
    fn a_post_that_a_browser_marks_as_from_another_site_is_refused() {
        for site in ["cross-site", "same-site", "anything-else"] {
            let h = headers(&[("sec-fetch-site", site)]);
            assert_eq!(post(&h), Verdict::CrossSite, "{site}");
        }
    }

    #[test]
    fn a_post_from_the_gateways_own_pages_or_the_address_bar_goes_on() {
        for site in ["same-origin", "none"] {
            let h = headers(&[("sec-fetch-site", site), ("origin", "https://elsewhere")]);
            assert_eq!(post(&h), Verdict::Allowed, "{site}");
        }
    }

    #[test]
    fn without_sec_fetch_site_the_origin_must_be_the_host_asked() {
        let own = headers(&[("origin", "https://Gateway.example:8443")]);
        assert_eq!(post(&own), Verdict::Allowed);
        for origin in [
            "https://evil.example",
            "https://gateway.example:9999",
            "https://gateway.example.evil.example",
            "null",
        ] {
            let h = headers(&[("origin", origin)]);
            assert_eq!(post(&h), Verdict::CrossSite, "{origin}");
        }
        let own = headers(&[("origin", "https://gateway.example:8443")]);
        assert_eq!(
            judge(&Method::POST, &own, None),
            Verdict::CrossSite,
            "no host to compare with"
        );
    }

    #[test]
    fn a_program_that_sends_neither_header_and_every_read_go_on() {
        assert_eq!(post(&HeaderMap::new()), Verdict::Allowed);
        let h = headers(&[("sec-fetch-site", "cross-site")]);
        assert_eq!(
            judge(&Method::GET, &h, Some("gateway.example")),
            Verdict::Allowed
        );
    }

    #[test]
    fn a_read_embedded_by_another_site_is_refused_and_a_link_followed_from_one_is_not() {
        let get = |pairs: &[(&'static str, &'static str)]| {
            judge(&Method::GET, &headers(pairs), Some("gateway.example"))
        };
        for mode in ["no-cors", "cors", "same-origin"] {
            assert_eq!(
                get(&[("sec-fetch-site", "cross-site"), ("sec-fetch-mode", mode)]),
                Verdict::CrossSite,
                "{mode}"
            );
        }
        assert_eq!(
            get(&[
                ("sec-fetch-site", "cross-site"),
                ("sec-fetch-mode", "navigate")
            ]),
            Verdict::Allowed
        );
        assert_eq!(
            get(&[
                ("sec-fetch-site", "same-origin"),
                ("sec-fetch-mode", "no-cors")
            ]),
            Verdict::Allowed
        );
    }
}
