//! The client: one connection pool, the attempt loop with retries, and response mapping.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};

use crate::config::{ClientBuilder, Environment, ResolvedConfig};
use crate::error::{Error, ErrorCode};
use crate::mapping::{status_rule, status_sentence};
use crate::redact::{clean_line, redact_secrets, server_message};
use crate::retry::{delay_before_retry, retry_after, should_retry_override};
use crate::token::SessionToken;
use crate::validate::validate_linked_account_id;

/// Largest response body read (SPEC §4): a bigger 2xx is `invalid_response`.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Of an error response only the start is read: enough for any useful message.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// Mints session tokens. Cheap to clone; clones share one connection pool, and a client
/// may be used from many tasks and threads at once.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: ResolvedConfig,
    http: reqwest::Client,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.inner.config;
        f.debug_struct("Client")
            .field("api_key", &crate::redact::REDACTED)
            .field("endpoint", &config.endpoint.as_str())
            .field("timeout", &config.timeout)
            .field("max_retries", &config.max_retries)
            .finish()
    }
}

impl ClientBuilder {
    /// Validates the options and builds the client (no request is sent).
    pub fn build(self) -> Result<Client, Error> {
        let config = self.resolve()?;
        let mut default_headers = HeaderMap::new();
        default_headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        default_headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let http = reqwest::Client::builder()
            // A redirect would forward x-api-key to another host: a 3xx is an error instead.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .user_agent(config.user_agent.clone())
            .default_headers(default_headers)
            .build()
            .map_err(|err| {
                Error::configuration(format!(
                    "Could not set up the HTTP client: {}",
                    describe_transport_error(&err, &config.api_key)
                ))
            })?;
        Ok(Client {
            inner: Arc::new(Inner { config, http }),
        })
    }
}

/// The result of one attempt that did not produce a token.
struct Failure {
    error: Error,
    retryable: bool,
    server_wish: Option<Duration>,
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured only from environment variables and defaults.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::default().build()
    }

    /// The deployment this client talks to (ignoring a base URL override).
    pub fn environment(&self) -> Environment {
        self.inner.config.environment
    }

    /// The full session-token URL requests go to.
    pub fn endpoint(&self) -> &str {
        self.inner.config.endpoint.as_str()
    }

    /// The `user-agent` header sent with every request.
    pub fn user_agent(&self) -> &str {
        &self.inner.config.user_agent
    }

    /// Mints a session token for `linked_account_id`, retrying transient failures.
    pub async fn get_token_for_linked_account(
        &self,
        linked_account_id: &str,
    ) -> Result<SessionToken, Error> {
        validate_linked_account_id(linked_account_id)?;
        #[derive(serde::Serialize)]
        struct RequestBody<'a> {
            linked_account_id: &'a str,
        }
        let body = Bytes::from(
            serde_json::to_vec(&RequestBody { linked_account_id })
                .expect("a JSON object of one string always serialises"),
        );
        let max_attempts = self.inner.config.max_retries.saturating_add(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failure = match self.attempt(body.clone(), linked_account_id).await {
                Ok(token) => return Ok(token),
                Err(failure) => failure,
            };
            if !failure.retryable || attempt >= max_attempts {
                let mut error = failure.error.with_attempts(attempt);
                if attempt > 1 {
                    error = error.append_message(&format!("(Gave up after {attempt} attempts.)"));
                }
                return Err(error);
            }
            let delay = delay_before_retry(attempt, failure.server_wish);
            log::debug!(
                "session-token attempt {attempt} failed with {} (status {:?}); retrying in {} ms",
                failure.error.code(),
                failure.error.status(),
                delay.as_millis()
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One request, bounded by the per-attempt timeout (connect, headers and whole body).
    async fn attempt(&self, body: Bytes, linked_account_id: &str) -> Result<SessionToken, Failure> {
        let config = &self.inner.config;
        let exchange = async {
            let response = self
                .inner
                .http
                .post(config.endpoint.clone())
                .header("x-api-key", config.api_key_header.clone())
                .body(body)
                .send()
                .await
                .map_err(|err| self.transport_failure(&err))?;
            self.read_response(response, linked_account_id).await
        };
        match tokio::time::timeout(config.timeout, exchange).await {
            Ok(outcome) => outcome,
            Err(_elapsed) => Err(Failure {
                error: Error::new(
                    ErrorCode::Timeout,
                    format!(
                        "Refold did not answer within the {} timeout; check connectivity to {} \
                         or raise the timeout.",
                        describe_duration(config.timeout),
                        config.endpoint.host_str().unwrap_or("the API")
                    ),
                )
                .with_retryable(true),
                retryable: true,
                server_wish: None,
            }),
        }
    }

    async fn read_response(
        &self,
        mut response: reqwest::Response,
        linked_account_id: &str,
    ) -> Result<SessionToken, Failure> {
        let status = response.status().as_u16();
        // Taken, not cloned: the body is still readable without them.
        let headers = std::mem::take(response.headers_mut());
        let received_at = SystemTime::now();
        let success = response.status().is_success();
        let limit = if success {
            MAX_BODY_BYTES
        } else {
            MAX_ERROR_BODY_BYTES
        };

        if success
            && response
                .content_length()
                .is_some_and(|len| len > MAX_BODY_BYTES as u64)
        {
            return Err(self.response_failure(status, &headers, oversized_error()));
        }
        let mut body =
            Vec::with_capacity(response.content_length().map_or(512, |len| len as usize));
        let mut oversized = false;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|err| self.transport_failure(&err))?
        {
            if body.len() + chunk.len() > limit {
                body.extend_from_slice(&chunk[..limit - body.len()]);
                oversized = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }

        if success {
            if oversized {
                return Err(self.response_failure(status, &headers, oversized_error()));
            }
            return match extract_token(&body) {
                Ok(token) => Ok(SessionToken::from_response(
                    token,
                    linked_account_id.to_owned(),
                    received_at,
                )),
                Err(error) => Err(self.response_failure(status, &headers, error)),
            };
        }

        let rule = status_rule(status);
        let mut error = Error::new(rule.code, status_sentence(status, linked_account_id));
        if let Some(server_said) = server_message(&body, &config_key(self)) {
            error = error.append_message(&format!("Refold said: {server_said}"));
        }
        Err(self.response_failure(status, &headers, error.with_retryable(rule.retryable)))
    }

    /// Attaches what every response-derived error carries and decides on retrying.
    fn response_failure(&self, status: u16, headers: &HeaderMap, error: Error) -> Failure {
        let server_wish = retry_after(headers, SystemTime::now());
        let retryable = should_retry_override(headers).unwrap_or(error.is_retryable());
        let request_id = ["x-request-id", "request-id"]
            .iter()
            .filter_map(|name| headers.get(*name)?.to_str().ok())
            .find(|id| !id.trim().is_empty())
            .map(|id| clean_line(&redact_secrets(id, &config_key(self)), 200));
        Failure {
            error: error
                .with_status(status)
                .with_request_id(request_id)
                .with_retry_after(server_wish)
                .with_retryable(retryable),
            retryable,
            server_wish,
        }
    }

    /// Maps an error raised before a full response arrived.
    fn transport_failure(&self, err: &reqwest::Error) -> Failure {
        let config = &self.inner.config;
        let host = config.endpoint.host_str().unwrap_or("the API");
        let why = describe_transport_error(err, &config.api_key);
        let (code, retryable, advice) = if err.is_timeout() {
            (
                ErrorCode::Timeout,
                true,
                "check connectivity or raise the timeout",
            )
        } else if is_tls_certificate_failure(err) {
            (
                ErrorCode::Connection,
                false,
                "the server's TLS certificate was not trusted; check the base URL or install \
                 your CA in the system trust store",
            )
        } else {
            (
                ErrorCode::Connection,
                true,
                "check the network, proxy settings (HTTPS_PROXY/NO_PROXY) and base URL",
            )
        };
        Failure {
            error: Error::new(
                code,
                format!("Could not complete the request to {host} ({why}); {advice}."),
            )
            .with_retryable(retryable),
            retryable,
            server_wish: None,
        }
    }
}

fn config_key(client: &Client) -> String {
    client.inner.config.api_key.clone()
}

fn oversized_error() -> Error {
    Error::new(
        ErrorCode::InvalidResponse,
        format!(
            "Refold answered with a body larger than {} MiB, which is not a session-token \
             response; check the base URL.",
            MAX_BODY_BYTES / (1024 * 1024)
        ),
    )
}

/// The non-empty string `token` of a 2xx body, or why there is none. The body is never
/// quoted: it may hold a token.
fn extract_token(body: &[u8]) -> Result<String, Error> {
    #[derive(serde::Deserialize)]
    struct TokenBody {
        token: String,
    }
    // serde would also read a struct from a JSON array: only objects take the fast path.
    let is_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if let Ok(TokenBody { token }) = serde_json::from_slice::<TokenBody>(body) {
        if is_object && !token.is_empty() {
            return Ok(token);
        }
    }
    let problem = match serde_json::from_slice::<serde_json::Value>(body) {
        Err(_) => "a body that is not JSON",
        Ok(serde_json::Value::Object(object)) => match object.get("token") {
            None => "JSON without a \"token\" field",
            Some(serde_json::Value::String(_)) => "an empty \"token\"",
            Some(_) => "a \"token\" that is not a string",
        },
        Ok(_) => "JSON that is not an object",
    };
    Err(Error::new(
        ErrorCode::InvalidResponse,
        format!(
            "Refold answered with {problem} instead of a session token; check the base URL \
             points at the Refold API."
        ),
    ))
}

/// Why a request failed, from the whole `source()` chain (reqwest's own text drops it).
fn describe_transport_error(err: &reqwest::Error, api_key: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(error) = current {
        let mut text = error.to_string();
        // reqwest names the URL; the path adds nothing and the key is never in it, but be sure.
        if let Some(stripped) =
            text.strip_suffix(&format!(" ({})", err.url().map_or("", |u| u.as_str())))
        {
            text = stripped.to_owned();
        }
        if !text.is_empty() && !parts.iter().any(|seen| seen.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    clean_line(&redact_secrets(&parts.join(": "), api_key), 300)
}

/// A TLS certificate problem is not retried: it will not fix itself.
fn is_tls_certificate_failure(err: &reqwest::Error) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(error) = current {
        if matches!(
            error.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented)
        ) {
            return true;
        }
        // io::Error::source() skips the error it wraps (and TLS errors arrive wrapped twice),
        // so descend through get_ref() instead.
        current = match error.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    false
}

fn describe_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_extraction_names_the_problem_without_quoting_the_body() {
        assert_eq!(
            extract_token(br#"{"token":"abc","extra":1}"#).unwrap(),
            "abc"
        );
        let cases: [(&[u8], &str); 5] = [
            (b"<html>eyJsecret.x.y</html>", "not JSON"),
            (br#"{"nothing":true}"#, "without a \"token\""),
            (br#"{"token":""}"#, "empty"),
            (br#"{"token":42}"#, "not a string"),
            (br#"["token"]"#, "not an object"),
        ];
        for (body, expected) in cases {
            let err = extract_token(body).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidResponse);
            assert!(err.message().contains(expected), "{}", err.message());
            assert!(!err.message().contains("eyJ"));
        }
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(describe_duration(Duration::from_secs(30)), "30 s");
        assert_eq!(describe_duration(Duration::from_millis(250)), "250 ms");
    }
}
