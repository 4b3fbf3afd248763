//! Test-only (`test-hooks`) census of the addon's objects, process-wide: with it a test
//! proves that a worker that exits leaves nothing behind (its clients, its dispatcher, its
//! calls in flight). Never in release builds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};

use napi_derive::napi;

pub static CLIENTS: AtomicI64 = AtomicI64::new(0);
pub static DISPATCHERS: AtomicI64 = AtomicI64::new(0);
pub static CALLS: AtomicI64 = AtomicI64::new(0);

/// Counts one live object in its counter until dropped.
pub struct Live(&'static AtomicI64);

impl Live {
    pub fn new(counter: &'static AtomicI64) -> Live {
        counter.fetch_add(1, Ordering::SeqCst);
        Live(counter)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How many native clients, dispatchers and calls in flight exist in the whole process
/// (every environment): `{clients, dispatchers, calls}`. Left out of native.d.ts, which must
/// not depend on the build's features.
#[napi(skip_typescript)]
pub fn test_hooks_live_objects() -> HashMap<&'static str, i64> {
    HashMap::from([
        ("clients", CLIENTS.load(Ordering::SeqCst)),
        ("dispatchers", DISPATCHERS.load(Ordering::SeqCst)),
        ("calls", CALLS.load(Ordering::SeqCst)),
    ])
}
