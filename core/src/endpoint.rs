//! Where requests go, and the URL rules that keep the API key from leaking
//! (docs/contract.md §Options).

use std::net::IpAddr;

use reqwest::Url;

use crate::error::Error;

/// Where the session-token endpoint lives below the base URL.
pub const SESSION_TOKEN_PATH: &str = "/api/v2/public/session-token";

/// `{base}/api/v2/public/session-token`, refusing anything that could leak the key: plain
/// http to a host that is not loopback, credentials or a query in the URL, other schemes.
pub(crate) fn session_token_url(base: &str) -> Result<Url, Error> {
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
    let path = format!("{}{SESSION_TOKEN_PATH}", url.path().trim_end_matches('/'));
    let mut endpoint = url;
    endpoint.set_path(&path);
    endpoint.set_fragment(None);
    Ok(endpoint)
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
    use crate::ErrorCode;

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
