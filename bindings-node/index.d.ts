// Type definitions for refold-session (CommonJS entry; `index.d.mts` re-exports them for ESM).
//
// `require('refold-session')` is the client class itself, with every other export attached
// as a static property, so both of these type-check:
//   import Refold, { RefoldError, SessionToken } from 'refold-session';
//   import Refold = require('refold-session');

import type { OfficialCalls } from './api.generated';

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
  getTokenForLinkedAccount(
    linkedAccount: string | Refold.LinkedAccountPayload,
    options?: Refold.TokenOptions,
  ): Promise<Refold.SessionToken>;
  /**
   * Revokes a session token: Refold refuses it (and its refresh token) from now on, and it
   * leaves this client's cache and the fleet store. Authenticated by the token itself (no API
   * key is sent). A token Refold refuses (expired, revoked already) rejects with
   * {@link Refold.AuthenticationError} (`serverCode` `INVALID_TOKEN`).
   */
  revokeSessionToken(token: string | Refold.SessionToken, options?: Refold.RequestOptions): Promise<Refold.RevokeResult>;
  /**
   * The linked account a session token belongs to, read with the token alone; a token Refold
   * refuses rejects with {@link Refold.AuthenticationError}.
   */
  getActiveLinkedAccount(token: string | Refold.SessionToken, options?: Refold.RequestOptions): Promise<Refold.LinkedAccount>;

  /**
   * Creates the end-user's linked account, or updates it if it exists (`PUT`, retried like
   * every idempotent call): the first step of the server-side flow, before minting its token.
   *
   * Rejects with {@link Refold.InvalidInputError} before anything is sent when the payload is
   * unusable (an invalid id, `udf` values that are not strings, numbers, booleans or null,
   * `your_app` without `auth_credentials`, text holding a lone surrogate).
   */
  upsertLinkedAccount(account: Refold.LinkedAccountInput, options?: Refold.RequestOptions): Promise<Refold.LinkedAccount>;

  /**
   * Creates the linked account; one that exists already rejects with
   * {@link Refold.BadRequestError}. Retried only when the request never left.
   */
  createLinkedAccount(account: Refold.LinkedAccountInput, options?: Refold.RequestOptions): Promise<Refold.LinkedAccount>;

  /** The linked account; an unknown one rejects with {@link Refold.NotFoundError}. */
  getLinkedAccountById(linkedAccountId: string, options?: Refold.RequestOptions): Promise<Refold.LinkedAccount>;

  /**
   * Deletes the linked account (its tokens stop working); an unknown one rejects with
   * {@link Refold.NotFoundError}. Resolves to Refold's answer, e.g. `{ message }`. With the
   * cache on, also call {@link Refold.invalidate} so its cached token is dropped.
   */
  deleteLinkedAccount(linkedAccountId: string, options?: Refold.RequestOptions): Promise<Record<string, unknown>>;

  /** One page of linked accounts, in creation order (`page` from 1, `limit` 1 to 100; defaults 1 and 10). */
  getAllLinkedAccounts(options?: Refold.ListOptions): Promise<Refold.LinkedAccountPage>;

  /**
   * Every linked account, fetching page after page (`limit` per request, default 10):
   * `for await (const account of refold.linkedAccounts({ limit: 100 }))`. It stops after the
   * last page, an empty page or 100,000 pages; an error rejects the loop.
   */
  linkedAccounts(options?: Omit<Refold.ListOptions, 'page'>): AsyncGenerator<Refold.LinkedAccount, void, undefined>;

  /** Drops the cached token of a linked account (its next call mints). Does nothing without a cache. */
  invalidate(linkedAccountId: string): Promise<void>;

  /** Drops every cached token. Does nothing without a cache. */
  invalidateAll(): Promise<void>;

  /** The session cache's counters since the client was built, or `null` when the cache is off. */
  cacheStats(): Promise<Refold.CacheStats | null>;

  /**
   * Every operation of Refold's API as a method, typed from its description:
   * `await client.api.listWebhooks()`, `client.api.getPersistentTableRecords({ tableId, linkedAccountId })`;
   * paginated lists also have `<name>All(...)`, an async iterator of their items.
   */
  readonly api: Refold.RefoldApi;

  /**
   * Calls any operation of Refold's API by its `operationId` with its one object: the
   * parameters by camelCase key, `body`, `linkedAccountId` and `files`. Resolves to Refold's
   * JSON answer (`null` when it has none); rejects with a {@link Refold.RefoldError} subclass
   * ({@link Refold.InvalidInputError}, nothing sent, for an unknown operation or a parameter it
   * does not take).
   */
  call(operationId: Refold.OperationId | (string & {}), params?: Refold.CallParams, options?: Refold.RequestOptions): Promise<unknown>;

  /** One page of a paginated list: its items, the next page's number (`null` after the last) and Refold's whole answer. */
  callPage(operationId: Refold.OperationId | (string & {}), params?: Refold.CallParams, options?: Refold.RequestOptions): Promise<Refold.ApiPage>;

  /**
   * A client acting for one linked account with this client's API key: it sends the id in
   * the `linked_account_id` header and may call only the operations that act for a linked
   * account. Throws {@link Refold.InvalidInputError} for an unusable id.
   */
  forLinkedAccount(linkedAccountId: string): Refold.ScopedClient;

  /**
   * A client acting with a linked account's session token (never the API key): org-level
   * operations reject with {@link Refold.InvalidInputError} before anything is sent.
   */
  forSessionToken(token: string | Refold.SessionToken): Refold.ScopedClient;

  /**
   * Whether `signatureHeader` (`req.headers['x-cobalt-signature']`) is the HMAC-SHA256 of the
   * raw body keyed on this client's API key, compared in constant time. A missing or
   * malformed header is `false`, never an exception.
   * @throws {Refold.InvalidInputError} when `rawBody` is not bytes or a string (e.g. the
   *   object a JSON body parser made of it: verify the raw bytes).
   */
  verifyWebhookSignature(rawBody: Refold.WebhookBody, signatureHeader: string | readonly string[] | undefined | null): boolean;

  /** The class itself, for `require('refold-session').default`. */
  static readonly default: typeof Refold;
}

/** `@cobaltio/cobalt`'s other calls (api.generated.d.ts), on the client. */
interface Refold extends OfficialCalls {}

declare namespace Refold {
  /** The client under its product name. */
  export import Refold = RefoldClient;
  /** The client under the name used by `@cobaltio/cobalt`. */
  export import Cobalt = RefoldClient;

  export type Environment = 'production' | 'sandbox' | 'staging';

  // Refold's whole API (api.generated.d.ts, typed with models.generated.d.ts).
  /** Every operation id of Refold's API description. */
  export type OperationId = import('./api.generated').OperationId;
  /** `client.api`: a method per operation. */
  export type RefoldApi = import('./api.generated').RefoldApi;
  export const RefoldApi: typeof import('./api.generated').RefoldApi;
  /** A file sent in a multipart body. */
  export type ApiFileInput = import('./api.generated').ApiFileInput;

  /** The one object of a generic call: the operation's parameters by camelCase key, then its body, account and files. */
  export interface CallParams {
    [parameter: string]: unknown;
    body?: unknown;
    /** The linked account it acts for (the `linked_account_id` header); a scoped client sends its own. */
    linkedAccountId?: string;
    files?: ReadonlyArray<ApiFileInput>;
  }

  /** One page of a paginated list (`callPage`). */
  export interface ApiPage {
    readonly items: unknown[];
    /** The page to ask for next, or `null` after the last (as the core decides). */
    readonly nextPage: number | null;
    /** Refold's whole answer. */
    readonly body: unknown;
  }

  /**
   * A client acting for one linked account (`forLinkedAccount`) or with its session token
   * (`forSessionToken`): the same `api` methods and generic call, sharing its parent's
   * connections, budget and options. Org-level operations reject with
   * {@link InvalidInputError} before anything is sent. Inspect shows the account, never a token.
   */
  export class ScopedClient {
    private constructor();
    /** The linked account it acts for, when named by id (`null` for a session token's client). */
    readonly linkedAccountId: string | null;
    readonly api: RefoldApi;
    call(operationId: OperationId | (string & {}), params?: CallParams, options?: RequestOptions): Promise<unknown>;
    callPage(operationId: OperationId | (string & {}), params?: CallParams, options?: RequestOptions): Promise<ApiPage>;
  }

  // The options, declared once in the core and generated from its tables (options.generated.d.ts).
  /** `new Refold(options)`: each option falls back to its environment variable, then its default. */
  export type ClientOptions = import('./options.generated').ClientOptions;
  /** Settings of the session cache (`cache`); every one optional. */
  export type CacheOptions = import('./options.generated').CacheOptions;
  /** Settings of the fleet store on Redis (`cache.store`); unset ones come from the environment. */
  export type StoreOptions = import('./options.generated').StoreOptions;
  /** Options of one call, overriding the client's for it (`fresh`: the token call only). */
  export type RequestOptions = import('./options.generated').RequestOptions;
  /** What the `logger` option takes: `console`, a pino or winston logger. */
  export type Logger = import('./options.generated').Logger;
  /** Options of one `getTokenForLinkedAccount` call. */
  export type TokenOptions = RequestOptions;
  /** The arguments of `getAllLinkedAccounts` (the official SDK's `{page, limit}`), with the per-call options. */
  export type ListOptions = import('./options.generated').PageOptions & RequestOptions;

  /** What `revokeSessionToken` resolves to: Refold's answer. */
  export interface RevokeResult {
    readonly success: boolean;
    /** Tokens revoked: 1 when it was its account's current token, else 0. */
    readonly revokedCount: number;
  }

  /** The session cache's counters since the client was built. */
  export interface CacheStats {
    /** Calls answered from the cache without a request. */
    readonly hits: number;
    /** Calls that started a mint (no usable entry, or `fresh`). */
    readonly misses: number;
    /** Calls that waited for a mint another call had started. */
    readonly coalesced: number;
    /** Background refreshes that stored a new token. */
    readonly refreshes: number;
    /** Background refreshes that failed. */
    readonly refreshFailures: number;
    /** Entries removed because the cache was full or their time was up. */
    readonly evictions: number;
    /** Accounts cached now. */
    readonly entries: number;
    /** Tokens found in the fleet store. */
    readonly storeHits: number;
    /** Fleet-store calls that failed or took too long (each fell back to a direct mint). */
    readonly storeErrors: number;
    /** Requests that waited for their turn in the rate-limit budget. */
    readonly rateLimitWaits: number;
    /** Total time those requests waited, in milliseconds. */
    readonly rateLimitWaitMs: number;
    /** Calls the budget refused without sending anything (`RateLimitedError`). */
    readonly rateLimitRefused: number;
    /** 429 answers received from Refold. */
    readonly rateLimit429s: number;
    /** Background refreshes that found no spare turn at first. */
    readonly rateLimitBackgroundDeferred: number;
    /** Turns granted by the local share because the fleet's Redis failed. */
    readonly rateLimitFleetFallbacks: number;
  }

  /** A user-defined field's value. */
  export type UdfValue = string | number | boolean | null;

  /** What `upsertLinkedAccount` and `createLinkedAccount` take: the official SDK's payload. */
  export interface LinkedAccountInput {
    /** Your id of the end-user (the session-token id rules). */
    linked_account_id: string;
    /** A display name. */
    name?: string | null;
    /** User-defined fields (at most 1,000). */
    udf?: Record<string, UdfValue> | null;
    /** Your app's id and this account's credentials for it: a secret, never shown in messages. */
    your_app?: { app_id: string; auth_credentials: unknown } | null;
  }

  /** One application connected to a linked account. */
  export interface Integration {
    /** The application's slug (Refold's `type`, e.g. `hubspot`). */
    readonly type: string;
    readonly name: string;
    /** Your custom app's id, or `null` for Refold's own apps. */
    readonly appId: string | null;
    readonly icon: string | null;
    /** Whether the end-user must connect it again. */
    readonly reauthRequired: boolean | null;
    readonly createdAt: Date | null;
    readonly updatedAt: Date | null;
  }
  /**
   * A linked account as Refold returned it: typed fields, and the whole object (`json`,
   * `toJSON()`), so fields Refold adds later are not lost.
   */
  export class LinkedAccount {
    private constructor();
    /** Refold's own id of the account (`_id`). */
    readonly id: string | null;
    /** Your id of the end-user: the `linked_account_id` tokens are minted for. */
    readonly accountId: string;
    /** The Refold environment the account lives in (e.g. `test`). */
    readonly environment: string | null;
    readonly name: string | null;
    /** User-defined fields as name → value (Refold sends a list of `{key_name, key_value}`). */
    readonly udf: Readonly<Record<string, UdfValue>>;
    /** The connected applications, or `null` when Refold sent none (as a create answers). */
    readonly integrations: readonly Integration[] | null;
    /** The Refold organisation the account belongs to. */
    readonly associatedOrg: string | null;
    readonly isSeed: boolean | null;
    readonly tenantAccountId: string | null;
    /** An upsert's answer: whether it created the account (`null` elsewhere). */
    readonly newAccount: boolean | null;
    readonly createdAt: Date | null;
    readonly updatedAt: Date | null;
    /** The whole object as Refold returned it (frozen). */
    readonly json: Readonly<Record<string, unknown>>;
    /** Refold's object, as `@cobaltio/cobalt` returned it. */
    toJSON(): Readonly<Record<string, unknown>>;
  }

  /** What `LinkedAccountPage#toJSON()` returns: Refold's page names. */
  export interface LinkedAccountPageJSON {
    docs: readonly LinkedAccount[];
    totalDocs: number;
    limit: number;
    totalPages: number;
    page: number;
    pagingCounter: number;
    hasPrevPage: boolean;
    hasNextPage: boolean;
    prevPage: number | null;
    nextPage: number | null;
  }

  /** One page of `getAllLinkedAccounts`. */
  export class LinkedAccountPage {
    private constructor();
    /** This page's accounts, in creation order. */
    readonly accounts: readonly LinkedAccount[];
    /** This page's number, from 1. */
    readonly page: number;
    /** Accounts per page. */
    readonly limit: number;
    /** Accounts in all pages. */
    readonly total: number;
    readonly totalPages: number;
    /** The number of this page's first account, from 1. */
    readonly pagingCounter: number;
    /** Whether a page comes before this one. */
    readonly hasPrevPage: boolean;
    /** The previous page's number, or `null` on the first. */
    readonly prevPage: number | null;
    /** The next page's number, or `null` after the last. */
    readonly nextPage: number | null;
    /** `@cobaltio/cobalt`'s name for `accounts`. */
    readonly docs: readonly LinkedAccount[];
    /** `@cobaltio/cobalt`'s name for `total`. */
    readonly totalDocs: number;
    readonly hasNextPage: boolean;
    toJSON(): LinkedAccountPageJSON;
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
    /** The refresh token, whole (a secret like the token), or `null`. */
    refreshToken: string | null;
    refreshExpiresAt: string | null;
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
    /**
     * The refresh token Refold answered with (`null` for the older answer). A secret like the
     * token: inspect and toString show `[REDACTED]`.
     */
    readonly refreshToken: string | null;
    /** When the refresh token stops working, if Refold said. */
    readonly refreshExpiresAt: Date | null;
    toJSON(): SessionTokenJSON;
    toString(): string;
  }

  /** A webhook delivery's body exactly as received, before any JSON parsing. */
  export type WebhookBody = Buffer | Uint8Array | string;

  /** The events Refold documents; others arrive under their own name. */
  export type WebhookEventType =
    | 'Connection Created'
    | 'Connection Deleted'
    | 'Connection Expired'
    | 'Workflow Completed'
    | 'Workflow Errored'
    | (string & {});

  /**
   * Whether `signatureHeader` (`x-cobalt-signature`) is the HMAC-SHA256 of the raw body keyed
   * on `apiKey`, compared in constant time. A missing, empty, short, long or non-hex header,
   * a `sha256=` prefix, or an empty key is `false`, never an exception.
   * @throws {Refold.InvalidInputError} when `rawBody` is not bytes or a string.
   */
  export function verifyWebhookSignature(
    rawBody: WebhookBody,
    signatureHeader: string | readonly string[] | undefined | null,
    apiKey: string,
  ): boolean;

  /**
   * Reads a webhook body (verify its signature first).
   * @throws {Refold.InvalidInputError} for a body over 1 MiB, not a JSON object, without a
   *   string `event`, or with a documented member neither a string nor null.
   */
  export function parseWebhookEvent(rawBody: WebhookBody): WebhookEvent;

  /** A webhook event (frozen); members a payload lacks are `null`. */
  export class WebhookEvent {
    private constructor();
    /** The `event` member. */
    readonly eventType: WebhookEventType;
    readonly linkedAccountId: string | null;
    readonly orgId: string | null;
    /** `test` or `production` (connection events). */
    readonly environment: string | null;
    /** The `type` member (connection events, e.g. `General`). */
    readonly kind: string | null;
    /** The app (connection events). */
    readonly slug: string | null;
    /** `createdAt` as sent (an HTTP date). */
    readonly createdAt: string | null;
    /** The workflow run (workflow events). */
    readonly instanceId: string | null;
    readonly workflowId: string | null;
    readonly workflowName: string | null;
    readonly configId: string | null;
    /** `COMPLETED` or `ERRORED` (workflow events). */
    readonly status: string | null;
    /** What identifies the event across repeated deliveries: deduplicate on it. */
    readonly dedupKey: string;
    /** The whole payload, members this type does not name included. */
    readonly raw: Readonly<Record<string, unknown>>;
  }

  /** Every error code, the same strings in every language (the core's `ErrorCode::ALL`). */
  export type ErrorCode = import('./options.generated').ErrorCode;

  export interface RefoldErrorFields {
    code?: ErrorCode | (string & {});
    status?: number | null;
    requestId?: string | null;
    retryAfter?: number | null;
    attempts?: number;
    serverCode?: string | null;
    httpErrorType?: string | null;
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
    /** Refold's own code of the error (the body's `error` or `error_code`, e.g. `INVALID_LINKED_ACCOUNT_ID`), or `null`. */
    readonly serverCode: string | null;
    /** Refold's `http_error_type` (e.g. `BAD_REQUEST`), or `null`. */
    readonly httpErrorType: string | null;
    toJSON(): {
      name: string;
      message: string;
      code: string;
      status: number | null;
      requestId: string | null;
      retryAfter: number | null;
      attempts: number;
      serverCode: string | null;
      httpErrorType: string | null;
    };
  }

  /** The error class of each code (the core's `ErrorCode::ALL`), by its string. */
  export const errorClasses: { readonly [Code in ErrorCode]: typeof RefoldError & { readonly code: Code } };

  /** An argument is unusable (nothing was sent): a linked account id of the wrong type, empty, blank, too long, with a control character or a lone surrogate; a linked account payload, page or limit the core refuses. */
  export class InvalidInputError extends RefoldError {
    readonly code: 'invalid_input';
    static readonly code: 'invalid_input';
  }
  /** The client options are unusable. Thrown by the constructor. */
  export class ConfigurationError extends RefoldError {
    readonly code: 'configuration';
    static readonly code: 'configuration';
  }
  /** HTTP 400 or 422 (e.g. creating a linked account that exists). */
  export class BadRequestError extends RefoldError {
    readonly code: 'bad_request';
    static readonly code: 'bad_request';
  }
  /** HTTP 401: the API key (or, for revoke and the active account, the session token) was refused. */
  export class AuthenticationError extends RefoldError {
    readonly code: 'authentication';
    static readonly code: 'authentication';
  }
  /** HTTP 403. */
  export class PermissionDeniedError extends RefoldError {
    readonly code: 'permission_denied';
    static readonly code: 'permission_denied';
  }
  /** HTTP 404 (e.g. no such linked account on get or delete). */
  export class NotFoundError extends RefoldError {
    readonly code: 'not_found';
    static readonly code: 'not_found';
  }
  /** HTTP 429, after retries. */
  export class RateLimitError extends RefoldError {
    readonly code: 'rate_limited';
    static readonly code: 'rate_limited';
  }
  /** An unknown linked account (Refold: 400 `INVALID_LINKED_ACCOUNT_ID`; its older guide: 500): create it first, or check the id. */
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
  /** The call's `signal` was aborted (its `name` is `'AbortError'`, as DOM aborts are): before
   * sending (nothing sent) or during a request (closed; it may have reached Refold). Never retried. */
  export class AbortError extends RefoldError {
    readonly code: 'aborted';
    static readonly code: 'aborted';
  }
}

/** An alias so the namespace can name the class it merges with. */
import RefoldClient = Refold;

export = Refold;
