//! Where requests go, and the URL rules that keep the API key from leaking
//! (docs/contract.md §Options).

use std::net::IpAddr;

use url::Url;

use crate::error::Error;

/// Where the session-token endpoint lives below the base URL.
pub const SESSION_TOKEN_PATH: &str = "/api/v2/public/session-token";
/// Where linked accounts live below the base URL.
pub const LINKED_ACCOUNT_PATH: &str = "/api/v2/public/linked-account";
/// Where a session token is revoked (authenticated by the token).
pub const REVOKE_PATH: &str = "/api/v2/public/session-token/revoke";
/// Where a session token's linked account is read (authenticated by the token).
pub const ACTIVE_LINKED_ACCOUNT_PATH: &str = "/api/v2/public/session/active-linked-account";

#[cfg(test)]
fn session_token_url(base: &str) -> Result<Url, Error> {
    Ok(api_url(&api_base(base)?, SESSION_TOKEN_PATH))
}

/// `path` below a base URL checked by [`api_base`].
pub(crate) fn api_url(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
    url
}

/// The linked-account URL of one account: its id is one escaped path segment.
pub(crate) fn linked_account_url(base: &Url, linked_account_id: &str) -> Url {
    let mut url = api_url(base, LINKED_ACCOUNT_PATH);
    url.path_segments_mut()
        .expect("an http(s) URL has path segments")
        .push(linked_account_id);
    url
}

/// The base URL, refusing anything that could leak the key: plain http to a host that is not
/// loopback, credentials or a query in the URL, other schemes.
pub(crate) fn api_base(base: &str) -> Result<Url, Error> {
    let shown = crate::redact::clean_line(base, 120);
    let url = Url::parse(base.trim()).map_err(|err| {
        Error::configuration(format!(
            "The base URL \"{shown}\" is not a valid URL ({err})."
        ))
    })?;
    let Some(host) = url.host_str() else {
        return Err(Error::configuration(format!(
            "The base URL \"{shown}\" has no host."
        )));
    };
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(host) => {}
        "http" => {
            return Err(Error::configuration(format!(
                "The base URL \"{shown}\" uses plain http to a host that is not loopback, which \
                 would send the API key in clear text; use https://."
            )));
        }
        _ => {
            return Err(Error::configuration(format!(
                "The base URL \"{shown}\" must start with https:// (or http:// to a loopback host)."
            )));
        }
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        return Err(Error::configuration(format!(
            "The base URL \"{shown}\" must not carry credentials or a query string."
        )));
    }
    let mut base = url;
    base.set_fragment(None);
    Ok(base)
}

fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn joins_the_path_below_any_prefix() {
        assert_eq!(
            session_token_url("http://127.0.0.1:8787/")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8787/api/v2/public/session-token"
        );
        assert_eq!(
            session_token_url("https://proxy.example/refold#x")
                .unwrap()
                .as_str(),
            "https://proxy.example/refold/api/v2/public/session-token"
        );
    }

    #[test]
    fn account_ids_are_one_escaped_segment() {
        let base = api_base("https://x.example/prefix/").unwrap();
        assert_eq!(
            linked_account_url(&base, "a/b c?d#é").as_str(),
            "https://x.example/prefix/api/v2/public/linked-account/a%2Fb%20c%3Fd%23%C3%A9"
        );
    }

    #[test]
    fn loopback_http_only() {
        for ok in [
            "http://localhost:1",
            "http://127.0.0.9:1",
            "http://[::1]:1",
            "https://x.example",
        ] {
            session_token_url(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "http://10.0.0.1",
            "http://example.com",
            "ftp://127.0.0.1",
            "not a url",
            "https://user:pw@x.example",
            "https://x.example/?a=1",
            "file:///etc/passwd",
        ] {
            let err = session_token_url(bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Configuration, "{bad}");
        }
    }
}
