//! The JavaScript `SessionToken` kept in the core token's host slot (`SessionToken::host_object`):
//! made once per token by index.js's factory, then handed back by every cache hit without
//! converting again.
//!
//! A napi reference may only be used and deleted on the JavaScript thread of the environment
//! that made it, but the core drops tokens anywhere (a cache eviction or refresh on the
//! runtime's thread). So a reference is only read on its environment's thread (the one that
//! asks for it), and a dropped one is queued for that thread, which deletes queued references
//! at its next call into the addon. Once the environment is torn down, queued and later
//! dropped references are left to the environment's own teardown, which frees them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{FunctionRef, Object, ObjectRef};
use napi::{Env, Result};
use refold_session::SessionToken;

use crate::records::TokenPayload;

/// index.js's `(payload) => new SessionToken(payload)`.
pub type TokenFactory = FunctionRef<TokenPayload, ObjectRef<false>>;

/// References dropped off their environment's thread, waiting for it.
#[derive(Default)]
pub struct ReleaseQueue {
    waiting: Mutex<Released>,
    /// Something is waiting: the one check a call makes when nothing is.
    nonempty: AtomicBool,
}

#[derive(Default)]
struct Released {
    references: Vec<ObjectRef<false>>,
    /// The environment is gone: its teardown frees every reference.
    closed: bool,
}

impl ReleaseQueue {
    fn push(&self, reference: ObjectRef<false>) {
        let Ok(mut waiting) = self.waiting.lock() else {
            return;
        };
        if !waiting.closed {
            waiting.references.push(reference);
            self.nonempty.store(true, Ordering::Release);
        }
    }

    /// Deletes the queued references. Only on the environment's own thread.
    pub fn release(&self, env: &Env) {
        if !self.nonempty.swap(false, Ordering::Acquire) {
            return;
        }
        let references = match self.waiting.lock() {
            Ok(mut waiting) => std::mem::take(&mut waiting.references),
            Err(_) => return,
        };
        for reference in references {
            // Fails only for a reference the environment no longer has: nothing to free.
            let _ = reference.unref(env);
        }
    }

    /// The environment is being torn down: forget the queue (its teardown frees them all).
    pub fn close(&self) {
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.closed = true;
            waiting.references.clear();
        }
    }
}

/// What the host slot holds: the reference to the token's JavaScript object, and where it
/// belongs. Empty when the factory failed (then each call makes its own object).
pub struct HostToken {
    reference: Option<ObjectRef<false>>,
    /// The environment that made the reference (`napi_env` as an address, compared only).
    env: usize,
    queue: Arc<ReleaseQueue>,
}

// SAFETY: the reference is only read (`object`) on its own environment's thread, which is
// checked by environment before each use, and released through the queue by that thread
// (`Drop`); sharing the holder between threads shares nothing else.
unsafe impl Send for HostToken {}
unsafe impl Sync for HostToken {}

impl Drop for HostToken {
    fn drop(&mut self) {
        if let Some(reference) = self.reference.take() {
            self.queue.push(reference);
        }
    }
}

/// The JavaScript object of `token` in `env`: the one in its host slot, made by `factory` on
/// first use.
pub fn session_object<'env>(
    env: &'env Env,
    factory: &TokenFactory,
    queue: &Arc<ReleaseQueue>,
    token: &SessionToken,
) -> Result<Object<'env>> {
    let make = || -> Result<ObjectRef<false>> {
        factory.borrow_back(env)?.call(TokenPayload::from(token))
    };
    let mut failure = None;
    let here = env.raw() as usize;
    let host = token.host_object(|| HostToken {
        reference: make().map_err(|error| failure = Some(error)).ok(),
        env: here,
        queue: Arc::clone(queue),
    });
    if let Some(error) = failure {
        return Err(error);
    }
    match host {
        Some(HostToken {
            reference: Some(reference),
            env: made_in,
            ..
        }) if *made_in == here => reference.get_value(env),
        // Made elsewhere, or its factory failed once: a fresh object, not kept.
        _ => {
            let reference = make()?;
            let object = reference.get_value(env);
            let _ = reference.unref(env);
            object
        }
    }
}
