//! Every route of the emulator in one table: method, path template, how the
//! caller authenticates, and the handler. Adding an operation is one row
//! here and one handler function next to the data it works on; routing,
//! 405 answers with `Allow`, CORS preflights, authentication, the rate
//! limit, the request log and fault injection all come from the row.

use bytes::Bytes;
use hyper::Method;

use crate::respond::Answer;
use crate::sessions::Session;
use crate::state::State;
use crate::{account_api, control, frontend, session_api};

/// An HTTP method a route can declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    pub(crate) fn of(method: &Method) -> Option<Verb> {
        Some(match *method {
            Method::GET => Verb::Get,
            Method::POST => Verb::Post,
            Method::PUT => Verb::Put,
            Method::PATCH => Verb::Patch,
            Method::DELETE => Verb::Delete,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }
}

/// How a route's caller proves who it is. Every kind but `Control` is a
/// public-API route: rate limited, counted, logged and faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Auth {
    /// The org's `x-api-key` (org-level operations).
    ApiKey,
    /// A session token (`authorization: Bearer`), which names the linked
    /// account. Browsers call these: CORS for any origin.
    SessionToken,
    /// Linked-account level: a session token, or `x-api-key` with a
    /// `linked_account_id` header (or query parameter). CORS as above.
    LinkedAccount,
    /// The emulator's own control plane: no authentication, not counted,
    /// logged, faulted or rate limited, no `x-request-id`.
    Control,
}

impl Auth {
    /// Whether browsers call the route (with a session token), so its
    /// answers carry CORS headers and `OPTIONS` is a preflight.
    pub(crate) fn cors(self) -> bool {
        matches!(self, Auth::SessionToken | Auth::LinkedAccount)
    }
}

/// Computes a route's answer.
pub(crate) type Handler = fn(&State, &Call<'_>) -> Answer;

/// One row of [`ROUTES`].
pub(crate) struct Route {
    pub verb: Verb,
    /// Literal segments and `{name}` parameters, each one whole segment.
    pub path: &'static str,
    pub auth: Auth,
    pub handler: Handler,
    /// What the body faults (`stall_body`, `truncate`, `oversized`)
    /// reshape, computed without authentication; the handler's answer
    /// (after authentication) unless set.
    pub fault_answer: Option<Handler>,
    /// The body the request log keeps, for routes whose bodies carry
    /// secrets beyond `auth_credentials` (always redacted).
    pub log_body: Option<fn(&[u8]) -> Bytes>,
    /// Errors take the older shape (`error_code`, `request_id`) while the
    /// emulator runs with `legacy_session_token`.
    pub legacy_errors: bool,
}

const fn route(verb: Verb, path: &'static str, auth: Auth, handler: Handler) -> Route {
    Route {
        verb,
        path,
        auth,
        handler,
        fault_answer: None,
        log_body: None,
        legacy_errors: false,
    }
}

impl Route {
    const fn fault_answer(self, answer: Handler) -> Route {
        Route {
            fault_answer: Some(answer),
            ..self
        }
    }

    const fn log_body(self, redact: fn(&[u8]) -> Bytes) -> Route {
        Route {
            log_body: Some(redact),
            ..self
        }
    }

    const fn legacy_errors(self) -> Route {
        Route {
            legacy_errors: true,
            ..self
        }
    }

    /// Whether this is a public-API route (not the control plane).
    pub(crate) fn is_public(&self) -> bool {
        self.auth != Auth::Control
    }
}

use Auth::{ApiKey, Control, LinkedAccount, SessionToken};
use Verb::{Delete, Get, Post, Put};

/// Every route. Order does not matter: a literal segment beats a parameter.
#[rustfmt::skip]
pub(crate) static ROUTES: &[Route] = &[
    // Session tokens (Refold's public API).
    route(Post, "/api/v2/public/session-token", ApiKey, session_api::issue)
        .fault_answer(session_api::issue_unchecked)
        .legacy_errors(),
    route(Post, "/api/v2/public/session-token/revoke", SessionToken, session_api::revoke),
    route(Get, "/api/v2/public/session/active-linked-account", SessionToken, session_api::active_account),
    // Linked accounts.
    route(Get, "/api/v2/public/linked-account", ApiKey, account_api::list),
    route(Post, "/api/v2/public/linked-account", ApiKey, account_api::create),
    route(Put, "/api/v2/public/linked-account", ApiKey, account_api::upsert),
    route(Get, "/api/v2/public/linked-account/{linked_account_id}", ApiKey, account_api::get),
    route(Delete, "/api/v2/public/linked-account/{linked_account_id}", ApiKey, account_api::delete),
    // Applications, as a linked account sees them.
    route(Get, "/api/v2/public/application", LinkedAccount, frontend::public_apps),
    route(Get, "/api/v2/public/application/{slug}", LinkedAccount, frontend::public_app),
    // The front-end API `@cobaltio/cobalt-js` calls with a session token.
    route(Get, "/api/v2/f-sdk/application", SessionToken, frontend::apps),
    route(Get, "/api/v2/f-sdk/application/{slug}", SessionToken, frontend::app),
    route(Post, "/api/v2/app/{slug}/save", SessionToken, frontend::save)
        .log_body(frontend::redact_form),
    route(Delete, "/api/v1/linked-acc/integration/{slug}", SessionToken, frontend::disconnect),
    route(Get, "/api/v3/org/basics", SessionToken, frontend::org_basics),
    route(Get, "/api/v1/{slug}/integrate", SessionToken, frontend::integrate),
    // The control plane.
    route(Post, "/__emulator/faults", Control, control::set_faults),
    route(Post, "/__emulator/reset", Control, control::reset),
    route(Get, "/__emulator/requests", Control, control::requests),
    route(Get, "/__emulator/connections", Control, control::connections),
    route(Get, "/__emulator/config", Control, control::config),
    route(Post, "/__emulator/config", Control, control::set_config),
    route(Get, frontend::AUTHORIZE_PATH, Control, frontend::authorize),
];

/// Paths with more segments than this match no route.
const MAX_SEGMENTS: usize = 64;

/// What the table says about a request's method and path.
pub(crate) enum Lookup {
    Found(&'static Route),
    /// The path is known but not with this method; the methods it takes.
    WrongMethod(Vec<Verb>),
    NotFound,
}

/// The route for `method` on `path`. Among templates that match, the one
/// whose first differing segment is literal wins.
pub(crate) fn find(method: &Method, path: &str) -> Lookup {
    let verb = Verb::of(method);
    let best = ROUTES
        .iter()
        .filter(|route| Some(route.verb) == verb)
        .filter_map(|route| specificity(route.path, path).map(|rank| (rank, route)))
        .max_by_key(|(rank, _)| *rank);
    if let Some((_, route)) = best {
        return Lookup::Found(route);
    }
    let allowed = allowed(path);
    if allowed.is_empty() {
        Lookup::NotFound
    } else {
        Lookup::WrongMethod(allowed)
    }
}

/// The methods any route of `path` takes, in table order.
pub(crate) fn allowed(path: &str) -> Vec<Verb> {
    let mut verbs = Vec::new();
    for route in ROUTES {
        if specificity(route.path, path).is_some() && !verbs.contains(&route.verb) {
            verbs.push(route.verb);
        }
    }
    verbs
}

/// Whether browsers may call `path` (some route of it takes session tokens).
pub(crate) fn cors_path(path: &str) -> bool {
    ROUTES
        .iter()
        .any(|route| route.auth.cors() && specificity(route.path, path).is_some())
}

/// `GET, POST` for an `Allow` header.
pub(crate) fn allow_header(verbs: &[Verb]) -> String {
    verbs
        .iter()
        .map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `None` if `template` does not match `path`; otherwise a rank in which
/// literal segments count more the further left they are.
fn specificity(template: &str, path: &str) -> Option<u64> {
    let mut rank = 0u64;
    let mut segments = path.split('/');
    for (index, expected) in template.split('/').enumerate() {
        let actual = segments.next()?;
        if index >= MAX_SEGMENTS {
            return None;
        }
        if is_parameter(expected) {
            if actual.is_empty() {
                return None;
            }
        } else if expected == actual {
            rank |= 1 << (MAX_SEGMENTS - 1 - index);
        } else {
            return None;
        }
    }
    segments.next().is_none().then_some(rank)
}

fn is_parameter(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// Who made a request, as its route's [`Auth`] established.
#[derive(Default)]
pub(crate) struct Caller {
    /// The linked account acted for (session token or header).
    pub account: Option<String>,
    /// The session token presented, when that was how.
    pub session: Option<Session>,
}

/// What a handler gets of its request.
pub(crate) struct Call<'a> {
    pub route: &'static Route,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub body: &'a [u8],
    /// The `Host` the client used, for URLs that point back here.
    pub host: Option<&'a str>,
    pub caller: Caller,
}

impl Call<'_> {
    /// The raw (still percent-encoded) path segment of the template's
    /// `{name}`.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.route
            .path
            .split('/')
            .zip(self.path.split('/'))
            .find(|(expected, _)| {
                is_parameter(expected) && &expected[1..expected.len() - 1] == name
            })
            .map(|(_, actual)| actual)
    }

    /// The first value of the query parameter `name`, raw.
    pub(crate) fn query_param(&self, name: &str) -> Option<&str> {
        self.query?.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then_some(value)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(method: Method, path: &str) -> Option<&'static str> {
        match find(&method, path) {
            Lookup::Found(route) => Some(route.path),
            _ => None,
        }
    }

    #[test]
    fn templates_match_whole_non_empty_segments() {
        assert_eq!(
            specificity("/a/{x}", "/a/b"),
            Some(specificity("/a/{x}", "/a/c").unwrap())
        );
        assert_eq!(specificity("/a/{x}", "/a/"), None);
        assert_eq!(specificity("/a/{x}", "/a/b/c"), None);
        assert_eq!(specificity("/a/{x}", "/a"), None);
        assert_eq!(specificity("/a/b", "/a/bb"), None);
        assert!(specificity("/a/b", "/a/b") > specificity("/a/{x}", "/a/b"));
        assert!(specificity("/a/b/{x}", "/a/b/c") > specificity("/a/{x}/c", "/a/b/c"));
        let deep = format!("/{}", vec!["a"; 100].join("/"));
        assert_eq!(specificity(&deep, &deep), None);
    }

    #[test]
    fn paths_find_their_rows() {
        assert_eq!(
            found(Method::GET, "/api/v2/f-sdk/application/x"),
            Some("/api/v2/f-sdk/application/{slug}")
        );
        assert_eq!(found(Method::GET, "/api/v2/f-sdk/application/"), None);
        assert_eq!(found(Method::GET, "/api/v2/f-sdk/applicationx"), None);
        assert_eq!(
            found(Method::POST, "/api/v2/public/session-token/revoke"),
            Some("/api/v2/public/session-token/revoke")
        );
        assert!(matches!(
            find(&Method::GET, "/api/v2/app/x/save"),
            Lookup::WrongMethod(verbs) if verbs == [Verb::Post]
        ));
        assert!(matches!(
            find(&Method::PATCH, "/api/v2/public/linked-account"),
            Lookup::WrongMethod(verbs) if verbs == [Verb::Get, Verb::Post, Verb::Put]
        ));
        assert!(matches!(
            find(&Method::HEAD, "/__emulator/config"),
            Lookup::WrongMethod(verbs) if verbs == [Verb::Get, Verb::Post]
        ));
        assert!(matches!(find(&Method::GET, "/nope"), Lookup::NotFound));
        assert!(cors_path("/api/v1/x/integrate"));
        assert!(!cors_path("/api/v2/public/session-token"));
    }

    #[test]
    fn every_row_is_reachable_and_distinct() {
        for (index, route) in ROUTES.iter().enumerate() {
            assert!(route.path.starts_with('/'), "{}", route.path);
            let concrete = route.path.replace('{', "x").replace('}', "");
            let method = Method::from_bytes(route.verb.as_str().as_bytes()).unwrap();
            match find(&method, &concrete) {
                Lookup::Found(found) => assert!(std::ptr::eq(found, route), "{}", route.path),
                _ => panic!("{} {} is unreachable", route.verb.as_str(), route.path),
            }
            for other in &ROUTES[..index] {
                assert!(
                    !(other.verb == route.verb && other.path == route.path),
                    "{} {} is declared twice",
                    route.verb.as_str(),
                    route.path
                );
            }
        }
    }

    #[test]
    fn every_undeclared_method_of_a_row_is_405_naming_the_declared_ones() {
        let verbs = [Verb::Get, Verb::Post, Verb::Put, Verb::Patch, Verb::Delete];
        for route in ROUTES {
            let concrete = route.path.replace('{', "x").replace('}', "");
            let allow = allowed(&concrete);
            assert!(allow.contains(&route.verb), "{}", route.path);
            for verb in verbs {
                let method = Method::from_bytes(verb.as_str().as_bytes()).unwrap();
                match find(&method, &concrete) {
                    Lookup::Found(_) => assert!(allow.contains(&verb), "{}", route.path),
                    Lookup::WrongMethod(named) => {
                        assert!(!allow.contains(&verb), "{}", route.path);
                        assert_eq!(named, allow, "{}", route.path);
                    }
                    Lookup::NotFound => panic!("{} is unknown", route.path),
                }
            }
            for method in [Method::HEAD, Method::TRACE, Method::CONNECT] {
                assert!(matches!(find(&method, &concrete), Lookup::WrongMethod(_)));
            }
        }
    }

    #[test]
    fn params_and_query() {
        let Lookup::Found(route) = find(&Method::POST, "/api/v2/app/a%20b/save") else {
            panic!()
        };
        let call = Call {
            route,
            path: "/api/v2/app/a%20b/save",
            query: Some("x=1&force_refresh=true&x=2"),
            body: b"",
            host: None,
            caller: Caller::default(),
        };
        assert_eq!(call.param("slug"), Some("a%20b"));
        assert_eq!(call.param("nope"), None);
        assert_eq!(call.query_param("x"), Some("1"));
        assert_eq!(call.query_param("force_refresh"), Some("true"));
        assert_eq!(call.query_param("y"), None);
    }
}
