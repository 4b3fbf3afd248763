// What the native addon (src/lib.rs) exports, for type-checking index.js (`// @ts-check`,
// tsconfig.json). Hand-written to match napi-rs's conversions: an `Option` field of a
// `#[napi(object)]` is left out when `None`; an `Option` return value is `null`.
// Not part of the package's public API (index.d.ts is).

/** A failure, field for field as the core reports it. */
export interface ErrorPayload {
  /** `ErrorCode::as_str()`. */
  code: string;
  /** `Error::message()`, verbatim. */
  message: string;
  status?: number;
  requestId?: string;
  /** Seconds. */
  retryAfter?: number;
  attempts: number;
}

/** A minted token: times as epoch milliseconds and as the core's RFC 3339 text. */
export interface TokenPayload {
  token: string;
  /** `SessionToken::redacted()`. */
  redacted: string;
  linkedAccountId: string;
  expiresAtMs: number;
  issuedAtMs?: number;
  /** `format_rfc3339(expires_at)`. */
  expiresAtText: string;
  /** `format_rfc3339(issued_at)`. */
  issuedAtText?: string;
}

/** A linked account: the core's reading of it and the whole object as JSON text. */
export interface AccountPayload {
  /** `LinkedAccount::json()` as JSON text. */
  json: string;
  id?: string;
  accountId: string;
  environment?: string;
  name?: string;
  /** `LinkedAccount::udf()` (name → value) as JSON text. */
  udfJson: string;
  createdAtMs?: number;
  updatedAtMs?: number;
}

/** One page of linked accounts. */
export interface PagePayload {
  accounts: AccountPayload[];
  page: number;
  limit: number;
  total: number;
  totalPages: number;
  nextPage?: number;
}

/** The session cache's counters. */
export interface StatsPayload {
  hits: number;
  misses: number;
  coalesced: number;
  refreshes: number;
  refreshFailures: number;
  evictions: number;
  entries: number;
  storeHits: number;
  storeErrors: number;
}

/**
 * The outcome of one call: at most one field besides `callId` is set (none for a call that
 * returns nothing, no stats when the cache is off, no page after the last).
 */
export interface Completion {
  callId: number;
  token?: TokenPayload;
  account?: AccountPayload;
  page?: PagePayload;
  /** A JSON object's text (Refold's answer to a delete). */
  objectJson?: string;
  stats?: StatsPayload;
  error?: ErrorPayload;
}

/** The completion channel of one JavaScript environment. */
export declare class Dispatcher {
  private constructor();
}

/**
 * What a call returns at once: `null` when it started (the outcome arrives through the
 * dispatcher), else the error payload of why it could not start.
 */
type Started = ErrorPayload | null;

/** One client: one connection pool and session cache. Arguments of any type are judged natively. */
export declare class NativeClient {
  private constructor();
  /**
   * Mints (or finds in the cache) a token; `options` is `{ fresh }`. A plain cache hit is
   * answered at once as the token (no completion follows); else like every call.
   */
  token(dispatcher: Dispatcher, callId: number, linkedAccountId: unknown, options: unknown): TokenPayload | Started;
  /** Upserts (`PUT`) or with `create` creates (`POST`) the linked account `payload`. */
  writeAccount(dispatcher: Dispatcher, callId: number, create: boolean, payload: unknown): Started;
  /** Gets the linked account, or with `delete` deletes it. */
  readAccount(dispatcher: Dispatcher, callId: number, remove: boolean, linkedAccountId: unknown): Started;
  /** One page; `options` is `{ page, limit }`. */
  list(dispatcher: Dispatcher, callId: number, options: unknown): Started;
  /** A walk over every page; `options` is `{ limit }`. */
  pages(options: unknown): NativePages | ErrorPayload;
  invalidate(dispatcher: Dispatcher, callId: number, linkedAccountId: unknown): Started;
  invalidateAll(dispatcher: Dispatcher, callId: number): Started;
  cacheStats(dispatcher: Dispatcher, callId: number): Started;
}

/** A walk over the pages of linked accounts. */
export declare class NativePages {
  private constructor();
  /** Fetches the next page; its completion has no `page` after the last one. */
  next(dispatcher: Dispatcher, callId: number): Started;
}

/** A built client and its read-only properties. */
export interface BuiltClient {
  client: NativeClient;
  endpoint: string;
  environment: string;
  userAgent: string;
}

/** Creates the environment's completion channel, or returns an `internal` error payload. */
export declare function createDispatcher(callback: (completion: Completion) => void): Dispatcher | ErrorPayload;

/** Builds a client from raw option values of any type, or returns an error payload. */
export declare function createClient(
  runtimeVersion: string,
  optionsType: string | null | undefined,
  apiKey: unknown,
  environment: unknown,
  baseUrl: unknown,
  baseUrlName: string | null | undefined,
  timeoutMs: unknown,
  maxRetries: unknown,
  maxIdleConnections: unknown,
  maxConnections: unknown,
  cache: unknown,
): BuiltClient | ErrorPayload;
