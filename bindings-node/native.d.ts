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

/** The outcome of one call: exactly one of `token` and `error` is set. */
export interface Completion {
  callId: number;
  token?: TokenPayload;
  error?: ErrorPayload;
}

/** The completion channel of one JavaScript environment. */
export declare class Dispatcher {
  private constructor();
}

/** One client: one connection pool. */
export declare class NativeClient {
  private constructor();
  /**
   * Starts minting a token for `linkedAccountId` (any value; a non-string is refused);
   * `null` when started (the outcome arrives through `dispatcher`), else the error payload.
   */
  start(dispatcher: Dispatcher, callId: number, linkedAccountId: unknown): ErrorPayload | null;
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
): BuiltClient | ErrorPayload;
