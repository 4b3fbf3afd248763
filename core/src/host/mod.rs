//! For bindings (public, but not for Rust applications): every rule about the values a host
//! passes, in one place (docs/contract.md §Options, §8). A binding converts its native values
//! to [`HostValue`] with one function, then reads options ([`client_options`],
//! [`request_options`]), arguments ([`linked_account_id`], [`page_arguments`],
//! [`linked_account_input`], a generated call's [`api_request`] and its files [`api_file`]) and
//! JSON ([`json`]) here, in its [`Dialect`]; builds its client with [`build_client`]; generates
//! its stubs from [`describe`]; and words a webhook body of the wrong type with
//! [`webhook_body_type_error`] and an option holding the wrong host object with
//! [`host_object_error`].

mod api;
mod describe;
mod json;
mod objects;
mod read;
#[cfg(test)]
mod tests;
mod value;
mod webhook;

pub use self::api::{api_file, api_file_count, api_request};
pub use self::describe::describe;
pub use self::json::{json, linked_account_input};
pub use self::objects::host_object_error;
pub use self::read::{
    PageArguments, client_options, linked_account_id, page_arguments, request_options,
    session_token,
};
pub use self::value::{HostValue, MAX_DEPTH};
pub use self::webhook::webhook_body_type_error;
use std::sync::Arc;

use crate::client::Client;
use crate::error::Error;
pub use crate::options::{
    CACHE_OPTIONS, CLIENT_ALIASES, CLIENT_OPTIONS, Case, ClientOptions, Dialect, DurationUnit,
    HOST_OBJECT_OPTIONS, HostObjectOption, OptionAlias, OptionKind, OptionSpec, PAGE_ARGUMENTS,
    RATE_LIMIT_OPTIONS, REQUEST_ALIASES, REQUEST_OPTIONS, STORE_OPTIONS, TypeWords, UnknownNames,
};
use crate::telemetry::Telemetry;

/// Who builds a client: the host's dialect (it words the problems), the binding's name and its
/// runtime's version (for the `user-agent`, e.g. `node v20.1.0`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostInfo {
    pub dialect: Dialect,
    /// `node`, `python`, `kotlin`, `cli`…
    pub binding: String,
    pub runtime_version: String,
}

impl HostInfo {
    /// The binding named after its dialect.
    pub fn new(dialect: Dialect, runtime_version: impl Into<String>) -> HostInfo {
        HostInfo {
            dialect,
            binding: dialect.name.to_owned(),
            runtime_version: runtime_version.into(),
        }
    }
}

/// Builds a client for a host: `options` checked with messages in the host's words, and the
/// host named in the `user-agent`. No request is sent.
pub fn build_client(options: ClientOptions, host: HostInfo) -> Result<Client, Error> {
    build_observed_client(options, host, None)
}

/// [`build_client`], reporting every call to `telemetry` (the binding's bridge to its host's
/// OpenTelemetry) when given.
pub fn build_observed_client(
    options: ClientOptions,
    host: HostInfo,
    telemetry: Option<Arc<dyn Telemetry>>,
) -> Result<Client, Error> {
    let config = options.resolve(&host.dialect, Some((host.binding, host.runtime_version)))?;
    Client::from_config(config, telemetry)
}
