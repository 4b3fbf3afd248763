// @ts-check
'use strict';
// refold-session for Node.js: the idiomatic JavaScript face of the Rust core.
//
// Every decision (validation, retries, status mapping, messages, token expiry, the text form
// of times) is made by the core in the native addon. This file only turns option objects into
// native calls and the native `{ token } | { error }` outcomes into `SessionToken` objects and
// `RefoldError` subclasses, so that stacks, `instanceof` and `util.inspect` behave as Node
// users expect. It is type-checked against native.d.ts (tsconfig.json, `make test-node`).

const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');

/** @typedef {import('./native').ErrorPayload} ErrorPayload */
/** @typedef {import('./native').TokenPayload} TokenPayload */
/** @typedef {import('./native').Completion} Completion */
/** @typedef {import('./native').NativeClient} NativeClient */
/** @typedef {import('./native').AccountPayload} AccountPayload */
/** @typedef {import('./native').IntegrationPayload} IntegrationPayload */
/** @typedef {import('./native').PagePayload} PagePayload */
/** @typedef {import('./native').StatsPayload} StatsPayload */
/** @typedef {import('./native').RevokePayload} RevokePayload */
/** @typedef {import('./native').WebhookEventPayload} WebhookEventPayload */
/** @typedef {import('./native').ErrorPayload | null} Started */
/** @typedef {import('./native').NativeScopedClient} NativeScopedClient */
/** @typedef {import('./native').ApiPagePayload} ApiPagePayload */

const native = loadNative();
const { RefoldApi, officialCalls } = require('./api.generated.js');

/**
 * Loads the prebuilt addon for this platform: `refold-session.<platform>-<arch>[-<libc>].node`
 * next to this file (a checkout, or the linux-x64-gnu package), else the platform package
 * `refold-session-<platform>-<arch>[-<libc>]` that npm installed as an optional dependency
 * (napi-rs layout; libc detected as napi-rs's generated loader does).
 * @returns {typeof import('./native')}
 */
function loadNative() {
  const { platform, arch } = process;
  const name =
    platform === 'linux'
      ? `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
      : platform === 'win32'
        ? `win32-${arch}-msvc`
        : `${platform}-${arch}`;
  const file = path.join(__dirname, `refold-session.${name}.node`);
  if (fs.existsSync(file)) return require(file);
  /** @type {unknown} */
  let failure;
  try {
    return require(`refold-session-${name}`);
  } catch (error) {
    failure = error;
  }
  throw new Error(
    `refold-session: no native addon for ${name}: neither ${file} nor the package ` +
      `refold-session-${name} could be loaded. Prebuilt addons exist for linux-x64-gnu, ` +
      'linux-arm64-gnu, linux-x64-musl, linux-arm64-musl, darwin-arm64, darwin-x64 and ' +
      'win32-x64-msvc; reinstall without ' +
      '--omit=optional, or build it from source (see the README, "Building from source").',
    { cause: failure },
  );
}

/** glibc or musl: /usr/bin/ldd names musl on musl systems; else Node's report lists glibc. */
function isMusl() {
  try {
    return fs.readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    const report = /** @type {{header?: {glibcVersionRuntime?: string}} | undefined} */ (
      process.report?.getReport?.()
    );
    return !report?.header?.glibcVersionRuntime;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors: one class per core error code, keyed by the code's string (docs/contract.md §Errors;
// test/api.test.js checks the table against the core's `ErrorCode::ALL`). Fields come
// verbatim from the core.

/**
 * @typedef {object} RefoldErrorFields
 * @property {string} [code]
 * @property {number | null} [status]
 * @property {string | null} [requestId]
 * @property {number | null} [retryAfter]
 * @property {number} [attempts]
 * @property {string | null} [serverCode]
 * @property {string | null} [httpErrorType]
 * @property {unknown} [cause]
 */

class RefoldError extends Error {
  /**
   * @param {string} message
   * @param {RefoldErrorFields} [fields]
   */
  constructor(message, fields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    /** @type {string} */
    this.code = fields.code ?? /** @type {{code?: string}} */ (new.target).code ?? 'unknown';
    /** @type {number | null} */
    this.status = fields.status ?? null;
    /** @type {string | null} */
    this.requestId = fields.requestId ?? null;
    /** @type {number | null} */
    this.retryAfter = fields.retryAfter ?? null;
    /** @type {number} */
    this.attempts = fields.attempts ?? 0;
    /** Refold's own code of the error (its `error` or `error_code`). @type {string | null} */
    this.serverCode = fields.serverCode ?? null;
    /** Refold's `http_error_type` (e.g. `BAD_REQUEST`). @type {string | null} */
    this.httpErrorType = fields.httpErrorType ?? null;
  }

  toJSON() {
    return {
      name: this.name,
      message: this.message,
      code: this.code,
      status: this.status,
      requestId: this.requestId,
      retryAfter: this.retryAfter,
      attempts: this.attempts,
      serverCode: this.serverCode,
      httpErrorType: this.httpErrorType,
    };
  }
}
// `name` follows the subclass (`RateLimitError`…), as a prototype getter so that instances
// carry no own `name` property.
Object.defineProperty(RefoldError.prototype, 'name', {
  get() {
    return this.constructor.name;
  },
  configurable: true,
});

/**
 * A named class for a core error code, so stacks and inspect show e.g. `RateLimitError`.
 * @param {string} name
 * @param {string} code
 * @returns {typeof RefoldError}
 */
function defineError(name, code) {
  const cls = { [name]: class extends RefoldError {} }[name];
  Object.defineProperty(cls, 'code', { value: code, enumerable: true });
  return cls;
}

/** The one table: the core's code string → its class (names as in docs/contract.md §Errors). */
const errorClasses = Object.freeze({
  invalid_input: defineError('InvalidInputError', 'invalid_input'),
  configuration: defineError('ConfigurationError', 'configuration'),
  bad_request: defineError('BadRequestError', 'bad_request'),
  authentication: defineError('AuthenticationError', 'authentication'),
  permission_denied: defineError('PermissionDeniedError', 'permission_denied'),
  not_found: defineError('NotFoundError', 'not_found'),
  rate_limited: defineError('RateLimitError', 'rate_limited'),
  invalid_linked_account: defineError('InvalidLinkedAccountError', 'invalid_linked_account'),
  server_error: defineError('ServerError', 'server_error'),
  timeout: defineError('APITimeoutError', 'timeout'),
  connection: defineError('APIConnectionError', 'connection'),
  invalid_response: defineError('InvalidResponseError', 'invalid_response'),
  unexpected_status: defineError('UnexpectedStatusError', 'unexpected_status'),
  internal: defineError('InternalError', 'internal'),
  aborted: defineError('AbortError', 'aborted'),
});

/**
 * Builds the subclass for a native error payload (`RefoldError` itself for a code this
 * table lacks, which its test forbids).
 * @param {ErrorPayload} payload
 * @returns {RefoldError}
 */
function toError(payload) {
  const cls = /** @type {Record<string, typeof RefoldError | undefined>} */ (errorClasses)[payload.code] ?? RefoldError;
  return new cls(payload.message, {
    code: payload.code,
    status: payload.status ?? null,
    requestId: payload.requestId ?? null,
    retryAfter: payload.retryAfter ?? null,
    attempts: payload.attempts,
    serverCode: payload.serverCode ?? null,
    httpErrorType: payload.httpErrorType ?? null,
  });
}

/**
 * Whether a native result is an error payload rather than the object asked for.
 * @param {object} value
 * @returns {value is ErrorPayload}
 */
function isErrorPayload(value) {
  return typeof (/** @type {{code?: unknown}} */ (value).code) === 'string';
}

// ---------------------------------------------------------------------------------------------
// The session token.

class SessionToken {
  /** @type {string} */
  #token;
  /** @type {string} */
  #redacted;
  /** @type {string | null} */
  #refreshToken;
  /** @type {string} */
  #redactedRefresh;
  /** The core's RFC 3339 text of the times (whole seconds, `Z`): the one text form of times
   * in every language (docs/contract.md §Session token). @type {[string, string | null, string | null]} */
  #jsonTimes;

  /**
   * @internal Built once per token by the addon (its host slot keeps it for cache hits).
   * @param {TokenPayload} payload
   */
  constructor(payload) {
    this.#token = payload.token;
    this.#redacted = payload.redacted;
    this.#refreshToken = payload.refreshToken ?? null;
    this.#redactedRefresh = payload.redactedRefresh;
    this.#jsonTimes = [payload.expiresAtText, payload.issuedAtText ?? null, payload.refreshExpiresAtText ?? null];
    /** @type {string} */
    this.linkedAccountId = payload.linkedAccountId;
    /** @type {Date} */
    this.expiresAt = new Date(payload.expiresAtMs);
    /** @type {Date | null} */
    this.issuedAt = payload.issuedAtMs == null ? null : new Date(payload.issuedAtMs);
    /** When the refresh token stops working, if Refold said. @type {Date | null} */
    this.refreshExpiresAt = payload.refreshExpiresAtMs == null ? null : new Date(payload.refreshExpiresAtMs);
    Object.freeze(this);
  }

  /** The token to hand to the front end. A secret: never log it. */
  get token() {
    return this.#token;
  }

  /** The refresh token Refold answered with, if any. A secret like the token: never log it. */
  get refreshToken() {
    return this.#refreshToken;
  }

  /** Serialising on purpose keeps the tokens whole (e.g. `res.json(session)`). */
  toJSON() {
    const [expiresAt, issuedAt, refreshExpiresAt] = this.#jsonTimes;
    return {
      token: this.#token,
      linkedAccountId: this.linkedAccountId,
      expiresAt,
      issuedAt,
      refreshToken: this.#refreshToken,
      refreshExpiresAt,
    };
  }

  toString() {
    return `SessionToken(${this.#redacted} for ${this.linkedAccountId})`;
  }

  /**
   * @param {number} depth
   * @param {util.InspectOptionsStylized} options
   * @param {typeof util.inspect} [inspect]
   */
  [util.inspect.custom](depth, options, inspect) {
    const shown = {
      token: this.#redacted,
      linkedAccountId: this.linkedAccountId,
      expiresAt: this.expiresAt,
      issuedAt: this.issuedAt,
      refreshToken: this.#refreshToken === null ? null : this.#redactedRefresh,
      refreshExpiresAt: this.refreshExpiresAt,
    };
    if (depth < 0) return options.stylize('[SessionToken]', 'special');
    return `SessionToken ${(inspect || util.inspect)(shown, { ...options, depth: options.depth == null ? null : options.depth - 1 })}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Linked accounts (docs/contract.md §Linked accounts).

/**
 * Freezes a parsed JSON value and everything in it.
 * @template T
 * @param {T} value
 * @returns {T}
 */
function deepFreeze(value) {
  if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/**
 * @typedef {object} Integration
 * @property {string} type the application's slug
 * @property {string} name
 * @property {string | null} appId your custom app's id, `null` for Refold's own apps
 * @property {string | null} icon
 * @property {boolean | null} reauthRequired
 * @property {Date | null} createdAt
 * @property {Date | null} updatedAt
 */

/**
 * One connected application of a linked account, frozen.
 * @param {IntegrationPayload} payload
 * @returns {Readonly<Integration>}
 */
function integration(payload) {
  return Object.freeze({
    type: payload.type,
    name: payload.name,
    appId: payload.appId ?? null,
    icon: payload.icon ?? null,
    reauthRequired: payload.reauthRequired ?? null,
    createdAt: payload.createdAtMs == null ? null : new Date(payload.createdAtMs),
    updatedAt: payload.updatedAtMs == null ? null : new Date(payload.updatedAtMs),
  });
}

class LinkedAccount {
  /** The whole object as Refold returned it (frozen). @type {Record<string, unknown>} */
  #json;

  /**
   * @internal Built by the client from a native payload.
   * @param {AccountPayload} payload
   */
  constructor(payload) {
    this.#json = deepFreeze(JSON.parse(payload.json));
    /** Refold's own id of the account (`_id`). @type {string | null} */
    this.id = payload.id ?? null;
    /** Your id of the end-user: the `linked_account_id` tokens are minted for. @type {string} */
    this.accountId = payload.accountId;
    /** @type {string | null} */
    this.environment = payload.environment ?? null;
    /** @type {string | null} */
    this.name = payload.name ?? null;
    /** User-defined fields, name → value (Refold sends a list of `{key_name, key_value}`).
     * @type {Readonly<Record<string, string | number | boolean | null>>} */
    this.udf = deepFreeze(JSON.parse(payload.udfJson));
    /** The connected applications, or `null` when Refold sent none (a create's answer).
     * @type {readonly Readonly<Integration>[] | null} */
    this.integrations = payload.integrations == null ? null : Object.freeze(payload.integrations.map(integration));
    /** The Refold organisation the account belongs to. @type {string | null} */
    this.associatedOrg = payload.associatedOrg ?? null;
    /** @type {boolean | null} */
    this.isSeed = payload.isSeed ?? null;
    /** @type {string | null} */
    this.tenantAccountId = payload.tenantAccountId ?? null;
    /** An upsert's answer: whether it created the account. @type {boolean | null} */
    this.newAccount = payload.newAccount ?? null;
    /** @type {Date | null} */
    this.createdAt = payload.createdAtMs == null ? null : new Date(payload.createdAtMs);
    /** @type {Date | null} */
    this.updatedAt = payload.updatedAtMs == null ? null : new Date(payload.updatedAtMs);
    Object.freeze(this);
  }

  /** The whole object as Refold returned it, fields added later included. */
  get json() {
    return this.#json;
  }

  /** Refold's object, as `@cobaltio/cobalt` returned it (e.g. for `res.json(account)`). */
  toJSON() {
    return this.#json;
  }
}

class LinkedAccountPage {
  /**
   * @internal Built by the client from a native payload.
   * @param {PagePayload} payload
   */
  constructor(payload) {
    /** @type {readonly LinkedAccount[]} */
    this.accounts = Object.freeze(payload.accounts.map((account) => new LinkedAccount(account)));
    /** This page's number, from 1. @type {number} */
    this.page = payload.page;
    /** Accounts per page. @type {number} */
    this.limit = payload.limit;
    /** Accounts in all pages. @type {number} */
    this.total = payload.total;
    /** @type {number} */
    this.totalPages = payload.totalPages;
    /** The number of this page's first account, from 1. @type {number} */
    this.pagingCounter = payload.pagingCounter;
    /** Whether a page comes before this one. @type {boolean} */
    this.hasPrevPage = payload.hasPrevPage;
    /** The previous page's number, or `null` on the first. @type {number | null} */
    this.prevPage = payload.prevPage ?? null;
    /** Whether a page follows this one. @type {boolean} */
    this.hasNextPage = payload.hasNextPage;
    /** The next page's number, or `null` after the last. @type {number | null} */
    this.nextPage = payload.nextPage ?? null;
    Object.freeze(this);
  }

  /** `@cobaltio/cobalt`'s name for `accounts` (Refold's page has `docs`). */
  get docs() {
    return this.accounts;
  }

  /** `@cobaltio/cobalt`'s name for `total`. */
  get totalDocs() {
    return this.total;
  }

  /** Under the names of Refold's page, as `@cobaltio/cobalt` returned it. */
  toJSON() {
    return {
      docs: this.accounts,
      totalDocs: this.total,
      limit: this.limit,
      totalPages: this.totalPages,
      page: this.page,
      pagingCounter: this.pagingCounter,
      hasPrevPage: this.hasPrevPage,
      hasNextPage: this.hasNextPage,
      prevPage: this.prevPage,
      nextPage: this.nextPage,
    };
  }
}

/**
 * The session cache's counters since the client was built (`entries`: accounts cached now).
 * @param {StatsPayload} payload
 */
function cacheStats(payload) {
  // The addon's object already has every counter, named in camelCase.
  return Object.freeze({ ...payload });
}

// ---------------------------------------------------------------------------------------------
// Pending calls. The addon hands every outcome back through one dispatcher per environment
// (see src/lib.rs); a single timer is ref'd while any call is pending so that the process
// waits for outstanding calls, and unref'd otherwise so that it exits promptly after the last.

/** @type {Map<number, (completion: Completion) => void>} */
const pending = new Map();
let nextCallId = 1;
const keepAlive = setInterval(() => {}, 0x7fffffff);
keepAlive.unref();

const created = native.createDispatcher(
  (completion) => {
    // The call's trace crosses with it (telemetry.rs): its spans end before the caller resumes.
    if (completion.trace !== undefined) bridge?.record(completion.trace);
    const resolve = pending.get(completion.callId);
    if (resolve === undefined) return;
    pending.delete(completion.callId);
    if (pending.size === 0) keepAlive.unref();
    resolve(completion);
  },
  // The addon makes each token's object once and keeps it for the cache hits.
  (payload) => new SessionToken(payload),
);
if (isErrorPayload(created)) throw toError(created);
const dispatcher = created;

// ---------------------------------------------------------------------------------------------
// Tracing (telemetry.js): with `@opentelemetry/api` installed, one hook per environment hands
// each call's trace to the bridge while a tracer or meter provider is registered, and each
// call carries the active span's traceparent. Without the API nothing of this runs.

/** @type {ReturnType<typeof import('./telemetry').openTelemetryBridge> | undefined} */
let bridge;
/** @type {import('./native').NativeTelemetry | null} */
let telemetryHook = null;
let hookRecording = false;

/** The environment's trace hook, made at the first client when the API is installed. */
function telemetry() {
  if (bridge === undefined) {
    bridge = require('./telemetry.js').openTelemetryBridge(() => native.telemetryInstruments());
    if (bridge !== null) {
      const recorder = bridge;
      const made = native.createTelemetry((text) => recorder.record(text));
      if (isErrorPayload(made)) throw toError(made);
      telemetryHook = made;
    }
  }
  return telemetryHook ?? undefined;
}

/**
 * A call's options as the core reads them (`signal` taken out, the active span's
 * `traceparent` added unless given), and its signal.
 * @param {unknown} options
 * @returns {[unknown, AbortSignal | undefined]}
 */
function callOptions(options) {
  /** @type {unknown} */
  let given = options;
  /** @type {AbortSignal | undefined} */
  let signal;
  const plain = options !== null && typeof options === 'object' && !Array.isArray(options);
  if (plain && /** @type {{signal?: unknown}} */ (options).signal !== undefined) {
    const { signal: asked, ...rest } = /** @type {{signal?: unknown}} */ (options);
    if (!(asked instanceof AbortSignal)) {
      throw toError(native.hostObjectError('signal', asked === null ? 'null' : typeof asked));
    }
    signal = asked;
    given = rest;
  }
  if (bridge) {
    const recording = bridge.recording();
    if (recording !== hookRecording && telemetryHook !== null) {
      hookRecording = recording;
      telemetryHook.setRecording(recording);
    }
    if (options == null || (plain && /** @type {{traceparent?: unknown}} */ (given).traceparent === undefined)) {
      const traceparent = bridge.traceparent();
      if (traceparent !== undefined) given = { .../** @type {object | undefined} */ (given), traceparent };
    }
  }
  return [given, signal];
}

/**
 * The `AbortError` of a call whose signal was aborted, its reason as the cause.
 * @param {AbortSignal} signal
 * @param {ErrorPayload} [payload] the addon's, when the call was in flight
 */
function abortError(signal, payload = native.abortedError()) {
  return new errorClasses.aborted(payload.message, { code: payload.code, attempts: payload.attempts, cause: signal.reason });
}

/**
 * The completion of a started call `callId` that `signal` may cancel (armed before it
 * started); the abort listener is removed when it settles.
 * @param {number} callId
 * @param {AbortSignal} signal
 * @returns {Promise<Completion>}
 */
async function cancellable(callId, signal) {
  const abort = () => dispatcher.cancel(callId);
  signal.addEventListener('abort', abort, { once: true });
  try {
    return await completionOf(callId);
  } finally {
    signal.removeEventListener('abort', abort);
    dispatcher.disarm(callId);
  }
}

// ---------------------------------------------------------------------------------------------
// Logs: the core's lines (one per retry, store fallback, refresh failure…) go, process-wide,
// to every distinct `logger` given to a live client of this environment, else to the console
// when REFOLD_LOG is set; from REFOLD_LOG's level (debug|info|warn|error|off), else `warn`
// when a logger is given, else nowhere.

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'off'];
/** Each logger given to a live client, with how many clients use it. @type {Map<Logger, number>} */
const loggers = new Map();
const loggerUsers = new FinalizationRegistry((/** @type {Logger} */ logger) => {
  const count = (loggers.get(logger) ?? 1) - 1;
  if (count > 0) loggers.set(logger, count);
  else loggers.delete(logger);
});
/** The level the addon sends lines from (`off`: none asked yet). */
let logLevel = 'off';

/** @typedef {{debug: (message: string) => unknown, info: (message: string) => unknown, warn: (message: string) => unknown, error: (message: string) => unknown}} Logger */

/**
 * REFOLD_LOG's level, if set to one.
 * @returns {string | undefined}
 */
function environmentLogLevel() {
  const level = process.env.REFOLD_LOG?.trim().toLowerCase();
  return level && LOG_LEVELS.includes(level) ? level : undefined;
}

/** @param {string} line `"<level> <message>"` from the addon */
function writeLogLine(line) {
  const space = line.indexOf(' ');
  const level = /** @type {'debug' | 'info' | 'warn' | 'error'} */ (line.slice(0, space));
  const message = line.slice(space + 1);
  if (loggers.size === 0) {
    if (environmentLogLevel() !== undefined) console[level](`refold-session: ${message}`);
    return;
  }
  for (const logger of loggers.keys()) {
    try {
      logger[level](message);
    } catch {
      // A failing logger must not break the event loop.
    }
  }
}

/**
 * Sets up the logs for a new client (its `logger`, REFOLD_LOG).
 * @param {object} client
 * @param {unknown} logger
 */
function setUpLogs(client, logger) {
  if (logger !== undefined && logger !== null) {
    const given = /** @type {Record<string, unknown>} */ (logger);
    const methods = ['debug', 'info', 'warn', 'error'];
    if (typeof logger !== 'object' || !methods.every((method) => typeof given[method] === 'function')) {
      throw toError(native.hostObjectError('logger', typeof logger));
    }
    const known = /** @type {Logger} */ (logger);
    loggers.set(known, (loggers.get(known) ?? 0) + 1);
    loggerUsers.register(client, known);
  }
  const level = environmentLogLevel() ?? (loggers.size > 0 ? 'warn' : 'off');
  if (level !== logLevel) {
    logLevel = level;
    native.setLogSink(writeLogLine, level);
  }
}

/**
 * A call id no pending call has. Reserving nothing: a completion is delivered only once this
 * thread returns to the event loop, so the caller registers the id (`completionOf`) after
 * starting the native call, in the same synchronous turn.
 */
function freeCallId() {
  let callId = nextCallId;
  while (pending.has(callId)) callId = (callId % 0xffffffff) + 1;
  nextCallId = (callId % 0xffffffff) + 1;
  return callId;
}

/**
 * The completion of a started call.
 * @param {number} callId
 * @returns {Promise<Completion>}
 */
function completionOf(callId) {
  return new Promise((resolve) => {
    if (pending.size === 0) keepAlive.ref();
    pending.set(callId, resolve);
  });
}

/**
 * Starts a native call with a fresh call id and resolves with its completion; a call the addon
 * refuses to start (bad arguments, a panic) completes at once with that error.
 * @param {(callId: number) => Started} begin
 * @param {AbortSignal} [signal]
 * @returns {Promise<Completion>}
 */
function startCall(begin, signal) {
  const callId = freeCallId();
  if (signal !== undefined) {
    // Aborted already: nothing is sent.
    if (signal.aborted) return Promise.resolve({ callId, error: native.abortedError() });
    dispatcher.armCancel(callId);
  }
  const refused = begin(callId);
  if (refused !== null) {
    if (signal !== undefined) dispatcher.disarm(callId);
    return Promise.resolve({ callId, error: refused });
  }
  return signal === undefined ? completionOf(callId) : cancellable(callId, signal);
}

/**
 * Makes a native call and resolves with its completion, or rejects with its error.
 * @param {(callId: number) => Started} begin
 * @param {AbortSignal} [signal] cancels the call when aborted
 * @returns {Promise<Completion>}
 */
async function call(begin, signal) {
  const completion = await startCall(begin, signal);
  if (completion.error !== undefined) throw failure(completion.error, signal);
  return completion;
}

/**
 * A call's error (an `AbortError` carries its signal's reason).
 * @param {ErrorPayload} payload
 * @param {AbortSignal} [signal]
 */
function failure(payload, signal) {
  return payload.code === 'aborted' && signal !== undefined ? abortError(signal, payload) : toError(payload);
}

// ---------------------------------------------------------------------------------------------
// Any operation of Refold's API (docs/contract.md §17): the generic entry that `client.api`'s
// generated methods (api.generated.js) and the official SDK's calls forward to.

/**
 * A call's one object as the addon takes it: the operation's parameters, then `body`,
 * `linkedAccountId` and `files`. Anything but a plain object is passed whole, for the core to
 * refuse.
 * @param {unknown} given
 * @returns {[unknown, unknown, unknown, unknown]}
 */
function splitCall(given) {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    return [given, undefined, undefined, undefined];
  }
  const { body, linkedAccountId, files, ...params } = /** @type {Record<string, unknown>} */ (given);
  return [params, body, linkedAccountId, files];
}

/**
 * One page of a paginated list: its items, the page to ask for next (`null` after the last,
 * as the core decides) and Refold's whole answer.
 * @typedef {{readonly items: unknown[], readonly nextPage: number | null, readonly body: unknown}} ApiPage
 */

/**
 * The generic calls of a native client (the organization's or a scoped one).
 * @param {NativeClient | NativeScopedClient} target
 */
function apiCaller(target) {
  /**
   * @param {unknown} operationId
   * @param {unknown} params
   * @param {unknown} options
   * @returns {Promise<ApiPagePayload>}
   */
  async function page(operationId, params, options) {
    const [rest, body, linkedAccountId, files] = splitCall(params);
    const [given, signal] = callOptions(options);
    const completion = await call(
      (callId) => target.call(callId, true, operationId, rest, body, linkedAccountId, files, given),
      signal,
    );
    return /** @type {ApiPagePayload} */ (completion.apiPage);
  }
  return {
    /**
     * @param {unknown} operationId
     * @param {unknown} params
     * @param {unknown} options
     * @returns {Promise<unknown>}
     */
    async call(operationId, params, options) {
      const [rest, body, linkedAccountId, files] = splitCall(params);
      const [given, signal] = callOptions(options);
      const completion = await call(
        (callId) => target.call(callId, false, operationId, rest, body, linkedAccountId, files, given),
        signal,
      );
      return JSON.parse(/** @type {string} */ (completion.json));
    },
    /**
     * @param {unknown} operationId
     * @param {unknown} params
     * @param {unknown} options
     * @returns {Promise<ApiPage>}
     */
    async page(operationId, params, options) {
      const payload = await page(operationId, params, options);
      return Object.freeze({
        items: JSON.parse(payload.itemsJson),
        nextPage: payload.nextPage ?? null,
        body: JSON.parse(payload.bodyJson),
      });
    },
    /**
     * Every item, page after page from `params.page`: the core says which page comes next.
     * @param {unknown} operationId
     * @param {unknown} params
     * @param {unknown} options
     * @returns {AsyncGenerator<unknown, void, undefined>}
     */
    async *all(operationId, params, options) {
      let asked = params;
      for (;;) {
        const payload = await page(operationId, asked, options);
        yield* JSON.parse(payload.itemsJson);
        if (payload.nextPage == null) return;
        asked = { .../** @type {object} */ (asked), page: payload.nextPage };
      }
    },
  };
}

/**
 * A client acting for one linked account (`client.forLinkedAccount(id)`) or with its session
 * token (`client.forSessionToken(token)`): the same `api` methods and generic call, sharing its
 * parent's connections, budget and options. Org-level operations reject with
 * `InvalidInputError` before anything is sent.
 */
class ScopedClient {
  /** @type {NativeScopedClient} */
  #native;
  /** @type {ReturnType<typeof apiCaller>} */
  #caller;
  /** @type {RefoldApi | undefined} */
  #api;

  /**
   * @internal Made by `Refold#forLinkedAccount` and `Refold#forSessionToken`.
   * @param {NativeScopedClient} scoped
   */
  constructor(scoped) {
    this.#native = scoped;
    this.#caller = apiCaller(scoped);
  }

  /** The linked account it acts for, when named by id (`null` for a session token's client). */
  get linkedAccountId() {
    return this.#native.linkedAccountId ?? null;
  }

  /** Every operation of Refold's API as a method (api.generated.d.ts). */
  get api() {
    this.#api ??= new RefoldApi(this.#caller);
    return this.#api;
  }

  /**
   * Calls any operation by its operationId with its one object of parameters, `body`,
   * `linkedAccountId` and `files`; resolves to Refold's JSON answer.
   * @param {unknown} operationId
   * @param {unknown} [params]
   * @param {unknown} [options] `{ timeout, maxRetries }`
   */
  call(operationId, params, options) {
    return this.#caller.call(operationId, params, options);
  }

  /**
   * One page of a paginated list: `{ items, nextPage, body }`.
   * @param {unknown} operationId
   * @param {unknown} [params]
   * @param {unknown} [options] `{ timeout, maxRetries }`
   */
  callPage(operationId, params, options) {
    return this.#caller.page(operationId, params, options);
  }

  /**
   * @param {number} depth
   * @param {util.InspectOptionsStylized} options
   * @param {typeof util.inspect} [inspect]
   */
  [util.inspect.custom](depth, options, inspect) {
    const id = this.linkedAccountId;
    const shown = id === null ? { sessionToken: '[REDACTED]' } : { linkedAccountId: id };
    return `ScopedClient ${(inspect || util.inspect)(shown, options)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Webhooks (docs/contract.md §15): the core checks the signature and reads the event; this
// only turns the body into bytes and the header into one string.

/**
 * The raw body as one Buffer (a string as its UTF-8 bytes), or the core's `InvalidInputError`
 * for anything else, such as the object a JSON body parser already made of it.
 * @param {unknown} rawBody
 * @param {Function} caller
 * @returns {Buffer}
 */
function webhookBody(rawBody, caller) {
  if (typeof rawBody === 'string') return Buffer.from(rawBody, 'utf8');
  if (Buffer.isBuffer(rawBody)) return rawBody;
  if (ArrayBuffer.isView(rawBody)) return Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  if (rawBody instanceof ArrayBuffer) return Buffer.from(rawBody);
  const received = rawBody === null ? 'null' : Array.isArray(rawBody) ? 'an array' : `a ${typeof rawBody}`;
  const error = toError(native.webhookBodyTypeError(received));
  Error.captureStackTrace?.(error, caller);
  throw error;
}

/**
 * The header as Node's `req.headers` holds it: a string, the values of a repeated header
 * (joined as Node joins them, which no valid signature survives), or absent.
 * @param {unknown} header
 * @returns {string | null}
 */
function webhookHeader(header) {
  if (typeof header === 'string') return header;
  if (Array.isArray(header) && header.every((value) => typeof value === 'string')) return header.join(', ');
  return null;
}

/**
 * Whether `signatureHeader` (`x-cobalt-signature`) is the HMAC-SHA256 of the raw body keyed
 * on `apiKey`, compared in constant time. A missing or malformed header, or a key that is not
 * a non-empty string, is `false`, never an exception.
 * @param {unknown} rawBody the bytes received (a Buffer, a Uint8Array or a string), before any JSON parsing
 * @param {unknown} signatureHeader
 * @param {unknown} apiKey
 * @returns {boolean}
 * @throws {RefoldError} `InvalidInputError` when `rawBody` is not bytes or a string.
 */
function verifyWebhookSignature(rawBody, signatureHeader, apiKey) {
  const body = webhookBody(rawBody, verifyWebhookSignature);
  if (typeof apiKey !== 'string') return false;
  return native.verifyWebhookSignature(body, webhookHeader(signatureHeader), apiKey);
}

/** A webhook event (docs/contract.md §15), frozen. */
class WebhookEvent {
  /**
   * @internal Built by `parseWebhookEvent` from a native payload.
   * @param {WebhookEventPayload} payload
   */
  constructor(payload) {
    /** The `event` member: `Connection Created`, `Workflow Completed`… @type {string} */
    this.eventType = payload.eventType;
    /** @type {string | null} */
    this.linkedAccountId = payload.linkedAccountId ?? null;
    /** @type {string | null} */
    this.orgId = payload.orgId ?? null;
    /** @type {string | null} */
    this.environment = payload.environment ?? null;
    /** The `type` member (connection events, e.g. `General`). @type {string | null} */
    this.kind = payload.kind ?? null;
    /** The app (connection events). @type {string | null} */
    this.slug = payload.slug ?? null;
    /** `createdAt` as sent (an HTTP date). @type {string | null} */
    this.createdAt = payload.createdAt ?? null;
    /** The workflow run (workflow events). @type {string | null} */
    this.instanceId = payload.instanceId ?? null;
    /** @type {string | null} */
    this.workflowId = payload.workflowId ?? null;
    /** @type {string | null} */
    this.workflowName = payload.workflowName ?? null;
    /** @type {string | null} */
    this.configId = payload.configId ?? null;
    /** `COMPLETED` or `ERRORED` (workflow events). @type {string | null} */
    this.status = payload.status ?? null;
    /** What identifies the event across repeated deliveries: deduplicate on it. @type {string} */
    this.dedupKey = payload.dedupKey;
    /** The whole payload (frozen). @type {Readonly<Record<string, unknown>>} */
    this.raw = deepFreeze(JSON.parse(payload.json));
    Object.freeze(this);
  }
}

/**
 * Reads a webhook body (verify its signature first).
 * @param {unknown} rawBody the bytes received (a Buffer, a Uint8Array or a string)
 * @returns {WebhookEvent}
 * @throws {RefoldError} `InvalidInputError`: not bytes, over 1 MiB, not a JSON object, no
 *   string `event`, or a documented member neither a string nor null.
 */
function parseWebhookEvent(rawBody) {
  const parsed = native.parseWebhookEvent(webhookBody(rawBody, parseWebhookEvent));
  if (isErrorPayload(parsed)) {
    const error = toError(parsed);
    Error.captureStackTrace?.(error, parseWebhookEvent);
    throw error;
  }
  return new WebhookEvent(/** @type {WebhookEventPayload} */ (parsed));
}

// ---------------------------------------------------------------------------------------------
// The client.

class Refold {
  /** The addon's client, which holds the API key (never visible from JavaScript). @type {NativeClient} */
  #native;
  /** Answers a plain cache hit (the token's object), else `undefined`. @type {(linkedAccountId: unknown) => import('./native').SessionTokenObject | undefined} */
  #hit;
  /** @type {{endpoint: string, environment: string, userAgent: string}} */
  #properties;
  /** @type {ReturnType<typeof apiCaller> | undefined} */
  #caller;
  /** @type {RefoldApi | undefined} */
  #api;

  /**
   * @param {unknown} [options] `{ apiKey, environment, baseUrl, timeoutMs, maxRetries,
   *   maxIdleConnections, maxConnections, cache, readEnvironmentVariables }`; the
   *   `@cobaltio/cobalt` names `server_url` and `sandbox: true` are accepted too. The core reads
   *   the object whole; unset options fall back to REFOLD_API_KEY / COBALT_API_KEY /
   *   REFOLD_ENVIRONMENT / REFOLD_BASE_URL, then to the defaults.
   * @throws {RefoldError} `ConfigurationError`; `InternalError` for a bug.
   */
  constructor(options) {
    // `logger` is a host object, read here; the core reads the rest.
    /** @type {unknown} */
    let given = options;
    /** @type {unknown} */
    let logger;
    if (options !== null && typeof options === 'object' && 'logger' in options) {
      ({ logger, ...given } = /** @type {{logger?: unknown}} */ (options));
    }
    const built = native.createClient(dispatcher, process.version, given, telemetry());
    if (isErrorPayload(built)) {
      const error = toError(built);
      Error.captureStackTrace?.(error, Refold);
      throw error;
    }
    setUpLogs(this, logger);
    this.#native = built.client;
    this.#hit = built.client.hitFunction();
    this.#properties = { endpoint: built.endpoint, environment: built.environment, userAgent: built.userAgent };
  }

  /** The deployment this client talks to: `production`, `sandbox` or `staging`. */
  get environment() {
    return this.#properties.environment;
  }

  /** The session-token URL requests go to. */
  get endpoint() {
    return this.#properties.endpoint;
  }

  /** The `user-agent` sent with every request. */
  get userAgent() {
    return this.#properties.userAgent;
  }

  /** Every operation of Refold's API as a method (api.generated.d.ts): `client.api.listWebhooks()`. */
  get api() {
    this.#api ??= new RefoldApi(this.#apiCaller());
    return this.#api;
  }

  #apiCaller() {
    this.#caller ??= apiCaller(this.#native);
    return this.#caller;
  }

  /**
   * Calls any operation of Refold's API by its operationId (e.g. `listWebhooks`) with its one
   * object: the parameters by camelCase key, `body`, `linkedAccountId`, `files`. Resolves to
   * Refold's JSON answer (`null` when it has none).
   * @param {unknown} operationId
   * @param {unknown} [params]
   * @param {unknown} [options] `{ timeout, maxRetries }`
   * @returns {Promise<unknown>}
   */
  call(operationId, params, options) {
    return this.#apiCaller().call(operationId, params, options);
  }

  /**
   * One page of a paginated list: `{ items, nextPage, body }` (`nextPage` is `null` after the
   * last page).
   * @param {unknown} operationId
   * @param {unknown} [params]
   * @param {unknown} [options] `{ timeout, maxRetries }`
   * @returns {Promise<ApiPage>}
   */
  callPage(operationId, params, options) {
    return this.#apiCaller().page(operationId, params, options);
  }

  /**
   * A client acting for one linked account with this client's API key; it may call only the
   * operations that act for a linked account.
   * @param {unknown} linkedAccountId
   * @returns {ScopedClient}
   */
  forLinkedAccount(linkedAccountId) {
    const scoped = this.#native.forLinkedAccount(linkedAccountId);
    if (scoped instanceof native.NativeScopedClient) return new ScopedClient(scoped);
    throw toError(/** @type {ErrorPayload} */ (scoped));
  }

  /**
   * A client acting with a linked account's session token, never the API key; org-level
   * operations are refused before anything is sent.
   * @param {unknown} token the token, or its `SessionToken`
   * @returns {ScopedClient}
   */
  forSessionToken(token) {
    const text = token instanceof SessionToken ? token.token : token;
    const scoped = this.#native.forSessionToken(text);
    if (scoped instanceof native.NativeScopedClient) return new ScopedClient(scoped);
    throw toError(/** @type {ErrorPayload} */ (scoped));
  }

  /**
   * Mints a session token for a linked account (with the cache on: a cached one while it has
   * enough life left).
   * @param {unknown} linkedAccount an id, or `{ linked_account_id: id }`
   * @param {unknown} [options] `{ fresh, timeout, maxRetries }`: `fresh: true` bypasses the
   *   cache and has Refold mint a new token, which the cache stores
   * @returns {Promise<SessionToken>}
   */
  async getTokenForLinkedAccount(linkedAccount, options) {
    const id =
      linkedAccount !== null && typeof linkedAccount === 'object'
        ? /** @type {{linked_account_id?: unknown}} */ (linkedAccount).linked_account_id
        : linkedAccount;
    // A plain cache hit comes back synchronously as the token's object (the one made at the
    // miss): the promise is then already fulfilled when this returns.
    const [given, signal] = callOptions(options);
    if (given === undefined) {
      const hit = this.#hit(id);
      if (hit !== undefined) return /** @type {SessionToken} */ (hit);
    }
    if (signal?.aborted) throw abortError(signal);
    const callId = freeCallId();
    if (signal !== undefined) dispatcher.armCancel(callId);
    const answer = this.#native.token(callId, id, given);
    if (answer === null) {
      const completion = await (signal === undefined ? completionOf(callId) : cancellable(callId, signal));
      if (completion.error !== undefined) throw failure(completion.error, signal);
      return /** @type {SessionToken} */ (dispatcher.sessionToken(/** @type {import('./native').NativeToken} */ (completion.token)));
    }
    // Answered at once (a cache hit ignores the signal), or refused.
    if (signal !== undefined) dispatcher.disarm(callId);
    if (answer instanceof SessionToken) return answer;
    throw toError(/** @type {ErrorPayload} */ (answer));
  }

  /**
   * Creates the linked account, or updates it if it exists (`PUT`).
   * @param {unknown} account `{ linked_account_id, name?, udf?, your_app? }`
   * @param {unknown} [options] `{ timeout, maxRetries }`
   * @returns {Promise<LinkedAccount>}
   */
  async upsertLinkedAccount(account, options) {
    const native = this.#native;
    const [given, signal] = callOptions(options);
    const completion = await call((callId) => native.writeAccount(callId, false, account, given), signal);
    return new LinkedAccount(/** @type {AccountPayload} */ (completion.account));
  }

  /**
   * Creates the linked account; one that exists already rejects with `BadRequestError`.
   * @param {unknown} account `{ linked_account_id, name?, udf?, your_app? }`
   * @param {unknown} [options] `{ timeout, maxRetries }`
   * @returns {Promise<LinkedAccount>}
   */
  async createLinkedAccount(account, options) {
    const native = this.#native;
    const [given, signal] = callOptions(options);
    const completion = await call((callId) => native.writeAccount(callId, true, account, given), signal);
    return new LinkedAccount(/** @type {AccountPayload} */ (completion.account));
  }

  /**
   * The linked account; an unknown one rejects with `NotFoundError`.
   * @param {unknown} linkedAccountId
   * @param {unknown} [options] `{ timeout, maxRetries }`
   * @returns {Promise<LinkedAccount>}
   */
  async getLinkedAccountById(linkedAccountId, options) {
    const native = this.#native;
    const [given, signal] = callOptions(options);
    const completion = await call((callId) => native.readAccount(callId, false, linkedAccountId, given), signal);
    return new LinkedAccount(/** @type {AccountPayload} */ (completion.account));
  }

  /**
   * Deletes the linked account; an unknown one rejects with `NotFoundError`.
   * @param {unknown} linkedAccountId
   * @param {unknown} [options] `{ timeout, maxRetries }`
   * @returns {Promise<Record<string, unknown>>} Refold's answer, e.g. `{ message }`
   */
  async deleteLinkedAccount(linkedAccountId, options) {
    const native = this.#native;
    const [given, signal] = callOptions(options);
    const completion = await call((callId) => native.readAccount(callId, true, linkedAccountId, given), signal);
    return JSON.parse(/** @type {string} */ (completion.objectJson));
  }

  /**
   * One page of linked accounts, in creation order.
   * @param {unknown} [options] `{ page = 1, limit = 10, timeout, maxRetries }`: page from 1,
   *   limit from 1 to 100
   * @returns {Promise<LinkedAccountPage>}
   */
  async getAllLinkedAccounts(options) {
    const native = this.#native;
    const [given, signal] = callOptions(options);
    const completion = await call((callId) => native.list(callId, given), signal);
    return new LinkedAccountPage(/** @type {PagePayload} */ (completion.page));
  }

  /**
   * Every linked account, page after page (`limit` per request, default 10), for
   * `for await (const account of refold.linkedAccounts({ limit }))`. It stops after the last
   * page, an empty page, or 100,000 pages; an error rejects the loop.
   * @param {unknown} [options] `{ limit, timeout, maxRetries }`
   * @returns {AsyncGenerator<LinkedAccount, void, undefined>}
   */
  async *linkedAccounts(options) {
    const [given, signal] = callOptions(options);
    const pages = this.#native.pages(given);
    if (isErrorPayload(pages)) throw toError(pages);
    for (;;) {
      const { page } = await call((callId) => pages.next(callId), signal);
      if (page === undefined) return;
      for (const account of page.accounts) yield new LinkedAccount(account);
    }
  }

  /**
   * Revokes a session token: Refold refuses it (and its refresh token) from now on, and it
   * leaves this client's cache and the fleet store. Authenticated by the token itself.
   * @param {unknown} token the token, or its `SessionToken`
   * @param {unknown} [options] `{ timeout, maxRetries }`
   * @returns {Promise<{readonly success: boolean, readonly revokedCount: number}>}
   */
  async revokeSessionToken(token, options) {
    const native = this.#native;
    const text = token instanceof SessionToken ? token.token : token;
    const [given, signal] = callOptions(options);
    const completion = await call((callId) => native.revoke(callId, text, given), signal);
    const revoked = /** @type {RevokePayload} */ (completion.revoked);
    return Object.freeze({ success: revoked.success, revokedCount: revoked.revokedCount });
  }

  /**
   * The linked account a session token belongs to, read with the token alone; a token
   * Refold refuses rejects with `AuthenticationError`.
   * @param {unknown} token the token, or its `SessionToken`
   * @param {unknown} [options] `{ timeout, maxRetries }`
   * @returns {Promise<LinkedAccount>}
   */
  async getActiveLinkedAccount(token, options) {
    const native = this.#native;
    const text = token instanceof SessionToken ? token.token : token;
    const [given, signal] = callOptions(options);
    const completion = await call((callId) => native.activeAccount(callId, text, given), signal);
    return new LinkedAccount(/** @type {AccountPayload} */ (completion.account));
  }

  /**
   * Drops the cached token of a linked account; its next call mints. Does nothing without a cache.
   * @param {unknown} linkedAccountId
   * @returns {Promise<void>}
   */
  async invalidate(linkedAccountId) {
    const native = this.#native;
    await call((callId) => native.invalidate(callId, linkedAccountId));
  }

  /**
   * Drops every cached token. Does nothing without a cache.
   * @returns {Promise<void>}
   */
  async invalidateAll() {
    const native = this.#native;
    await call((callId) => native.invalidateAll(callId));
  }

  /**
   * The session cache's counters, or `null` when the cache is off.
   * @returns {Promise<ReturnType<typeof cacheStats> | null>}
   */
  async cacheStats() {
    const native = this.#native;
    const { stats } = await call((callId) => native.cacheStats(callId));
    return stats === undefined ? null : cacheStats(stats);
  }

  /**
   * Whether `signatureHeader` (`x-cobalt-signature`) signs the raw body with this client's API
   * key (`verifyWebhookSignature` with the client's key): `false`, never an exception, for a
   * missing or malformed header.
   * @param {unknown} rawBody the bytes received (a Buffer, a Uint8Array or a string)
   * @param {unknown} signatureHeader
   * @returns {boolean}
   * @throws {RefoldError} `InvalidInputError` when `rawBody` is not bytes or a string.
   */
  verifyWebhookSignature(rawBody, signatureHeader) {
    const body = webhookBody(rawBody, this.verifyWebhookSignature);
    return this.#native.verifyWebhookSignature(body, webhookHeader(signatureHeader));
  }

  /**
   * @param {number} depth
   * @param {util.InspectOptionsStylized} options
   * @param {typeof util.inspect} [inspect]
   */
  [util.inspect.custom](depth, options, inspect) {
    const shown = { environment: this.environment, endpoint: this.endpoint };
    return `Refold ${(inspect || util.inspect)(shown, options)}`;
  }
}

// The official SDK's calls that answer with Refold's JSON (api.generated.js), beside the
// methods above; non-enumerable, as class methods are.
for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(officialCalls()))) {
  Object.defineProperty(Refold.prototype, name, { ...descriptor, enumerable: false });
}

const exported = {
  Refold,
  Cobalt: Refold,
  default: Refold,
  SessionToken,
  LinkedAccount,
  LinkedAccountPage,
  ScopedClient,
  RefoldApi,
  WebhookEvent,
  verifyWebhookSignature,
  parseWebhookEvent,
  RefoldError,
  // Each error class under its own name (`InvalidInputError`…), and the table by code.
  ...Object.fromEntries(Object.values(errorClasses).map((cls) => [cls.name, cls])),
  errorClasses,
};
for (const [key, value] of Object.entries(exported)) {
  Object.defineProperty(Refold, key, { value, enumerable: true });
}
Object.defineProperty(Refold, '__esModule', { value: true });

// `require('refold-session')` is the client class itself, as `@cobaltio/cobalt` was.
module.exports = Refold;
