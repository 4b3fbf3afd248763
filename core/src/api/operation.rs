//! What the engine needs to know about one operation of Refold's API: its route, parameters,
//! body, credentials, retry rule and pagination. Plain `'static` data; `operations.rs`
//! (generated from Refold's API description and our overlay) declares every operation with it.

/// One operation of Refold's API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The API description's `operationId`, e.g. `listLinkedAccounts`.
    pub id: &'static str,
    /// snake_case name that bindings derive their method names from, e.g.
    /// `list_linked_accounts`.
    pub name: &'static str,
    /// The API description's tag (its section of the reference), e.g. `Linked Accounts`.
    pub tag: &'static str,
    pub method: Method,
    /// Path template, with `{name}` for each path parameter.
    pub path: &'static str,
    /// The parameters the caller passes, in declaration order. The `linked_account_id`
    /// header is not among them: see `linked_account`.
    pub params: &'static [Param],
    /// Whether the operation acts on a linked account named by the `linked_account_id`
    /// header (sent from the linked account the client is scoped to).
    pub linked_account: LinkedAccountHeader,
    pub body: BodyKind,
    /// Whether the API description requires a body.
    pub body_required: bool,
    pub auth: Auth,
    pub retry: RetryRule,
    pub pagination: Pagination,
    /// Refold documents the operation as deprecated.
    pub deprecated: bool,
    /// The documented success status (200, 201 or 204).
    pub success_status: u16,
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
    Patch,
    Head,
    Options,
    Trace,
}

impl Method {
    /// The method as written in a request line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
            Self::Post => "POST",
            Self::Delete => "DELETE",
            Self::Patch => "PATCH",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
            Self::Trace => "TRACE",
        }
    }
}

/// One parameter of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// The name on the wire (path placeholder, query key or header name).
    pub name: &'static str,
    /// The name the caller passes it by: `name`, unless the operation declares the same name
    /// in two places (then `<name>_in_<location>`).
    pub key: &'static str,
    pub location: ParamLocation,
    pub required: bool,
    pub kind: ParamKind,
}

impl Param {
    /// Whether a caller's `key` names this parameter: its declared key, or that key in
    /// camelCase (`table_id` as `tableId`).
    pub fn is_named(&self, key: &str) -> bool {
        self.key == key || camel_case(self.key) == key
    }
}

/// `table_id` as `tableId`.
pub(crate) fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Where a parameter goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
}

/// What a parameter's value is, as the API description declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Text,
    Integer,
    Number,
    Boolean,
    /// One of these strings (a newer server may accept others).
    Enum(&'static [&'static str]),
}

/// Whether an operation names a linked account in the `linked_account_id` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkedAccountHeader {
    /// It does not.
    None,
    /// It does when the client is scoped to a linked account (a session token already names
    /// one).
    Optional,
    /// It always does.
    Required,
}

/// The request body an operation takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyKind {
    None,
    Json,
    Multipart,
    /// JSON, or multipart/form-data when files are attached.
    JsonOrMultipart,
}

/// Which credentials an operation accepts (the API description's `security`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Auth {
    /// The organization's API key (`x-api-key`).
    ApiKey,
    /// A linked account's session token (`Authorization: Bearer`).
    SessionToken,
    /// Either of the two.
    Either,
    /// None: the operation is public.
    None,
}

/// When a failed attempt may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryRule {
    /// Repeating the request is harmless: retried after any transient failure.
    Idempotent,
    /// Retried only when the request is known not to have reached the server.
    UnsentOnly,
}

/// How an operation's results are split into pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pagination {
    None,
    /// `page`/`limit` query parameters; the response carries `page` and `hasNextPage`, and
    /// the page's items in the field `items`.
    Page {
        items: &'static str,
    },
}
