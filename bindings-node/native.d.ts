// Generated from bindings-node/src by napi-rs (make generate); do not edit.
// What the native addon exports, for type-checking index.js (tsconfig.json). Not part of the
// package's public API (index.d.ts is).
/* eslint-disable */

/** What a call returns at once: `null` when it started (its outcome arrives through the
 * dispatcher), else why it could not start. */
export type Started = ErrorPayload | null
/** index.js's `SessionToken`, made by the factory given to `createDispatcher`. */
export type SessionTokenObject = import('./index').SessionToken

/** The completion channel of one JavaScript environment. */
export declare class Dispatcher {
  /**
   * The `SessionToken` object of a minted token (made once per token, then shared by every
   * cache hit).
   */
  sessionToken(token: NativeToken): SessionTokenObject
  /** Makes the call `call_id` (about to start) cancellable by [`Dispatcher::cancel`]. */
  armCancel(callId: number): void
  /**
   * Cancels the call `call_id` (its signal was aborted): its request is dropped (closed)
   * and it completes with the core's `aborted` error. Nothing for a settled call.
   */
  cancel(callId: number): void
  /** Forgets the cancellation of the call `call_id` (it settled). */
  disarm(callId: number): void
}

/** One client: one connection pool (and session cache), shared by every call made through it. */
export declare class NativeClient {
  /**
   * Calls the operation `operation_id` with the API key (`paged`: one page of a paginated
   * list); its completion carries the answer as JSON text, or the page.
   */
  call(callId: number, paged: boolean, operationId: unknown, params?: unknown | undefined | null, body?: unknown | undefined | null, linkedAccountId?: unknown | undefined | null, files?: unknown | undefined | null, options?: unknown | undefined | null): Started
  /**
   * A client acting for one linked account with this client's API key, or why `id` is
   * unusable.
   */
  forLinkedAccount(id: unknown): NativeScopedClient | ErrorPayload
  /**
   * A client acting with a linked account's session token (never the API key), or why
   * `token` is unusable.
   */
  forSessionToken(token: unknown): NativeScopedClient | ErrorPayload
  /**
   * Mints (or, with the cache on, finds) a token for `linked_account_id`; the options'
   * `fresh` bypasses the cache. A plain cache hit (`Client::cached_token`) is answered at
   * once with the token's `SessionToken` object, without the runtime or the dispatcher;
   * otherwise `null` (the call started) or why it could not start.
   */
  token(callId: number, linkedAccountId: unknown, options?: unknown | undefined | null): SessionTokenObject | ErrorPayload | null
  /**
   * This client's cache-hit function: `hit(id)` answers what `token` answers for a plain
   * cache hit without options (the token's `SessionToken` object), else `undefined`.
   */
  hitFunction(): (linkedAccountId: unknown) => SessionTokenObject | undefined
  /**
   * Upserts (`PUT`) or, with `create`, creates (`POST`) the linked account `payload`
   * (the official SDK's object).
   */
  writeAccount(callId: number, create: boolean, payload: unknown, options?: unknown | undefined | null): Started
  /** Gets the linked account, or with `remove` deletes it (Refold's answer, an object). */
  readAccount(callId: number, remove: boolean, linkedAccountId: unknown, options?: unknown | undefined | null): Started
  /**
   * One page of linked accounts: the options' `page` and `limit`, and the per-call options
   * (`timeout`, `maxRetries`), all read by the core from the one object.
   */
  list(callId: number, options?: unknown | undefined | null): Started
  /**
   * A walk over every page of the options' `limit` accounts (the core's
   * `LinkedAccountPages`), each request with the options' per-call options, or why the
   * options are unusable.
   */
  pages(options?: unknown | undefined | null): NativePages | ErrorPayload
  /** Revokes a session token (authenticated by the token itself; it leaves the cache). */
  revoke(callId: number, token: unknown, options?: unknown | undefined | null): Started
  /** The linked account a session token belongs to (read with the token alone). */
  activeAccount(callId: number, token: unknown, options?: unknown | undefined | null): Started
  /** Drops the cached token of `linked_account_id` (nothing without a cache). */
  invalidate(callId: number, linkedAccountId: unknown): Started
  /** Drops every cached token (nothing without a cache). */
  invalidateAll(callId: number): Started
  /**
   * The cache's counters (absent when the cache is off).
   * `Client::verify_webhook_signature`: the delivery checked with this client's API key;
   * `false` for a missing (`null`) or malformed header.
   */
  verifyWebhookSignature(rawBody: Buffer, signatureHeader?: string | undefined | null): boolean
  cacheStats(callId: number): Started
}

/** A walk over the pages of linked accounts: one request per `next`. */
export declare class NativePages {
  /**
   * Fetches the next page; its completion has no page after the last one (or an error,
   * or the core's page limit).
   */
  next(callId: number): Started
}

/**
 * A client acting for one linked account (the core's `ScopedClient`): it refuses org-level
 * operations before sending anything.
 */
export declare class NativeScopedClient {
  /** [`NativeClient::call`] for this linked account. */
  call(callId: number, paged: boolean, operationId: unknown, params?: unknown | undefined | null, body?: unknown | undefined | null, linkedAccountId?: unknown | undefined | null, files?: unknown | undefined | null, options?: unknown | undefined | null): Started
  /**
   * The linked account this client acts for, when it was named by id (`null` for a
   * session token's client).
   */
  get linkedAccountId(): string | null
}

/** The trace hook of one JavaScript environment, shared by its clients. */
export declare class NativeTelemetry {
  /** Whether traces are handed to JavaScript (`false`: dropped in the hook, no crossing). */
  setRecording(recording: boolean): void
}

/**
 * A minted token on its way to JavaScript, turned into its `SessionToken` object by
 * [`Dispatcher::session_token`].
 */
export declare class NativeToken {}

/** The core's `aborted` error, for a call whose signal was aborted before it started. */
export declare function abortedError(): ErrorPayload

/** A linked account: the core's reading of it, and the whole object as Refold sent it. */
export interface AccountPayload {
  /** `LinkedAccount::json()` as JSON text. */
  json: string
  id?: string
  accountId: string
  associatedOrg?: string
  environment?: string
  name?: string
  /** `LinkedAccount::udf()` (name → value) as JSON text. */
  udfJson: string
  /** Absent when Refold sent none (or `null`, as a create answers). */
  integrations?: Array<IntegrationPayload>
  isSeed?: boolean
  tenantAccountId?: string
  newAccount?: boolean
  createdAtMs?: number
  updatedAtMs?: number
}

/**
 * One page of a paginated list: its items, the page to ask for next (none after the last,
 * as the core decides) and the whole answer, as JSON text.
 */
export interface ApiPagePayload {
  itemsJson: string
  nextPage?: number
  bodyJson: string
}

/**
 * A built client and its read-only properties (constant for its lifetime, so `index.js`
 * keeps them instead of asking the addon on every read).
 */
export interface BuiltClient {
  client: NativeClient
  /** `Client::endpoint()`: the session-token URL requests go to. */
  endpoint: string
  /** `Environment::as_str()`: `production`, `sandbox` or `staging`. */
  environment: string
  /** `Client::user_agent()`. */
  userAgent: string
}

/**
 * The outcome of one call, handed back with its call id. At most one field besides
 * `call_id` is set; none for a call that returns nothing (or whose answer is absent: no
 * stats, no further page).
 */
export interface Completion {
  callId: number
  token?: NativeToken
  account?: AccountPayload
  page?: PagePayload
  /** A JSON object's text (Refold's answer to a delete). */
  objectJson?: string
  revoked?: RevokePayload
  stats?: StatsPayload
  /** An operation's answer as JSON text. */
  json?: string
  /** One page of a paginated list. */
  apiPage?: ApiPagePayload
  error?: ErrorPayload
  /**
   * The call's trace plan as JSON text, when the environment's trace hook took one
   * (`telemetry.rs`): it crosses with the outcome, in the same wake of the JavaScript thread.
   */
  trace?: string
}

/**
 * Builds a client of the environment of `dispatcher` from the options object as the user
 * passed it (any JavaScript value),
 * read by the core in Node's dialect (`core::host::client_options`); unset options fall back
 * to the core's environment variables and defaults. Returns the client or an error payload
 * (`configuration`, or `internal` for a panic). With `telemetry` (the environment's hook,
 * made only when `@opentelemetry/api` is installed) the client reports its calls to it.
 */
export declare function createClient(dispatcher: Dispatcher, runtimeVersion: string, options?: unknown | undefined | null, telemetry?: NativeTelemetry | undefined | null): BuiltClient | ErrorPayload

/**
 * Creates the environment's completion channel around `callback(completion)` and its token
 * factory `makeSessionToken(payload)`, or returns an `internal` error payload.
 */
export declare function createDispatcher(callback: (arg: Completion) => void, makeSessionToken: (payload: TokenPayload) => SessionTokenObject): Dispatcher | ErrorPayload

/** Creates the environment's trace hook around `callback(traceJson)`. */
export declare function createTelemetry(callback: (arg: string) => void): NativeTelemetry | ErrorPayload

/** A failure, field for field as the core reports it. */
export interface ErrorPayload {
  /** `ErrorCode::as_str()`: the key of index.js's table of error classes. */
  code: string
  /** `Error::message()`, verbatim. */
  message: string
  status?: number
  requestId?: string
  /** Seconds. */
  retryAfter?: number
  attempts: number
  /** Refold's own code (`error`, or `error_code`). */
  serverCode?: string
  /** Refold's `http_error_type`. */
  httpErrorType?: string
}

/**
 * The error of the host-object option `name` (`signal`, `logger`: `refold_session::host::
 * HOST_OBJECT_OPTIONS`) holding a value whose `typeof` is `received` (`object`: an object of
 * the wrong kind), worded by the core.
 */
export declare function hostObjectError(name: string, received: string): ErrorPayload

/** One connected application of a linked account. */
export interface IntegrationPayload {
  /** Refold's `type`: the application's slug. */
  type: string
  name: string
  appId?: string
  icon?: string
  reauthRequired?: boolean
  createdAtMs?: number
  updatedAtMs?: number
}

/** One page of linked accounts. */
export interface PagePayload {
  accounts: Array<AccountPayload>
  page: number
  limit: number
  total: number
  totalPages: number
  pagingCounter: number
  hasPrevPage: boolean
  prevPage?: number
  hasNextPage: boolean
  nextPage?: number
}

/** `WebhookEvent::parse`: the event, or why the body is not one (`invalid_input`). */
export declare function parseWebhookEvent(rawBody: Buffer): WebhookEventPayload | ErrorPayload

/** Refold's answer to a revocation. */
export interface RevokePayload {
  success: boolean
  revokedCount: number
}

/**
 * Sends the core's log lines from `level` up (`debug`, `info`, `warn`, `error`; anything
 * else: none) to `callback("<level> <message>")`, for the whole process.
 */
export declare function setLogSink(callback: (arg: string) => void, level: string): void

/** The session cache's counters. */
export interface StatsPayload {
  hits: number
  misses: number
  coalesced: number
  refreshes: number
  refreshFailures: number
  evictions: number
  entries: number
  storeHits: number
  storeErrors: number
  rateLimitWaits: number
  rateLimitWaitMs: number
  rateLimitRefused: number
  rateLimit429s: number
  rateLimitBackgroundDeferred: number
  rateLimitFleetFallbacks: number
}

/**
 * The instruments every trace's metric points refer to by index, with the instrumentation
 * scope: `{scope, version, instruments}` as JSON (core's declaration, `telemetry.js` makes them).
 */
export declare function telemetryInstruments(): string

/**
 * A session token, for index.js's `SessionToken` constructor (called once per token: the
 * object it makes is kept in the token's host slot).
 */
export interface TokenPayload {
  token: string
  /** `SessionToken::redacted()`: what inspect/toString show instead of the token. */
  redacted: string
  /** `REDACTED`: what they show instead of the refresh token. */
  redactedRefresh: string
  linkedAccountId: string
  expiresAtMs: number
  issuedAtMs?: number
  /** `format_rfc3339(expires_at)`. */
  expiresAtText: string
  /** `format_rfc3339(issued_at)`. */
  issuedAtText?: string
  refreshToken?: string
  refreshExpiresAtMs?: number
  /** `format_rfc3339(refresh_expires_at)`. */
  refreshExpiresAtText?: string
}

/** `webhook::verify_webhook_signature`: `false` for a missing (`null`) or malformed header. */
export declare function verifyWebhookSignature(rawBody: Buffer, signatureHeader: string | undefined | null, apiKey: string): boolean

/**
 * The core's `invalid_input` for a raw body that is neither a `Buffer`, a typed array nor a
 * string (`received`: JavaScript's name for what was given).
 */
export declare function webhookBodyTypeError(received: string): ErrorPayload

/** A webhook event, member for member as the core reads it. */
export interface WebhookEventPayload {
  /** `WebhookEventType::as_str()`: the `event` member. */
  eventType: string
  linkedAccountId?: string
  orgId?: string
  environment?: string
  /** The `type` member. */
  kind?: string
  slug?: string
  createdAt?: string
  instanceId?: string
  workflowId?: string
  workflowName?: string
  configId?: string
  status?: string
  /** `WebhookEvent::dedup_key()`. */
  dedupKey: string
  /** The whole payload as JSON text. */
  json: string
}
