'use strict';
// refold-session for Node.js: the idiomatic JavaScript face of the Rust core.
//
// Every decision (validation, retries, status mapping, messages, token expiry) is made by the
// core in the native addon. This file only turns option objects into native calls and the
// native `{ token } | { error }` outcomes into `SessionToken` objects and `RefoldError`
// subclasses, so that stacks, `instanceof` and `util.inspect` behave as Node users expect.

const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');

const native = loadNative();

/** Loads the prebuilt addon for this platform (`refold-session.<platform>-<arch>[-<libc>].node`). */
function loadNative() {
  const { platform, arch } = process;
  const candidates =
    platform === 'linux' ? [`linux-${arch}-gnu`, `linux-${arch}-musl`] : [`${platform}-${arch}`];
  for (const triple of candidates) {
    const file = path.join(__dirname, `refold-session.${triple}.node`);
    if (fs.existsSync(file)) return require(file);
  }
  throw new Error(
    `refold-session: no native addon for ${candidates.join(' or ')} in ${__dirname}. ` +
      'This package ships a prebuilt addon for linux-x64-gnu; on other platforms build it ' +
      'from source (see the README, "Building from source").',
  );
}

// ---------------------------------------------------------------------------------------------
// Errors: one class per core error code (SPEC §4). Fields come verbatim from the core.

const kFields = ['code', 'status', 'requestId', 'retryAfter', 'attempts'];

class RefoldError extends Error {
  /**
   * @param {string} message
   * @param {{code?: string, status?: number|null, requestId?: string|null,
   *          retryAfter?: number|null, attempts?: number, cause?: unknown}} [fields]
   */
  constructor(message, fields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = fields.code ?? new.target.code ?? 'unknown';
    this.status = fields.status ?? null;
    this.requestId = fields.requestId ?? null;
    this.retryAfter = fields.retryAfter ?? null;
    this.attempts = fields.attempts ?? 0;
  }

  get name() {
    return this.constructor.name;
  }

  toJSON() {
    const out = { name: this.name, message: this.message };
    for (const key of kFields) out[key] = this[key];
    return out;
  }
}

const errorClasses = {};
function defineError(name, code) {
  // A named class expression per code, so stacks and inspect show e.g. `RateLimitError`.
  const cls = { [name]: class extends RefoldError {} }[name];
  Object.defineProperty(cls, 'code', { value: code, enumerable: true });
  errorClasses[code] = cls;
  return cls;
}

const InvalidInputError = defineError('InvalidInputError', 'invalid_input');
const ConfigurationError = defineError('ConfigurationError', 'configuration');
const BadRequestError = defineError('BadRequestError', 'bad_request');
const AuthenticationError = defineError('AuthenticationError', 'authentication');
const PermissionDeniedError = defineError('PermissionDeniedError', 'permission_denied');
const NotFoundError = defineError('NotFoundError', 'not_found');
const RateLimitError = defineError('RateLimitError', 'rate_limited');
const InvalidLinkedAccountError = defineError('InvalidLinkedAccountError', 'invalid_linked_account');
const ServerError = defineError('ServerError', 'server_error');
const APITimeoutError = defineError('APITimeoutError', 'timeout');
const APIConnectionError = defineError('APIConnectionError', 'connection');
const InvalidResponseError = defineError('InvalidResponseError', 'invalid_response');
const UnexpectedStatusError = defineError('UnexpectedStatusError', 'unexpected_status');

/** Builds the subclass for a native error payload. */
function toError(payload) {
  const cls = errorClasses[payload.code] || RefoldError;
  return new cls(payload.message, {
    code: payload.code,
    status: payload.status ?? null,
    requestId: payload.requestId ?? null,
    retryAfter: payload.retryAfter ?? null,
    attempts: payload.attempts,
  });
}

// ---------------------------------------------------------------------------------------------
// The session token.

const kToken = Symbol('token');
const kRedacted = Symbol('redacted');

class SessionToken {
  /** @internal Built by the client from a native payload. */
  constructor(payload) {
    Object.defineProperty(this, kToken, { value: payload.token });
    Object.defineProperty(this, kRedacted, { value: payload.redacted });
    this.linkedAccountId = payload.linkedAccountId;
    this.expiresAt = new Date(payload.expiresAtMs);
    this.issuedAt = payload.issuedAtMs == null ? null : new Date(payload.issuedAtMs);
    Object.freeze(this);
  }

  /** The token to hand to the front end. A secret: never log it. */
  get token() {
    return this[kToken];
  }

  /** Serialising on purpose keeps the token whole (e.g. `res.json(session)`). */
  toJSON() {
    return {
      token: this[kToken],
      linkedAccountId: this.linkedAccountId,
      expiresAt: this.expiresAt,
      issuedAt: this.issuedAt,
    };
  }

  toString() {
    return `SessionToken(${this[kRedacted]} for ${this.linkedAccountId})`;
  }

  [util.inspect.custom](depth, options, inspect) {
    const shown = {
      token: this[kRedacted],
      linkedAccountId: this.linkedAccountId,
      expiresAt: this.expiresAt,
      issuedAt: this.issuedAt,
    };
    if (depth < 0) return options.stylize('[SessionToken]', 'special');
    return `SessionToken ${(inspect || util.inspect)(shown, { ...options, depth: options.depth == null ? null : options.depth - 1 })}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Pending calls. The addon hands every outcome back through one dispatcher per environment
// (see src/lib.rs); a single timer is ref'd while any call is pending so that the process
// waits for outstanding calls, and unref'd otherwise so that it exits promptly after the last.

const pending = new Map();
let nextCallId = 1;
const keepAlive = setInterval(() => {}, 0x7fffffff);
keepAlive.unref();

const dispatcher = native.createDispatcher((completion) => {
  const resolve = pending.get(completion.callId);
  if (resolve === undefined) return;
  pending.delete(completion.callId);
  if (pending.size === 0) keepAlive.unref();
  resolve(completion);
});

/** Starts a native call and resolves with its `{ callId, token } | { callId, error }` completion. */
function startCall(nativeClient, id) {
  return new Promise((resolve) => {
    let callId = nextCallId;
    while (pending.has(callId)) callId = (callId % 0xffffffff) + 1;
    nextCallId = (callId % 0xffffffff) + 1;
    if (pending.size === 0) keepAlive.ref();
    pending.set(callId, resolve);
    try {
      nativeClient.start(dispatcher, callId, id);
    } catch (error) {
      pending.delete(callId);
      if (pending.size === 0) keepAlive.unref();
      throw error;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The client.

const kNative = Symbol('native');

function typeName(value) {
  return value === null ? 'null' : typeof value;
}

class Refold {
  /**
   * @param {object} [options] `{ apiKey, environment, baseUrl, timeoutMs, maxRetries }`; the
   *   `@cobaltio/cobalt` names `server_url` and `sandbox: true` are accepted too. Unset
   *   options fall back to REFOLD_API_KEY / COBALT_API_KEY / REFOLD_ENVIRONMENT /
   *   REFOLD_BASE_URL, then to the defaults.
   * @throws {ConfigurationError}
   */
  constructor(options) {
    let optionsType = null;
    if (options === undefined || options === null) {
      options = {};
    } else if (typeof options !== 'object' || Array.isArray(options)) {
      optionsType = Array.isArray(options) ? 'array' : typeName(options);
      options = {};
    }
    let environment = options.environment;
    if (environment === undefined && options.sandbox === true) environment = 'sandbox';
    let baseUrlName = 'baseUrl';
    let baseUrl = options.baseUrl;
    if (baseUrl === undefined && options.server_url !== undefined) {
      baseUrlName = 'server_url';
      baseUrl = options.server_url;
    }
    const built = native.createClient(
      process.version,
      optionsType,
      options.apiKey,
      environment,
      baseUrl,
      baseUrlName,
      options.timeoutMs,
      options.maxRetries,
    );
    if (!(built instanceof native.NativeClient)) {
      const error = toError(built);
      Error.captureStackTrace?.(error, Refold);
      throw error;
    }
    Object.defineProperty(this, kNative, { value: built });
  }

  /** The deployment this client talks to: `production`, `sandbox` or `staging`. */
  get environment() {
    return this[kNative].environment;
  }

  /** The session-token URL requests go to. */
  get endpoint() {
    return this[kNative].endpoint;
  }

  /**
   * Mints a session token for a linked account.
   * @param {string | {linked_account_id: string}} linkedAccount
   * @returns {Promise<SessionToken>}
   */
  async getTokenForLinkedAccount(linkedAccount) {
    const id =
      linkedAccount !== null && typeof linkedAccount === 'object'
        ? linkedAccount.linked_account_id
        : linkedAccount;
    if (typeof id !== 'string') {
      throw toError(native.linkedAccountIdTypeError(typeName(id)));
    }
    const outcome = await startCall(this[kNative], id);
    if (outcome.error) throw toError(outcome.error);
    if (outcome.panic != null) {
      // A bug in the native code, not a Refold failure: surface it, never hang.
      throw new Error(`refold-session: internal error in the native addon: ${outcome.panic}`);
    }
    return new SessionToken(outcome.token);
  }

  [util.inspect.custom](depth, options, inspect) {
    const shown = { environment: this.environment, endpoint: this.endpoint };
    return `Refold ${(inspect || util.inspect)(shown, options)}`;
  }
}

const exported = {
  Refold,
  Cobalt: Refold,
  default: Refold,
  SessionToken,
  RefoldError,
  InvalidInputError,
  ConfigurationError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  RateLimitError,
  InvalidLinkedAccountError,
  ServerError,
  APITimeoutError,
  APIConnectionError,
  InvalidResponseError,
  UnexpectedStatusError,
};
for (const [key, value] of Object.entries(exported)) {
  Object.defineProperty(Refold, key, { value, enumerable: true });
}
Object.defineProperty(Refold, '__esModule', { value: true });

// `require('refold-session')` is the client class itself, as `@cobaltio/cobalt` was.
module.exports = Refold;
