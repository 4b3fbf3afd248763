//! JNI entry points for the hot calls: minting a session token (blocking and suspending) and
//! the synchronous cache lookup. Everything else goes through uniffi.
//!
//! Why (issue #15): through uniffi's Kotlin over JNA, each of these calls cost two native calls,
//! a JNA `Structure` for the call status, a `RustBuffer` read through JNA `Memory`, and JNA's
//! cleaner bookkeeping (JNA issue #1535), which topped the JVM profile. Here each call is one
//! JNI call, and its answer is the Kotlin `SessionToken` itself: made once per token (by
//! `NativeFast.adopt` from the record below) and kept as a JNI global reference in the core
//! token's host slot (`SessionToken::host_object`), so every cache hit of that token hands back
//! the same object without converting anything. A failure answers a `byte[]` error record that
//! `NativeFast.kt` throws as the `RefoldException` the uniffi path throws for it.
//!
//! The handle is this crate's own `Arc::into_raw` of the `FfiClient` (`FfiClient::fast_handle`,
//! taken once when the Kotlin client is built): nothing here depends on uniffi's handle layout.
//! The Kotlin side borrows it for every call (its own in-flight count keeps it alive during a
//! call) and gives it back with [`Java_ai_refold_session_NativeFast_free`] once, after
//! `close()` and the last call in flight.
//!
//! The semantics are the uniffi exports' own: the blocking entry calls
//! `FfiClient::mint_blocking` (the cache hit on the calling thread, else the core's call on
//! it), the lookup calls `FfiClient::hit`, the suspending entry spawns the same `mint` on the
//! runtime and hands the answer to a Kotlin completion object from the runtime's thread
//! (attached to the JVM once per thread, as a daemon, so it never keeps a JVM alive). An id that
//! is not valid UTF-16 (a lone surrogate) is passed on as `None`, which the core reports as
//! `invalid_input` before any request, as on the uniffi path. No panic crosses JNI: each entry
//! runs under `catch_unwind`, and so does the spawned task; a panic becomes the core's
//! `internal` error.
//!
//! Raw JNI (`jni-sys`) rather than the `jni` crate's safe layer: that layer (0.22) does not
//! attach threads as daemons, and the hot path wants no per-call checks beyond the ones below.
//!
//! # The records (big-endian, as `java.nio.ByteBuffer` reads by default)
//!
//! ```text
//! token (to NativeFast.adopt): str token (UTF-8, a secret) · str linked_account_id · time expires
//!        · opt time issued · str redacted · opt str refresh_token (a secret)
//!        · opt time refresh_expires · opt str refresh_redacted
//! error: str code · str detail · opt i32 status · opt str request_id · opt duration retry_after
//!        · i32 attempts · opt str server_code · opt str http_error_type
//! str: u32 byte length · UTF-8 bytes      opt X: u8 0 | u8 1 · X
//! time: i64 seconds (signed) · i32 nanoseconds (uniffi's timestamp)   duration: i64 s · i32 ns
//! ```

use std::collections::HashMap;
use std::ffi::{CStr, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jni_sys::{
    JNI_OK, JNI_VERSION_1_8, JNIEnv, JNINativeMethod, JavaVM, jboolean, jbyte, jbyteArray, jclass,
    jint, jlong, jmethodID, jobject, jsize, jstring, jvalue,
};
use refold_session::telemetry::TraceParent;
use refold_session::{REDACTED, SessionToken};
use tokio::task::AbortHandle;

use crate::{FfiClient, FfiError, mint, runtime};

/// The JVM (set by `init`, before any other entry can run).
static VM: AtomicUsize = AtomicUsize::new(0);
/// `NativeFast.Completion.complete(Object)`, looked up by `init` on a JVM thread (the runtime's
/// threads cannot look classes up: they only see the system class loader).
static COMPLETE: AtomicUsize = AtomicUsize::new(0);
/// `NativeFast` (a global reference) and its static `adopt([B)SessionToken`, likewise.
static NATIVE_FAST: AtomicUsize = AtomicUsize::new(0);
static ADOPT: AtomicUsize = AtomicUsize::new(0);
/// `NativeFast.record([B)V` and `NativeFast.log(I[B)V`: a call's trace (`telemetry.rs`) and a
/// log line (`logs.rs`), likewise.
static RECORD: AtomicUsize = AtomicUsize::new(0);
static LOG: AtomicUsize = AtomicUsize::new(0);

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

// ---- the records --------------------------------------------------------------------------

pub(crate) struct Record(Vec<u8>);

impl Record {
    pub(crate) fn new(capacity: usize) -> Self {
        Record(Vec::with_capacity(capacity))
    }

    pub(crate) fn u8(&mut self, value: u8) {
        self.0.push(value);
    }

    pub(crate) fn i32(&mut self, value: i32) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }

    pub(crate) fn i64(&mut self, value: i64) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }

    pub(crate) fn str(&mut self, value: &[u8]) {
        // Every text here is bounded far below 4 GiB (the core limits what a server sends).
        self.0
            .extend_from_slice(&u32::try_from(value.len()).unwrap_or(u32::MAX).to_be_bytes());
        self.0.extend_from_slice(value);
    }

    /// uniffi's own encoding of a `SystemTime` (seconds signed, nanoseconds of the distance
    /// from the epoch), decoded in Kotlin as uniffi's `FfiConverterTimestamp` does.
    pub(crate) fn time(&mut self, time: SystemTime) {
        let (sign, offset) = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => (1, after),
            Err(before) => (-1, before.duration()),
        };
        self.duration(offset, sign);
    }

    pub(crate) fn duration(&mut self, duration: Duration, sign: i64) {
        self.i64(sign * i64::try_from(duration.as_secs()).unwrap_or(i64::MAX));
        self.i32(duration.subsec_nanos() as i32);
    }

    /// `None` as 0, `Some(x)` as 1 then `x`.
    pub(crate) fn opt<T>(&mut self, value: Option<T>, write: impl FnOnce(&mut Self, T)) {
        match value {
            Some(value) => {
                self.u8(1);
                write(self, value);
            }
            None => self.u8(0),
        }
    }
}

impl Drop for Record {
    /// A token record holds the secrets: wiped once copied to the JVM.
    fn drop(&mut self) {
        self.0.fill(0);
    }
}

fn token_record(token: &SessionToken) -> Record {
    let refresh = token.refresh_token();
    let mut record = Record::new(
        96 + token.token().len() + token.linked_account_id().len() + refresh.map_or(0, str::len),
    );
    record.str(token.token().as_bytes());
    record.str(token.linked_account_id().as_bytes());
    record.time(token.expires_at());
    record.opt(token.issued_at(), Record::time);
    record.str(token.redacted().as_bytes());
    record.opt(refresh, |r, text| r.str(text.as_bytes()));
    record.opt(token.refresh_expires_at(), Record::time);
    record.opt(refresh.map(|_| REDACTED), |r, text| r.str(text.as_bytes()));
    record
}

fn error_record(err: &FfiError) -> Record {
    let info = err.info();
    let mut record = Record::new(96 + info.code.len() + info.detail.len());
    record.str(info.code.as_bytes());
    record.str(info.detail.as_bytes());
    record.opt(info.status, Record::i32);
    record.opt(info.request_id.as_deref(), |r, id| r.str(id.as_bytes()));
    record.opt(info.retry_after, |r, wait| r.duration(wait, 1));
    record.i32(info.attempts);
    record.opt(info.server_code.as_deref(), |r, code| {
        r.str(code.as_bytes())
    });
    record.opt(info.http_error_type.as_deref(), |r, kind| {
        r.str(kind.as_bytes())
    });
    record
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

/// The bytes of a `byte[]` (null: `None`): the per-call options' host value.
unsafe fn bytes(env: *mut JNIEnv, array: jbyteArray) -> Option<Vec<u8>> {
    if array.is_null() {
        return None;
    }
    unsafe {
        let f = fns(env);
        let len = (f.GetArrayLength)(env, array);
        let mut bytes = vec![0u8; usize::try_from(len).unwrap_or(0)];
        (f.GetByteArrayRegion)(env, array, 0, len, bytes.as_mut_ptr().cast::<jbyte>());
        Some(bytes)
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

/// A JNI global reference, usable and deleted from any attached thread.
struct Global(jobject);

unsafe impl Send for Global {}
unsafe impl Sync for Global {}

impl Drop for Global {
    fn drop(&mut self) {
        if !self.0.is_null()
            && let Some(env) = thread_env()
        {
            unsafe { (fns(env).DeleteGlobalRef)(env, self.0) };
        }
    }
}

/// The Kotlin `SessionToken` of `token` (a new local reference): the one kept in the token's
/// host slot, made by `NativeFast.adopt` on first use. Null with a Java exception pending if
/// the JVM could not make it (out of memory); the exception is then thrown to the caller.
unsafe fn host_token(env: *mut JNIEnv, token: &SessionToken) -> jobject {
    unsafe {
        let f = fns(env);
        let kept = token.host_object(|| {
            let local = adopt(env, token);
            let global = if local.is_null() {
                ptr::null_mut()
            } else {
                let global = (f.NewGlobalRef)(env, local);
                (f.DeleteLocalRef)(env, local);
                global
            };
            Global(global)
        });
        match kept {
            Some(Global(global)) if !global.is_null() => (f.NewLocalRef)(env, *global),
            // Not kept (the JVM was out of memory): made for this call only, unless an
            // exception is pending (then JNI allows no further call).
            _ if (f.ExceptionCheck)(env) => ptr::null_mut(),
            _ => adopt(env, token),
        }
    }
}

/// `NativeFast.adopt(record)`: the Kotlin `SessionToken` of `token`, a local reference.
unsafe fn adopt(env: *mut JNIEnv, token: &SessionToken) -> jobject {
    unsafe {
        let f = fns(env);
        let record = token_record(token);
        let array = byte_array(env, &record);
        if array.is_null() {
            return ptr::null_mut();
        }
        let class = NATIVE_FAST.load(Ordering::Acquire) as jclass;
        let method = ADOPT.load(Ordering::Acquire) as jmethodID;
        let args = [jvalue { l: array }];
        let object = (f.CallStaticObjectMethodA)(env, class, method, args.as_ptr());
        (f.DeleteLocalRef)(env, array);
        object
    }
}

/// What an entry answers Kotlin: the `SessionToken`, a `byte[]` error record, or null (no
/// answer: a released client, or a cache miss).
unsafe fn answer(env: *mut JNIEnv, outcome: Result<Option<SessionToken>, FfiError>) -> jobject {
    unsafe {
        match outcome {
            Ok(Some(token)) => host_token(env, &token),
            Ok(None) => ptr::null_mut(),
            Err(err) => byte_array(env, &error_record(&err)),
        }
    }
}

/// Runs an entry's body; a panic becomes the `internal` error's record.
unsafe fn guarded(
    env: *mut JNIEnv,
    body: impl FnOnce() -> Result<Option<SessionToken>, FfiError>,
) -> jobject {
    let outcome = catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|payload| Err(FfiError::from_panic(payload)));
    catch_unwind(AssertUnwindSafe(|| unsafe { answer(env, outcome) })).unwrap_or(ptr::null_mut())
}

/// A Kotlin `NativeFast.Completion` (a global reference), completed at most once; deleted when
/// dropped (also when the task is aborted by `cancel`, and the answer is then never delivered:
/// the coroutine was cancelled).
struct Completion(Global);

impl Completion {
    fn complete(self, outcome: Result<Option<SessionToken>, FfiError>) {
        if let Some(env) = thread_env() {
            unsafe { deliver(env, self.0.0, outcome) };
        }
        // `self` dropped here: the global reference is deleted.
    }
}

/// Calls `completion.complete(answer)` on `env`'s thread.
unsafe fn deliver(
    env: *mut JNIEnv,
    completion: jobject,
    outcome: Result<Option<SessionToken>, FfiError>,
) {
    unsafe {
        let f = fns(env);
        let value = answer(env, outcome);
        if (f.ExceptionCheck)(env) {
            // The JVM could not make the answer (out of memory): the coroutine still resumes,
            // with the `internal` error.
            (f.ExceptionClear)(env);
            let err = refold_session::Error::internal("the JVM could not hold the answer");
            call_complete(env, completion, byte_array(env, &error_record(&err.into())));
        } else {
            call_complete(env, completion, value);
        }
        // `complete` throws nothing by design; never leave a pending exception behind on a
        // runtime thread.
        if (f.ExceptionCheck)(env) {
            (f.ExceptionClear)(env);
        }
    }
}

unsafe fn call_complete(env: *mut JNIEnv, completion: jobject, value: jobject) {
    unsafe {
        let f = fns(env);
        let method = COMPLETE.load(Ordering::Acquire) as jmethodID;
        let args = [jvalue { l: value }];
        (f.CallVoidMethodA)(env, completion, method, args.as_ptr());
        if !value.is_null() {
            (f.DeleteLocalRef)(env, value);
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

/// The client behind a handle from `FfiClient::fast_handle`, borrowed for the call.
///
/// # Safety
/// `handle` is a live `Arc<FfiClient>` pointer the Kotlin side keeps alive during the call.
unsafe fn client<'a>(handle: jlong) -> &'a FfiClient {
    unsafe { &*(handle as usize as *const FfiClient) }
}

// ---- the entries (ai.refold.session.NativeFast, static) -------------------------------------

/// Binds `NativeFast`'s native methods to this copy of the library (`RegisterNatives`). Called
/// by the Kotlin layer through JNA, on the library instance uniffi's bindings loaded: a jar's
/// library is extracted by JNA to a temporary file that JNA deletes once it is loaded, so the
/// JVM cannot `System.load` it again, and binding by registration also makes sure JNI runs the
/// very copy uniffi uses. Returns JNI's status (0: bound).
#[unsafe(no_mangle)]
pub extern "C" fn refold_session_kotlin_register_natives(env: *mut JNIEnv, class: jclass) -> jint {
    let methods: [(&CStr, &CStr, *mut c_void); 8] = [
        (
            c"init",
            c"(Ljava/lang/Class;J)Z",
            Java_ai_refold_session_NativeFast_init as *mut c_void,
        ),
        (
            c"mintBlocking",
            c"(JLjava/lang/String;Z[B)Ljava/lang/Object;",
            Java_ai_refold_session_NativeFast_mintBlocking as *mut c_void,
        ),
        (
            c"cachedToken",
            c"(JLjava/lang/String;Ljava/lang/String;)Ljava/lang/Object;",
            Java_ai_refold_session_NativeFast_cachedToken as *mut c_void,
        ),
        (
            c"mintStart",
            c"(JLjava/lang/String;Z[BLai/refold/session/NativeFast$Completion;)J",
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
        (
            c"setRecording",
            c"(Z)V",
            Java_ai_refold_session_NativeFast_setRecording as *mut c_void,
        ),
        (
            c"installLogger",
            c"(I)Z",
            Java_ai_refold_session_NativeFast_installLogger as *mut c_void,
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
        c"(Ljava/lang/String;)[B",
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

/// `init(Class<Completion>, expected)`: records the JVM, `Completion.complete` and
/// `NativeFast.adopt`. Returns false (the Kotlin layer then keeps the uniffi path) if any is
/// missing, or if `expected` (`fast_entry_address()` as uniffi's copy of the library answers
/// it) is not this copy's: JNI would then run another copy of the library, with its own runtime.
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFast_init(
    env: *mut JNIEnv,
    class: jclass,
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
        let complete = (f.GetMethodID)(
            env,
            completion,
            c"complete".as_ptr(),
            c"(Ljava/lang/Object;)V".as_ptr(),
        );
        let adopt = (f.GetStaticMethodID)(
            env,
            class,
            c"adopt".as_ptr(),
            c"([B)Lai/refold/session/SessionToken;".as_ptr(),
        );
        let record = (f.GetStaticMethodID)(env, class, c"record".as_ptr(), c"([B)V".as_ptr());
        let log = (f.GetStaticMethodID)(env, class, c"log".as_ptr(), c"(I[B)V".as_ptr());
        if complete.is_null() || adopt.is_null() || record.is_null() || log.is_null() {
            (f.ExceptionClear)(env);
            return false;
        }
        let global = (f.NewGlobalRef)(env, class);
        if global.is_null() {
            (f.ExceptionClear)(env);
            return false;
        }
        VM.store(vm as usize, Ordering::Release);
        COMPLETE.store(complete as usize, Ordering::Release);
        ADOPT.store(adopt as usize, Ordering::Release);
        RECORD.store(record as usize, Ordering::Release);
        LOG.store(log as usize, Ordering::Release);
        // Kept for the process's life (the class is never unloaded while the library is in use).
        NATIVE_FAST.store(global as usize, Ordering::Release);
        true
    }))
    .unwrap_or(false)
}

/// `mintBlocking(handle, id, fresh, options): Any?`: `getTokenForLinkedAccountBlocking`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFast_mintBlocking(
    env: *mut JNIEnv,
    _class: jclass,
    handle: jlong,
    id: jstring,
    fresh: jboolean,
    options: jbyteArray,
) -> jobject {
    counted();
    unsafe {
        guarded(env, || {
            let id = id_text(env, id);
            let options = bytes(env, options);
            client(handle).mint_blocking(id, fresh, options)
        })
    }
}

/// `cachedToken(handle, id, parent): Any?`: the cache's synchronous answer, null when it has
/// none (a miss, no cache, an id that is not valid Unicode, a released client) — the caller
/// then mints. `parent` (null: none) is the traceparent the hit is recorded under.
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFast_cachedToken(
    env: *mut JNIEnv,
    _class: jclass,
    handle: jlong,
    id: jstring,
    parent: jstring,
) -> jobject {
    counted();
    unsafe {
        guarded(env, || {
            let id = id_text(env, id);
            let parent = id_text(env, parent).and_then(|text| TraceParent::parse(&text).ok());
            client(handle).hit(id.as_deref(), parent)
        })
    }
}

/// `mintStart(handle, id, fresh, options, completion): Long`: `getTokenForLinkedAccount` as a
/// task on the runtime that calls `completion.complete(answer)` when done. Returns the call's
/// id for `cancel`, or 0 when the answer was delivered before returning (released client, an
/// error before the task could start).
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFast_mintStart(
    env: *mut JNIEnv,
    _class: jclass,
    handle: jlong,
    id: jstring,
    fresh: jboolean,
    options: jbyteArray,
    completion: jobject,
) -> jlong {
    counted();
    let started = catch_unwind(AssertUnwindSafe(|| -> Result<Option<u64>, FfiError> {
        let id = unsafe { id_text(env, id) };
        let options = unsafe { bytes(env, options) };
        let ffi = unsafe { client(handle) };
        let Some(client) = ffi.current() else {
            return Ok(None);
        };
        let runtime = runtime()?;
        let global = unsafe { (fns(env).NewGlobalRef)(env, completion) };
        if global.is_null() {
            return Ok(Some(0)); // OutOfMemoryError pending: thrown by mintStart
        }
        let completion = Completion(Global(global));
        ffi.count_run();
        let call = NEXT_CALL.fetch_add(1, Ordering::Relaxed);
        // Registered before the spawn, so that the task, which removes it when done, always
        // finds it; `cancel` comes only after `mintStart` has returned, so it finds the abort
        // handle, or nothing once the task is done.
        calls(call).insert(call, None);
        let task = runtime.spawn(async move {
            let outcome = CatchUnwind(Box::pin(mint(client, id, fresh, options))).await;
            calls(call).remove(&call);
            completion.complete(outcome.map(Some));
        });
        if let Some(slot) = calls(call).get_mut(&call) {
            *slot = Some(task.abort_handle());
        }
        Ok(Some(call))
    }));
    let outcome = match started {
        Ok(Ok(Some(call))) => return call as jlong,
        Ok(Ok(None)) => Ok(None),
        Ok(Err(err)) => Err(err),
        Err(payload) => Err(FfiError::from_panic(payload)),
    };
    // Delivered on this (JVM) thread, before returning; an exception `complete` throws stays
    // pending and is thrown by `mintStart`.
    let _ = catch_unwind(AssertUnwindSafe(|| unsafe {
        let value = answer(env, outcome);
        call_complete(env, completion, value);
    }));
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

/// `free(handle)`: gives back the strong reference `FfiClient::fast_handle` took (once, after
/// `close()` and its last call in flight, or by its cleaner).
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

/// `setRecording(on)`: whether the application has an OpenTelemetry registered, so that the
/// telemetry hook (`telemetry.rs`) hands traces to the JVM.
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFast_setRecording(
    _env: *mut JNIEnv,
    _class: jclass,
    on: jboolean,
) {
    crate::telemetry::set_recording(on);
}

/// `installLogger(level)`: forwards the core's log lines from `level` (SLF4J's numbers) up to
/// `NativeFast.log`; false when a logger was installed already.
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFast_installLogger(
    _env: *mut JNIEnv,
    _class: jclass,
    level: jint,
) -> jboolean {
    catch_unwind(|| crate::logs::install(level)).unwrap_or(false)
}

/// Calls the static `NativeFast` method `method` with `args` on this thread (attached as a
/// daemon if it is a runtime thread); an exception it throws is cleared, never left pending.
unsafe fn call_static(env: *mut JNIEnv, method: &AtomicUsize, args: &[jvalue]) {
    unsafe {
        let f = fns(env);
        let class = NATIVE_FAST.load(Ordering::Acquire) as jclass;
        let method = method.load(Ordering::Acquire) as jmethodID;
        if class.is_null() || method.is_null() {
            return;
        }
        (f.CallStaticVoidMethodA)(env, class, method, args.as_ptr());
        if (f.ExceptionCheck)(env) {
            (f.ExceptionClear)(env);
        }
    }
}

/// `NativeFast.record(trace)` (`telemetry.rs`).
pub(crate) fn deliver_trace(record: &Record) {
    let Some(env) = thread_env() else {
        return;
    };
    unsafe {
        if (fns(env).ExceptionCheck)(env) {
            return; // JNI allows no call now; the trace is lost, the call is not
        }
        let array = byte_array(env, record);
        if array.is_null() {
            (fns(env).ExceptionClear)(env);
            return;
        }
        call_static(env, &RECORD, &[jvalue { l: array }]);
        (fns(env).DeleteLocalRef)(env, array);
    }
}

/// `NativeFast.log(level, line)` (`logs.rs`), the line as UTF-8 bytes.
pub(crate) fn deliver_log(level: i32, line: &str) {
    let Some(env) = thread_env() else {
        return;
    };
    unsafe {
        if (fns(env).ExceptionCheck)(env) {
            return;
        }
        let mut record = Record::new(line.len());
        record.0.extend_from_slice(line.as_bytes());
        let array = byte_array(env, &record);
        if array.is_null() {
            (fns(env).ExceptionClear)(env);
            return;
        }
        call_static(env, &LOG, &[jvalue { i: level }, jvalue { l: array }]);
        (fns(env).DeleteLocalRef)(env, array);
    }
}

/// Test builds only: the error record of `crate::test_error(code)` (the tests compare it with
/// the uniffi path's exception for the same error).
#[cfg(feature = "test-hooks")]
#[unsafe(no_mangle)]
pub extern "system" fn Java_ai_refold_session_NativeFastTestHooks_errorRecord(
    env: *mut JNIEnv,
    _class: jclass,
    code: jstring,
) -> jbyteArray {
    let code = unsafe { id_text(env, code) }.unwrap_or_default();
    let record = error_record(&crate::test_error(code));
    unsafe { byte_array(env, &record) }
}
