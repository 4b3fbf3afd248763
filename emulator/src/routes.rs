//! Every route of the emulator in one table: method, path template, how the
//! caller authenticates, and the handler. Adding an operation is one row
//! here and one handler function next to the data it works on; routing,
//! 405 answers with `Allow`, CORS preflights, authentication, the rate
//! limit, the request log and fault injection all come from the row.

use bytes::Bytes;
use hyper::Method;

use std::sync::LazyLock;

use hyper::HeaderMap;
use serde_json::Value;

use crate::generated::routes::SPEC_ROUTES;
use crate::multipart::Form;
use crate::operations::{self, SpecRoute};
use crate::respond::Answer;
use crate::sessions::Session;
use crate::state::State;
use crate::{control, frontend};

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

    /// Where the method goes in an `Allow` list.
    fn rank(self) -> u8 {
        match self {
            Verb::Get => 0,
            Verb::Post => 1,
            Verb::Put => 2,
            Verb::Patch => 3,
            Verb::Delete => 4,
        }
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
    /// Refold's API, with the credentials [`Access`] names.
    Api(Access),
    /// Refold's operations that take no credentials (the task id or the
    /// slug is all they need).
    Public,
    /// The emulator's own control plane: no authentication, not counted,
    /// logged, faulted or rate limited, no `x-request-id`.
    Control,
}

/// Which credentials an API route takes and what it needs of the linked
/// account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Access {
    /// The org's `x-api-key`.
    pub key: bool,
    /// A session token (`authorization: Bearer`), which names the linked
    /// account itself and wins over a key. Browsers call these: CORS for
    /// any origin.
    pub token: bool,
    /// With the key: whether the linked account must be named.
    pub account: AccountNeed,
    /// With the key: where the linked account is named (the header is
    /// read before the query).
    pub from_header: bool,
    pub from_query: bool,
}

/// What a route needs of the linked account when the caller uses the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AccountNeed {
    /// Org level: no account (a `linked_account_id` header is ignored).
    None,
    /// Org level, or the account named.
    Optional,
    /// The account must be named (Refold answers 404 without it).
    Required,
}

/// A session token only.
pub(crate) const SESSION_TOKEN: Auth = Auth::Api(Access {
    key: false,
    token: true,
    account: AccountNeed::None,
    from_header: false,
    from_query: false,
});

impl Auth {
    /// Whether browsers call the route (with a session token), so its
    /// answers carry CORS headers and `OPTIONS` is a preflight.
    pub(crate) fn cors(self) -> bool {
        matches!(self, Auth::Api(Access { token: true, .. }))
    }
}

/// Computes a route's answer.
pub(crate) type Handler = fn(&State, &Call<'_>) -> Answer;

/// How much of a request the API description's schema checks before the
/// handler runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Validation {
    /// Parameters and body.
    Full,
    /// Nothing: routes outside the description, and handlers that check
    /// their requests as docs/contract.md says.
    None,
}

/// One row of [`ROUTES`].
pub(crate) struct Route {
    pub verb: Verb,
    /// Literal segments and `{name}` parameters, each one whole segment.
    pub path: &'static str,
    pub auth: Auth,
    pub handler: Handler,
    /// The operation of Refold's API description the route serves.
    pub operation: Option<&'static SpecRoute>,
    pub validation: Validation,
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

pub(crate) const fn route(verb: Verb, path: &'static str, auth: Auth, handler: Handler) -> Route {
    Route {
        verb,
        path,
        auth,
        handler,
        operation: None,
        validation: Validation::None,
        fault_answer: None,
        log_body: None,
        legacy_errors: false,
    }
}

impl Route {
    pub(crate) const fn fault_answer(self, answer: Handler) -> Route {
        Route {
            fault_answer: Some(answer),
            ..self
        }
    }

    pub(crate) const fn log_body(self, redact: fn(&[u8]) -> Bytes) -> Route {
        Route {
            log_body: Some(redact),
            ..self
        }
    }

    pub(crate) const fn legacy_errors(self) -> Route {
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

use Verb::{Delete, Get, Post};

/// The routes outside Refold's API description: the front-end API
/// `@cobaltio/cobalt-js` calls with a session token, and the control
/// plane. The description's operations follow from
/// [`SPEC_ROUTES`](crate::generated::routes::SPEC_ROUTES).
#[rustfmt::skip]
fn other_routes() -> Vec<Route> {
    vec![
        route(Get, "/api/v2/f-sdk/application", SESSION_TOKEN, frontend::apps),
        route(Get, "/api/v2/f-sdk/application/{slug}", SESSION_TOKEN, frontend::app),
        route(Post, "/api/v2/app/{slug}/save", SESSION_TOKEN, frontend::save)
            .log_body(frontend::redact_form),
        route(Delete, "/api/v1/linked-acc/integration/{slug}", SESSION_TOKEN, frontend::disconnect),
        route(Get, "/api/v3/org/basics", SESSION_TOKEN, frontend::org_basics),
        route(Get, "/api/v1/{slug}/integrate", SESSION_TOKEN, frontend::integrate),
        // The control plane.
        route(Post, "/__emulator/faults", Auth::Control, control::set_faults),
        route(Post, "/__emulator/webhook-faults", Auth::Control, control::set_webhook_faults),
        route(Post, "/__emulator/reset", Auth::Control, control::reset),
        route(Get, "/__emulator/requests", Auth::Control, control::requests),
        route(Get, "/__emulator/connections", Auth::Control, control::connections),
        route(Get, "/__emulator/config", Auth::Control, control::config),
        route(Post, "/__emulator/config", Auth::Control, control::set_config),
        route(Get, "/__emulator/webhooks", Auth::Control, control::webhook_deliveries),
        route(Post, "/__emulator/expire-connection", Auth::Control, control::expire_connection),
        route(Post, "/__emulator/workflow-errors", Auth::Control, control::workflow_errors),
        route(Get, frontend::AUTHORIZE_PATH, Auth::Control, frontend::authorize),
    ]
}

/// Every route: Refold's operations (one per operation of the API
/// description, its handler registered by `operationId` in
/// [`operations`]) and the others. Order does not matter: a literal
/// segment beats a parameter.
pub(crate) static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    let mut routes: Vec<Route> = SPEC_ROUTES.iter().map(operations::route).collect();
    routes.extend(other_routes());
    routes
});

/// Routes the official Node SDK still calls that Refold's API no longer
/// has: Refold answers them 404, whatever the method, and so does the
/// emulator (not 405, although other methods exist on some of these
/// paths).
pub(crate) const RETIRED: &[(Verb, &str)] = &[
    (Get, "/api/v2/public/event"),
    (Post, "/api/v2/public/event"),
    (Get, "/api/v2/public/event/{event_id}"),
    (Verb::Put, "/api/v2/public/event/{event_id}"),
    (Delete, "/api/v2/public/event/{event_id}"),
    (Post, "/api/v2/public/webhook/subscribe"),
    (Post, "/api/v2/public/webhook/unsubscribe"),
    (Delete, "/api/v2/public/webhook"),
    (Post, "/api/v1/workflow/{workflow_id}/execute"),
];

/// Paths with more segments than this match no route.
const MAX_SEGMENTS: usize = 64;

/// What the table says about a request's method and path.
pub(crate) enum Lookup {
    Found(&'static Route),
    /// The path is known but not with this method; the methods it takes.
    WrongMethod(Vec<Verb>),
    /// A route Refold no longer has (see [`RETIRED`]).
    Retired,
    NotFound,
}

/// The route for `method` on `path`. The path is the resource of the most
/// specific template it matches (among those that match, the one whose
/// first differing segment is literal; templates differing only in their
/// parameters' names are the same resource): its methods are the ones the
/// path takes, so `DELETE /api/v2/public/workflow/enabled` is a 405 and
/// not a delete of the workflow `enabled`.
pub(crate) fn find(method: &Method, path: &str) -> Lookup {
    let verb = Verb::of(method);
    let segments = segments(path);
    let retired = RETIRED_TEMPLATES
        .iter()
        .filter(|(retired, _)| Some(*retired) == verb)
        .filter_map(|(_, template)| rank(template, &segments))
        .max();
    let ranks = ranks(&segments);
    let Some(best) = ranks.iter().flatten().copied().max() else {
        return if retired.is_some() {
            Lookup::Retired
        } else {
            Lookup::NotFound
        };
    };
    if let Some((route, _)) = ROUTES
        .iter()
        .zip(&ranks)
        .find(|(route, rank)| Some(route.verb) == verb && **rank == Some(best))
    {
        return Lookup::Found(route);
    }
    if retired.is_some_and(|rank| rank >= best) {
        return Lookup::Retired;
    }
    Lookup::WrongMethod(allowed(path))
}

/// The routes of the resource `path` is (see [`find`]).
fn resource(path: &str) -> impl Iterator<Item = &'static Route> {
    let ranks = ranks(&segments(path));
    let best = ranks.iter().flatten().copied().max();
    ROUTES
        .iter()
        .zip(ranks)
        .filter(move |(_, rank)| best.is_some() && *rank == best)
        .map(|(route, _)| route)
}

/// Each route's rank for a path split into `segments` (in [`ROUTES`]' order).
fn ranks(segments: &[&str]) -> Vec<Option<u64>> {
    TEMPLATES
        .iter()
        .map(|template| rank(template, segments))
        .collect()
}

/// The methods any route of `path` takes, in the order GET, POST, PUT,
/// PATCH, DELETE.
pub(crate) fn allowed(path: &str) -> Vec<Verb> {
    let mut verbs = Vec::new();
    for route in resource(path) {
        if !verbs.contains(&route.verb) {
            verbs.push(route.verb);
        }
    }
    verbs.sort_by_key(|verb| verb.rank());
    verbs
}

/// Whether browsers may call `path` (some route of it takes session tokens).
pub(crate) fn cors_path(path: &str) -> bool {
    resource(path).any(|route| route.auth.cors())
}

/// `GET, POST` for an `Allow` header.
pub(crate) fn allow_header(verbs: &[Verb]) -> String {
    verbs
        .iter()
        .map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A route template split once: each segment a literal, or `None` for a parameter.
type Template = Vec<Option<&'static str>>;

fn template(path: &str) -> Vec<Option<&str>> {
    path.split('/')
        .map(|segment| (!is_parameter(segment)).then_some(segment))
        .collect()
}

/// [`ROUTES`]' templates, in its order: a request splits its path once and compares segments,
/// instead of splitting every template for every request.
static TEMPLATES: LazyLock<Vec<Template>> =
    LazyLock::new(|| ROUTES.iter().map(|route| template(route.path)).collect());

static RETIRED_TEMPLATES: LazyLock<Vec<(Verb, Template)>> = LazyLock::new(|| {
    RETIRED
        .iter()
        .map(|(verb, path)| (*verb, template(path)))
        .collect()
});

/// `path`'s segments, at most one more than [`MAX_SEGMENTS`] (a longer path matches nothing).
fn segments(path: &str) -> Vec<&str> {
    path.split('/').take(MAX_SEGMENTS + 1).collect()
}

/// `None` if `template` does not match the path split into `segments`; otherwise a rank in
/// which literal segments count more the further left they are.
fn rank(template: &[Option<&str>], segments: &[&str]) -> Option<u64> {
    if template.len() != segments.len() || template.len() > MAX_SEGMENTS {
        return None;
    }
    let mut rank = 0u64;
    for (index, (expected, actual)) in template.iter().zip(segments).enumerate() {
        match expected {
            None if actual.is_empty() => return None,
            None => {}
            Some(literal) if literal == actual => rank |= 1 << (MAX_SEGMENTS - 1 - index),
            Some(_) => return None,
        }
    }
    Some(rank)
}

/// [`rank`] of a template and a path given as text.
#[cfg(test)]
fn specificity(template_path: &str, path: &str) -> Option<u64> {
    rank(&template(template_path), &segments(path))
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
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// The body as JSON, once the description's schema accepted it.
    pub json: Option<Value>,
    /// A `multipart/form-data` body, once read.
    pub form: Option<Form>,
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
        query_value(self.query, name)
    }

    /// The path parameter `name`, percent-decoded (`None` when absent or
    /// not valid percent-encoded UTF-8).
    pub(crate) fn path_param(&self, name: &str) -> Option<String> {
        self.param(name)
            .and_then(|raw| crate::accounts::percent_decode(raw, false))
    }

    /// The query parameter `name`, percent-decoded.
    pub(crate) fn query_text(&self, name: &str) -> Option<String> {
        self.query_param(name)
            .and_then(|raw| crate::accounts::percent_decode(raw, true))
    }

    /// The header `name` as text (`None` when absent or not UTF-8).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The JSON body's member `name`.
    pub(crate) fn member(&self, name: &str) -> Option<&Value> {
        self.json.as_ref().and_then(|body| body.get(name))
    }

    /// The JSON body's member `name` when it is a string.
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.member(name).and_then(Value::as_str)
    }
}

/// The first value of the query parameter `name` in `query`, raw.
pub(crate) fn query_value<'q>(query: Option<&'q str>, name: &str) -> Option<&'q str> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
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
        for route in ROUTES.iter() {
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
                    // Only the official SDK's older routes.
                    Lookup::Retired => assert!(
                        RETIRED
                            .iter()
                            .any(|(v, t)| *v == verb && specificity(t, &concrete).is_some()),
                        "{}",
                        route.path
                    ),
                    Lookup::NotFound => panic!("{} is unknown", route.path),
                }
            }
            for method in [Method::HEAD, Method::TRACE, Method::CONNECT] {
                assert!(matches!(find(&method, &concrete), Lookup::WrongMethod(_)));
            }
        }
    }

    #[test]
    fn retired_routes_are_not_found_whatever_the_methods_around_them() {
        for (verb, template) in RETIRED {
            let concrete = template.replace('{', "x").replace('}', "");
            let method = Method::from_bytes(verb.as_str().as_bytes()).unwrap();
            assert!(
                matches!(find(&method, &concrete), Lookup::Retired),
                "{template}"
            );
        }
        // The operations next to them still answer.
        assert!(matches!(
            find(&Method::POST, "/api/v2/public/event/my-app"),
            Lookup::Found(_)
        ));
        assert!(matches!(
            find(&Method::GET, "/api/v2/public/webhook"),
            Lookup::Found(_)
        ));
    }

    #[test]
    fn params_and_query() {
        let Lookup::Found(route) = find(&Method::POST, "/api/v2/app/a%20b/save") else {
            panic!()
        };
        let headers = HeaderMap::new();
        let call = Call {
            route,
            path: "/api/v2/app/a%20b/save",
            query: Some("x=1&force_refresh=true&x=2"),
            headers: &headers,
            body: b"",
            json: None,
            form: None,
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
