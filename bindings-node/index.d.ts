// Type definitions for refold-session (CommonJS entry; `index.d.mts` re-exports them for ESM).
//
// `require('refold-session')` is the client class itself, with every other export attached
// as a static property, so both of these type-check:
//   import Refold, { RefoldError, SessionToken } from 'refold-session';
//   import Refold = require('refold-session');

declare class Refold {
  /**
   * Builds a client (no request is sent). Unset options fall back to the environment
   * variables `REFOLD_API_KEY` (then `COBALT_API_KEY`), `REFOLD_ENVIRONMENT` and
   * `REFOLD_BASE_URL`, then to the defaults.
   *
   * @throws {Refold.ConfigurationError} when the options are unusable (no API key, unknown
   *   environment, a base URL that is not https:// or loopback http://, a non-positive
   *   timeout, a retry or idle-connection count that is not a whole number in range, a value
   *   of the wrong type, text holding a lone UTF-16 surrogate).
   * @throws {Refold.InternalError} for a bug in this library.
   */
  constructor(options?: Refold.ClientOptions);

  /** The deployment this client talks to. */
  readonly environment: Refold.Environment;
  /** The full session-token URL requests go to. */
  readonly endpoint: string;
  /** The `user-agent` sent with every request, e.g. `refold-session/0.1.0 (node v20.1.0)`. */
  readonly userAgent: string;

  /**
   * Mints a session token for the end-user's linked account, retrying transient failures
   * (429, 502–504, timeouts, dropped connections) with backoff.
   *
   * Rejects with a {@link Refold.RefoldError} subclass; a wrong argument type or an empty,
   * blank, over-long (1024 bytes), control-character or lone-surrogate id rejects with
   * {@link Refold.InvalidInputError} before anything is sent.
   */
  getTokenForLinkedAccount(linkedAccount: string | Refold.LinkedAccountPayload): Promise<Refold.SessionToken>;

  /** The class itself, for `require('refold-session').default`. */
  static readonly default: typeof Refold;
}

declare namespace Refold {
  /** The client under its product name. */
  export import Refold = RefoldClient;
  /** The client under the name used by `@cobaltio/cobalt`. */
  export import Cobalt = RefoldClient;

  export type Environment = 'production' | 'sandbox' | 'staging';

  export interface ClientOptions {
    /** Default: `REFOLD_API_KEY`, then `COBALT_API_KEY`. */
    apiKey?: string;
    /** Default: `REFOLD_ENVIRONMENT`, else `'production'`. */
    environment?: Environment | (string & {});
    /** Overrides the environment's URL. Must be https://, or http:// to a loopback host. Default: `REFOLD_BASE_URL`. */
    baseUrl?: string;
    /** `@cobaltio/cobalt`'s name for `baseUrl`. */
    server_url?: string;
    /** @deprecated `@cobaltio/cobalt`'s flag; use `environment: 'sandbox'`. */
    sandbox?: boolean;
    /** Per-attempt timeout in milliseconds, covering connect, headers and body. Default 30000. */
    timeoutMs?: number;
    /** Retries after the first attempt: a whole number from 0 to 100. Default 2; 0 disables retries. */
    maxRetries?: number;
    /** Idle connections kept per host: a whole number from 0 to 10000. Default 32; 0 closes each connection after use. */
    maxIdleConnections?: number;
  }

  /** The argument shape of `@cobaltio/cobalt`'s `getTokenForLinkedAccount`. */
  export interface LinkedAccountPayload {
    linked_account_id: string;
  }

  /**
   * What `SessionToken#toJSON()` returns (and `JSON.stringify` serialises). Times are RFC 3339
   * in UTC with whole seconds, e.g. `2026-11-25T20:08:19Z` (the same text in every language).
   */
  export interface SessionTokenJSON {
    token: string;
    linkedAccountId: string;
    expiresAt: string;
    issuedAt: string | null;
  }

  /**
   * A minted session token. `util.inspect`, `console.log` and `toString()` show it redacted
   * (first 8 characters then `…`); `toJSON()` keeps it whole, for handing to the front end.
   */
  export class SessionToken {
    private constructor();
    /** The token to hand to the front end. A secret: never log it. */
    readonly token: string;
    /** The linked account it was minted for. */
    readonly linkedAccountId: string;
    /** When it stops working: the JWT's `exp`, else `iat` + 24 h, else receipt + 24 h. */
    readonly expiresAt: Date;
    /** When Refold issued it (the JWT's `iat`), if the token says. */
    readonly issuedAt: Date | null;
    toJSON(): SessionTokenJSON;
    toString(): string;
  }

  /** Every error code, the same strings in every language. */
  export type ErrorCode =
    | 'invalid_input'
    | 'configuration'
    | 'bad_request'
    | 'authentication'
    | 'permission_denied'
    | 'not_found'
    | 'rate_limited'
    | 'invalid_linked_account'
    | 'server_error'
    | 'timeout'
    | 'connection'
    | 'invalid_response'
    | 'unexpected_status'
    | 'internal';

  export interface RefoldErrorFields {
    code?: ErrorCode | (string & {});
    status?: number | null;
    requestId?: string | null;
    retryAfter?: number | null;
    attempts?: number;
    cause?: unknown;
  }

  /** The base class of every error this package rejects or throws with. */
  export class RefoldError extends Error {
    constructor(message: string, fields?: RefoldErrorFields);
    /** The language-neutral code. */
    readonly code: ErrorCode | (string & {});
    /** The HTTP status of the last response, or `null` when none arrived. */
    readonly status: number | null;
    /** The `x-request-id` / `request-id` of the last response, for Refold support. */
    readonly requestId: string | null;
    /** Seconds the server asked to wait (`retry-after-ms` / `Retry-After`), or `null`. */
    readonly retryAfter: number | null;
    /** Requests sent; 0 when the call failed before the wire. */
    readonly attempts: number;
    toJSON(): { name: string; message: string; code: string; status: number | null; requestId: string | null; retryAfter: number | null; attempts: number };
  }

  /** The linked account id is of the wrong type, empty, blank, too long, has a control character or a lone surrogate. */
  export class InvalidInputError extends RefoldError {
    readonly code: 'invalid_input';
    static readonly code: 'invalid_input';
  }
  /** The client options are unusable. Thrown by the constructor. */
  export class ConfigurationError extends RefoldError {
    readonly code: 'configuration';
    static readonly code: 'configuration';
  }
  /** HTTP 400 or 422. */
  export class BadRequestError extends RefoldError {
    readonly code: 'bad_request';
    static readonly code: 'bad_request';
  }
  /** HTTP 401: the API key was rejected. */
  export class AuthenticationError extends RefoldError {
    readonly code: 'authentication';
    static readonly code: 'authentication';
  }
  /** HTTP 403. */
  export class PermissionDeniedError extends RefoldError {
    readonly code: 'permission_denied';
    static readonly code: 'permission_denied';
  }
  /** HTTP 404. */
  export class NotFoundError extends RefoldError {
    readonly code: 'not_found';
    static readonly code: 'not_found';
  }
  /** HTTP 429, after retries. */
  export class RateLimitError extends RefoldError {
    readonly code: 'rate_limited';
    static readonly code: 'rate_limited';
  }
  /** HTTP 500, which Refold answers for an unknown linked account: create it first, or check the id. */
  export class InvalidLinkedAccountError extends RefoldError {
    readonly code: 'invalid_linked_account';
    static readonly code: 'invalid_linked_account';
  }
  /** HTTP 502/503/504 after retries, or 501 and other 5xx. */
  export class ServerError extends RefoldError {
    readonly code: 'server_error';
    static readonly code: 'server_error';
  }
  /** An attempt exceeded the timeout, or HTTP 408, after retries. */
  export class APITimeoutError extends RefoldError {
    readonly code: 'timeout';
    static readonly code: 'timeout';
  }
  /** DNS, refused, reset or TLS failure. */
  export class APIConnectionError extends RefoldError {
    readonly code: 'connection';
    static readonly code: 'connection';
  }
  /** A 2xx that is not JSON, lacks a non-empty string `token`, or exceeds 1 MiB. */
  export class InvalidResponseError extends RefoldError {
    readonly code: 'invalid_response';
    static readonly code: 'invalid_response';
  }
  /** Any other status, redirects (never followed) included. */
  export class UnexpectedStatusError extends RefoldError {
    readonly code: 'unexpected_status';
    static readonly code: 'unexpected_status';
  }
  /** A bug in this library (e.g. a panic in the native addon), never retried: please report it. */
  export class InternalError extends RefoldError {
    readonly code: 'internal';
    static readonly code: 'internal';
  }
}

/** An alias so the namespace can name the class it merges with. */
import RefoldClient = Refold;

export = Refold;
