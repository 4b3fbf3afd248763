//! Refold's whole API as data: one [`Operation`] per operation ([`OPERATIONS`]) and typed
//! [`models`] of its JSON, generated from Refold's API description by `codegen/` (see
//! `codegen/README.md`; `make generate` rewrites `operations.rs`, `models.rs` and
//! `roundtrip.rs`, `make check-generated` fails when they are stale).

pub mod models;
mod operation;
mod operations;
#[cfg(test)]
mod roundtrip;
#[cfg(test)]
mod tests;

pub use operation::{
    Auth, BodyKind, LinkedAccountHeader, Method, Operation, Pagination, Param, ParamKind,
    ParamLocation, RetryRule,
};
pub use operations::{OPERATIONS, by_id};
