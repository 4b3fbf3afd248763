//! The cache-hit function: one JavaScript function per client that answers a plain session-cache
//! hit (`hit(id)` → the token's `SessionToken` object) or `undefined` (not a plain hit: `token`
//! then decides, errors included). It answers exactly what `NativeClient::token` answers for a
//! hit without options, and is made with Node-API directly because a `#[napi]` method pays
//! napi-rs's receiver-borrow bookkeeping (a process-wide mutex and map, a scope per call) on
//! every call (measured in bench/README.md, round 7).

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::Arc;

use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue, Result, sys};
use refold_session::Client;

use crate::dispatch::Channel;
use crate::host_value::string_text;
use crate::telemetry::{TraceHook, recorded_here};

/// What one hit function reads: its client, the client's token factory and its trace hook.
struct HitState {
    client: Client,
    channel: Arc<Channel>,
    hook: Option<Arc<TraceHook>>,
}

/// The hit function of `client` (a JavaScript function value).
pub fn hit_function<'env>(
    env: &'env Env,
    client: &Client,
    channel: &Arc<Channel>,
    hook: Option<&Arc<TraceHook>>,
) -> Result<Unknown<'env>> {
    let state = Box::into_raw(Box::new(HitState {
        client: client.clone(),
        channel: Arc::clone(channel),
        hook: hook.cloned(),
    }));
    let name = "hit";
    let mut function = ptr::null_mut();
    // SAFETY: `state` stays valid until the finalizer below frees it, which Node runs once the
    // function is garbage (or the environment ends); the callback only reads it.
    let made = unsafe {
        sys::napi_create_function(
            env.raw(),
            name.as_ptr().cast(),
            name.len() as isize,
            Some(answer_hit),
            state.cast(),
            &mut function,
        )
    };
    let finalized = made == sys::Status::napi_ok
        && unsafe {
            sys::napi_add_finalizer(
                env.raw(),
                function,
                state.cast(),
                Some(free_state),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        } == sys::Status::napi_ok;
    if !finalized {
        // SAFETY: no function holds `state` (it failed to be made, or to take ownership).
        drop(unsafe { Box::from_raw(state) });
        return Err(napi::Error::from_reason(
            "the cache-hit function could not be made",
        ));
    }
    // SAFETY: `function` is a live value of this environment, in the caller's handle scope.
    Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), function) })
}

unsafe extern "C" fn free_state(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `HitState` boxed in `hit_function`, freed only here, once.
    drop(unsafe { Box::from_raw(data.cast::<HitState>()) });
}

/// `hit(id)`: the cached token's object, or `undefined` (null here) for anything else — a
/// miss, an id that is not a string, a failure or a panic — which `token` then answers.
unsafe extern "C" fn answer_hit(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut argc = 1usize;
    let mut argv = [ptr::null_mut(); 1];
    let mut data = ptr::null_mut();
    // SAFETY: `argv` has room for `argc` values; `data` receives the function's state pointer.
    let status = unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            &mut data,
        )
    };
    if status != sys::Status::napi_ok || argc == 0 || data.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: `data` is this function's `HitState`, alive while the function is.
    let state = unsafe { &*data.cast::<HitState>() };
    let answer = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `env` and `argv[0]` are this callback's own.
        let id = unsafe { Unknown::from_raw_unchecked(env, argv[0]) };
        let id = string_text(&id).ok()??;
        let env = Env::from_raw(env);
        let token = recorded_here(state.hook.as_ref(), &env, || {
            state.client.cached_token_within(&id, None)
        })?;
        let object = state.channel.token_object(&env, &token).ok()?;
        Some(object.value().value)
    }));
    answer.ok().flatten().unwrap_or(ptr::null_mut())
}
