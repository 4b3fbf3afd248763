//! JNI entry points for the hot calls: minting a session token (blocking and suspending) and
//! the synchronous cache lookup. Everything else goes through uniffi.
//!
//! Why (issue #15): through uniffi's Kotlin over JNA, each of these calls cost two native calls
//! (`clone` of the object handle, then the method), a JNA `Structure` for the call status, a
//! `RustBuffer` read through JNA `Memory`, and JNA's cleaner bookkeeping (a `ConcurrentHashMap`
//! entry per `Memory`, JNA issue #1535): that bookkeeping was the top of the JVM profile and
//! grew a cache-hit loop's RSS to ~1 GiB. Here each call is one JNI call: the arguments are the
//! client's handle, the id as a Java `String` and a flag; the answer is one `byte[]` record
//! (below) that `NativeFast.kt` decodes into the same `SessionToken` and the same
//! `RefoldException` subclasses as the uniffi path.
//!
//! The handle is uniffi's own representation of an `Arc<FfiClient>` (`Arc::into_raw`, uniffi
//! 0.32's `Handle::from_arc`): the Kotlin layer takes one strong reference with the generated
//! `uniffiCloneHandle()` when it builds the client, borrows it for every call here (its own
//! in-flight count keeps it alive during a call) and gives it back with [`Java_ai_refold_session_NativeFast_free`]
//! once, after `close()` and the last call in flight.
//!
//! The semantics are the uniffi exports' own: the blocking entry calls
//! `FfiClient::get_token_for_linked_account_blocking` (the cache hit on the calling thread, else
//! the core's call as a task on the binding's runtime, waited for), the lookup calls
//! `FfiClient::cached_token`, the suspending entry spawns the same `mint` on the runtime and
//! hands the record to a Kotlin completion object from the runtime's thread (attached to the
//! JVM once per thread, as a daemon, so it never keeps a JVM alive). An id that is not valid
//! UTF-16 (a lone surrogate) is passed on as `None`, which the core reports as `invalid_input`
//! before any request, as on the uniffi path. No panic crosses JNI: each entry runs under
//! `catch_unwind`, and so does the spawned task; a panic becomes the core's `internal` error.
//!
//! Raw JNI (`jni-sys`) rather than the `jni` crate's safe layer: that layer (0.22) does not
//! attach threads as daemons, and the hot path wants no per-call checks beyond the ones below.
//!
//! # The record (big-endian, as `java.nio.ByteBuffer` reads by default)
//!
//! ```text
//! u8 tag: 0 token | 1 error | 2 released (the client was released: Kotlin throws IllegalStateException)
//! token: str token (UTF-8, a secret) · str linked_account_id · i64 expires_s · i32 expires_nanos
//!        · u8 has_issued [· i64 issued_s · i32 issued_nanos] · str redacted
//! error: u8 variant (FfiError's order, see `variant_index`) · str code · str detail
//!        · u8 has_status [· i32 status] · u8 has_request_id [· str request_id]
//!        · u8 has_retry_after [· f64 seconds] · i32 attempts
//! str:   u32 byte length · UTF-8 bytes
//! ```

use std::collections::HashMap;
use std::ffi::{CStr, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use jni_sys::{
    JNI_OK, JNI_VERSION_1_8, JNIEnv, JNINativeMethod, JavaVM, jboolean, jbyte, jbyteArray, jclass,
    jint, jlong, jmethodID, jobject, jsize, jstring, jvalue,
};
use tokio::task::AbortHandle;

use crate::{FfiClient, FfiError, FfiMintedToken, mint, runtime};

const TAG_TOKEN: u8 = 0;
const TAG_ERROR: u8 = 1;
const TAG_RELEASED: u8 = 2;

/// The JVM (set by `init`, before any other entry can run).
static VM: AtomicUsize = AtomicUsize::new(0);
/// `NativeFast.Completion.complete([B)V`, looked up by `init` on a JVM thread (the runtime's
/// threads cannot look classes up: they only see the system class loader).
static COMPLETE: AtomicUsize = AtomicUsize::new(0);

/// Suspending calls in flight, by id, for `cancel`: `None` while the task is being spawned,
/// then its abort handle. Sharded by id, and nothing but the map operation happens under a
/// shard's lock (the spawn, which may wake a runtime thread, does not).
static CALLS: OnceLock<[Mutex<Shard>; SHARDS]> = OnceLock::new();
type Shard = HashMap<u64, Option<AbortHandle>>;
const SHARDS: usize = 16;
static NEXT_CALL: AtomicU64 = AtomicU64::new(1);

/// JNI entries called (test builds only): the tests' proof that the public API takes this path.
#[cfg(feature = "test-hooks")]
pub(crate) static FAST_CALLS: AtomicU64 = AtomicU64::new(0);

fn counted() {
    #[cfg(feature = "test-hooks")]
    FAST_CALLS.fetch_add(1, Ordering::SeqCst);
}

/// The shard of call `call`, locked.
fn calls(call: u64) -> std::sync::MutexGuard<'static, Shard> {
    CALLS.get_or_init(Default::default)[call as usize % SHARDS]
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---- the record ---------------------------------------------------------------------------

struct Record(Vec<u8>);

impl Record {
    fn new(tag: u8, capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(capacity);
        bytes.push(tag);
        Record(bytes)
    }

    fn u8(&mut self, value: u8) {
        self.0.push(value);
    }

    fn i32(&mut self, value: i32) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }

    fn i64(&mut self, value: i64) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }

    fn str(&mut self, value: &[u8]) {
        // Every text here is bounded far below 4 GiB (the core limits what a server sends).
        self.0
            .extend_from_slice(&u32::try_from(value.len()).unwrap_or(u32::MAX).to_be_bytes());
        self.0.extend_from_slice(value);
    }

    /// uniffi's own encoding of a `SystemTime` (seconds signed, nanoseconds of the distance
    /// from the epoch), decoded in Kotlin as uniffi's `FfiConverterTimestamp` does.
    fn time(&mut self, time: SystemTime) {
        let (sign, offset) = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => (1, after),
            Err(before) => (-1, before.duration()),
        };
        self.i64(sign * i64::try_from(offset.as_secs()).unwrap_or(i64::MAX));
        self.i32(offset.subsec_nanos() as i32);
    }
}

impl Drop for Record {
    /// A token record holds the secret: wiped once copied to the JVM.
    fn drop(&mut self) {
        self.0.fill(0);
    }
}

fn token_record(token: &FfiMintedToken) -> Record {
    let mut record = Record::new(
        TAG_TOKEN,
        64 + token.token_utf8.len() + token.linked_account_id.len() + token.redacted.len(),
    );
    record.str(&token.token_utf8);
    record.str(token.linked_account_id.as_bytes());
    record.time(token.expires_at);
    match token.issued_at {
        Some(issued) => {
            record.u8(1);
            record.time(issued);
        }
        None => record.u8(0),
    }
    record.str(token.redacted.as_bytes());
    record
}

/// `FfiError`'s variants in declaration order (the Kotlin side maps the index to the
/// `RefoldException` subclass `RefoldException.from` gives the uniffi variant).
fn variant_index(err: &FfiError) -> u8 {
    match err {
        FfiError::InvalidInput { .. } => 0,
        FfiError::Configuration { .. } => 1,
        FfiError::BadRequest { .. } => 2,
        FfiError::Authentication { .. } => 3,
        FfiError::PermissionDenied { .. } => 4,
        FfiError::NotFound { .. } => 5,
        FfiError::RateLimited { .. } => 6,
        FfiError::InvalidLinkedAccount { .. } => 7,
        FfiError::ServerError { .. } => 8,
        FfiError::Timeout { .. } => 9,
        FfiError::Connection { .. } => 10,
        FfiError::InvalidResponse { .. } => 11,
        FfiError::UnexpectedStatus { .. } => 12,
        FfiError::Internal { .. } => 13,
    }
}

fn error_record(err: &FfiError) -> Record {
    let info = err.info();
    let mut record = Record::new(TAG_ERROR, 64 + info.code.len() + info.detail.len());
    record.u8(variant_index(err));
    record.str(info.code.as_bytes());
    record.str(info.detail.as_bytes());
    match info.status {
        Some(status) => {
            record.u8(1);
            record.i32(status);
        }
        None => record.u8(0),
    }
    match &info.request_id {
        Some(id) => {
            record.u8(1);
            record.str(id.as_bytes());
        }
        None => record.u8(0),
    }
    match info.retry_after_seconds {
        Some(seconds) => {
            record.u8(1);
            record.0.extend_from_slice(&seconds.to_be_bytes());
        }
        None => record.u8(0),
    }
    record.i32(info.attempts);
    record
}

fn outcome_record(outcome: Result<Option<FfiMintedToken>, FfiError>) -> Record {
    match outcome {
        Ok(Some(token)) => token_record(&token),
        Ok(None) => Record::new(TAG_RELEASED, 1),
        Err(err) => error_record(&err),
    }
}

// ---- raw JNI ------------------------------------------------------------------------------

/// The function table of `env` (every function used here exists since JNI 1.4).
unsafe fn fns(env: *mut JNIEnv) -> &'static jni_sys::JNINativeInterface__1_4 {
    unsafe { &(**env).v1_4 }
}

/// The id as Rust text; `None` for null or for UTF-16 that is not valid Unicode (a lone
/// surrogate), which the core reports as `invalid_input` with nothing sent.
unsafe fn id_text(env: *mut JNIEnv, id: jstring) -> Option<String> {
    if id.is_null() {
        return None;
    }
    unsafe {
        let f = fns(env);
        let len = (f.GetStringLength)(env, id);
        let mut units = vec![0u16; usize::try_from(len).unwrap_or(0)];
        (f.GetStringRegion)(env, id, 0, len, units.as_mut_ptr());
        String::from_utf16(&units).ok()
    }
}

/// A new `byte[]` holding `record` (null, with an `OutOfMemoryError` pending, if the JVM has no
/// room: the Kotlin side then sees that error).
unsafe fn byte_array(env: *mut JNIEnv, record: &Record) -> jbyteArray {
    unsafe {
        let f = fns(env);
        let len = jsize::try_from(record.0.len()).unwrap_or(jsize::MAX);
        let array = (f.NewByteArray)(env, len);
        if !array.is_null() {
            (f.SetByteArrayRegion)(env, array, 0, len, record.0.as_ptr().cast::<jbyte>());
        }
        array
    }
}

/// The calling thread's `JNIEnv`: a JVM thread's own, or this (runtime) thread attached once as
/// a daemon (it stays attached until it exits; daemons never keep the JVM alive).
fn thread_env() -> Option<*mut JNIEnv> {
    let vm = VM.load(Ordering::Acquire) as *mut JavaVM;
    if vm.is_null() {
        return None;
    }
    unsafe {
        let invoke = &(**vm).v1_4;
        let mut env: *mut c_void = ptr::null_mut();
        if (invoke.GetEnv)(vm, &mut env, JNI_VERSION_1_8) == JNI_OK && !env.is_null() {
            return Some(env.cast());
        }
        let mut env: *mut c_void = ptr::null_mut();
        if (invoke.AttachCurrentThreadAsDaemon)(vm, &mut env, ptr::null_mut()) == JNI_OK
            && !env.is_null()
        {
            return Some(env.cast());
        }
    }
    None
}

/// A Kotlin `NativeFast.Completion` (a global reference), completed at most once; deleted when
/// dropped (also when the task is aborted by `cancel`, and the record is then never delivered:
/// the coroutine was cancelled).
struct Completion(jobject);

// A global reference may be used and deleted from any attached thread.
unsafe impl Send for Completion {}

impl Completion {
    fn complete(self, record: &Record) {
        let method = COMPLETE.load(Ordering::Acquire) as jmethodID;
        if let Some(env) = thread_env() {
            unsafe {
                let f = fns(env);
                let array = byte_array(env, record);
                if !array.is_null() {
                    let args = [jvalue { l: array }];
                    (f.CallVoidMethodA)(env, self.0, method, args.as_ptr());
                    (f.DeleteLocalRef)(env, array);
                }
                // `complete` throws nothing by design; never leave a pending exception behind
                // on a runtime thread.
                if (f.ExceptionCheck)(env) {
                    (f.ExceptionClear)(env);
                }
            }
        }
        // `self` dropped here: the global reference is deleted.
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if let Some(env) = thread_env() {
            unsafe { (fns(env).DeleteGlobalRef)(env, self.0) };
        }
    }
}

/// A future that turns a panic while polling into the `internal` error (the task then still
/// completes the coroutine).
struct CatchUnwind<F>(Pin<Box<F>>);

impl<T, F: Future<Output = Result<T, FfiError>>> Future for CatchUnwind<F> {
    type Output = Result<T, FfiError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Err(FfiError::from_panic(payload))),
        }
    }
}

/// The client behind a handle from `uniffiCloneHandle()`, borrowed for the call.
///
/// # Safety
/// `handle` is a live `Arc<FfiClient>` pointer the Kotlin side keeps alive during the call.
unsafe fn client<'a>(handle: jlong) -> &'a FfiClient {
    unsafe { &*(handle as usize as *const FfiClient) }
}

/// Runs an entry's body, turning a panic into the `internal` error's record.
fn guarded(body: impl FnOnce() -> Record) -> Record {
    catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|payload| error_record(&FfiError::from_panic(payload)))
}

// ---- the entries (ai.refold.session.NativeFast, static) -------------------------------------

/// Binds `NativeFast`'s native methods to this copy of the library (`RegisterNatives`). Called
/// by the Kotlin layer through JNA, on the library instance uniffi's bindings loaded: a jar's
/// library is extracted by JNA to a temporary file that JNA deletes once it is loaded, so the
/// JVM cannot `System.load` it again, and binding by registration also makes sure JNI runs the
/// very copy uniffi uses. Returns JNI's status (0: bound).
#[unsafe(no_mangle)]
pub extern "C" fn refold_session_kotlin_register_natives(env: *mut JNIEnv, class: jclass) -> jint {
    let methods: [(&CStr, &CStr, *mut c_void); 6] = [
        (
            c"init",
            c"(Ljava/lang/Class;J)Z",
            Java_ai_refold_session_NativeFast_init as *mut c_void,
        ),
        (
            c"mintBlocking",
            c"(JLjava/lang/String;Z)[B",
            Java_ai_refold_session_NativeFast_mintBlocking as *mut c_void,
        ),
        (
            c"cachedToken",
            c"(JLjava/lang/String;)[B",
            Java_ai_refold_session_NativeFast_cachedToken as *mut c_void,
        ),
        (
            c"mintStart",
            c"(JLjava/lang/String;ZLai/refold/session/NativeFast$Completion;)J",
            Java_ai_refold_session_NativeFast_mintStart as *mut c_void,
        ),
        (
            c"cancel",
            c"(J)V",
            Java_ai_refold_session_NativeFast_cancel as *mut c_void,
        ),
        (
            c"free",
            c"(J)V",
            Java_ai_refold_session_NativeFast_free as *mut c_void,
        ),
    ];
    register(env, class, &methods)
}

/// Test builds only: binds `NativeFastTestHooks` (the tests' class) the same way.
#[cfg(feature = "test-hooks")]
#[unsafe(no_mangle)]
pub extern "C" fn refold_session_kotlin_register_test_natives(
    env: *mut JNIEnv,
    class: jclass,
) -> jint {
    let methods: [(&CStr, &CStr, *mut c_void); 1] = [(
        c"errorRecord",
        c"(I)[B",
        Java_ai_refold_session_NativeFastTestHooks_errorRecord as *mut c_void,
    )];
    register(env, class, &methods)
}

fn register(env: *mut JNIEnv, class: jclass, methods: &[(&CStr, &CStr, *mut c_void)]) -> jint {
    catch_unwind(AssertUnwindSafe(|| unsafe {
        let methods: Vec<JNINativeMethod> = methods
            .iter()
            .map(|(name, signature, function)| JNINativeMethod {
                name: name.as_ptr().cast_mut(),
                signature: signature.as_ptr().cast_mut(),
                fnPtr: *function,
            })
            .collect();
        let status =
            (fns(env).RegisterNatives)(env, class, methods.as_ptr(), methods.len() as jint);
        if status != JNI_OK {
            (fns(env).ExceptionClear)(env);
        }
        status
    }))
    .unwrap_or(jni_sys::JNI_ERR)
}

/// This copy's address of `init` (see `fast_entry_address`).
pub(crate) fn entry_address() -> u64 {
    let init: extern "system" fn(*mut JNIEnv, jclass, jclass, jlong) -> jboolean =
        Java_ai_refold_session_NativeFast_init;
    init as usize as u64
}

/// `init(Class<Completion>, expected)`: records the JVM and `Completion.complete`'s method id.
/// Returns false (the Kotlin layer then keeps the uniffi path) if either is missing, or if
/// `expected` (`fast_entry_address()` as uniffi's copy of the library answers it) is not this
/// copy's: JNI would then run another copy of the library, with its own runtime.
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFast_init(
    env: *mut JNIEnv,
    _class: jclass,
    completion: jclass,
    expected: jlong,
) -> jboolean {
    catch_unwind(AssertUnwindSafe(|| unsafe {
        if expected as u64 != entry_address() {
            return false;
        }
        let f = fns(env);
        let mut vm: *mut JavaVM = ptr::null_mut();
        if (f.GetJavaVM)(env, &mut vm) != JNI_OK || vm.is_null() {
            return false;
        }
        let method = (f.GetMethodID)(env, completion, c"complete".as_ptr(), c"([B)V".as_ptr());
        if method.is_null() {
            (f.ExceptionClear)(env);
            return false;
        }
        VM.store(vm as usize, Ordering::Release);
        COMPLETE.store(method as usize, Ordering::Release);
        true
    }))
    .unwrap_or(false)
}

/// `mintBlocking(handle, id, fresh): ByteArray`: `getTokenForLinkedAccountBlocking`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFast_mintBlocking(
    env: *mut JNIEnv,
    _class: jclass,
    handle: jlong,
    id: jstring,
    fresh: jboolean,
) -> jbyteArray {
    counted();
    let record = guarded(|| {
        let id = unsafe { id_text(env, id) };
        let client = unsafe { client(handle) };
        outcome_record(client.get_token_for_linked_account_blocking(id, fresh))
    });
    unsafe { byte_array(env, &record) }
}

/// `cachedToken(handle, id): ByteArray?`: the cache's synchronous answer, null when it has
/// none (a miss, no cache, an id that is not valid Unicode) — the caller then mints.
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFast_cachedToken(
    env: *mut JNIEnv,
    _class: jclass,
    handle: jlong,
    id: jstring,
) -> jbyteArray {
    counted();
    let record = guarded(|| {
        let id = unsafe { id_text(env, id) };
        let client = unsafe { client(handle) };
        match client.cached_token(id) {
            Ok(None) => Record::new(TAG_RELEASED, 0),
            outcome => outcome_record(outcome),
        }
    });
    if record.0.len() == 1 && record.0[0] == TAG_RELEASED {
        return ptr::null_mut();
    }
    unsafe { byte_array(env, &record) }
}

/// `mintStart(handle, id, fresh, completion): Long`: `getTokenForLinkedAccount` as a task on
/// the runtime that calls `completion.complete(record)` when done. Returns the call's id for
/// `cancel`, or 0 when the record was delivered before returning (released client, an error
/// before the task could start).
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFast_mintStart(
    env: *mut JNIEnv,
    _class: jclass,
    handle: jlong,
    id: jstring,
    fresh: jboolean,
    completion: jobject,
) -> jlong {
    counted();
    let started = catch_unwind(AssertUnwindSafe(|| -> Result<Option<u64>, FfiError> {
        let id = unsafe { id_text(env, id) };
        let ffi = unsafe { client(handle) };
        let Some(client) = ffi.current() else {
            return Ok(None);
        };
        let runtime = runtime()?;
        let global = unsafe { (fns(env).NewGlobalRef)(env, completion) };
        if global.is_null() {
            return Ok(Some(0)); // OutOfMemoryError pending: thrown by mintStart
        }
        let completion = Completion(global);
        #[cfg(feature = "test-hooks")]
        ffi.spawned.fetch_add(1, Ordering::SeqCst);
        let call = NEXT_CALL.fetch_add(1, Ordering::Relaxed);
        // Registered before the spawn, so that the task, which removes it when done, always
        // finds it; `cancel` comes only after `mintStart` has returned, so it finds the abort
        // handle, or nothing once the task is done.
        calls(call).insert(call, None);
        let task = runtime.spawn(async move {
            let outcome = CatchUnwind(Box::pin(mint(client, id, fresh))).await;
            calls(call).remove(&call);
            completion.complete(&outcome_record(outcome.map(Some)));
        });
        if let Some(slot) = calls(call).get_mut(&call) {
            *slot = Some(task.abort_handle());
        }
        Ok(Some(call))
    }));
    let record = match started {
        Ok(Ok(Some(call))) => return call as jlong,
        Ok(Ok(None)) => Record::new(TAG_RELEASED, 1),
        Ok(Err(err)) => error_record(&err),
        Err(payload) => error_record(&FfiError::from_panic(payload)),
    };
    // Delivered on this (JVM) thread, before returning; an exception `complete` throws stays
    // pending and is thrown by `mintStart`.
    unsafe {
        let f = fns(env);
        let array = byte_array(env, &record);
        if !array.is_null() {
            let method = COMPLETE.load(Ordering::Acquire) as jmethodID;
            let args = [jvalue { l: array }];
            (f.CallVoidMethodA)(env, completion, method, args.as_ptr());
            (f.DeleteLocalRef)(env, array);
        }
    }
    0
}

/// `cancel(call)`: aborts a suspending call in flight (its coroutine was cancelled); nothing
/// for a call that has finished. The aborted task drops the request, as dropping the core's
/// future does, and never completes.
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFast_cancel(
    _env: *mut JNIEnv,
    _class: jclass,
    call: jlong,
) {
    let _ = catch_unwind(|| {
        let task = calls(call as u64).remove(&(call as u64)).flatten();
        if let Some(task) = task {
            task.abort();
        }
    });
}

/// `free(handle)`: gives back the strong reference the Kotlin layer took with
/// `uniffiCloneHandle()` (once, after `close()` and its last call in flight, or by its cleaner).
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFast_free(
    _env: *mut JNIEnv,
    _class: jclass,
    handle: jlong,
) {
    if handle != 0 {
        let _ =
            catch_unwind(|| drop(unsafe { Arc::from_raw(handle as usize as *const FfiClient) }));
    }
}

/// Test builds only: the error record of `FfiError` variant `variant` with every field set
/// (the tests compare it with the uniffi path's exception for the same error).
#[cfg(feature = "test-hooks")]
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFastTestHooks_errorRecord(
    env: *mut JNIEnv,
    _class: jclass,
    variant: jni_sys::jint,
) -> jbyteArray {
    let record = error_record(&crate::test_error(variant));
    unsafe { byte_array(env, &record) }
}
