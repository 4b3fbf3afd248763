// A typed example: `tsc --noEmit --strict` must accept it (see tsconfig.json). It uses the
// client, narrows errors with `instanceof` and reads token fields without `any`.
import Refold, {
  APITimeoutError,
  Cobalt,
  ConfigurationError,
  InvalidInputError,
  InternalError,
  InvalidLinkedAccountError,
  RateLimitError,
  RefoldError,
  SessionToken,
  LinkedAccount,
  LinkedAccountPage,
  NotFoundError,
  type CacheStats,
  type ClientOptions,
  type ErrorCode,
  type Integration,
  type LinkedAccountInput,
  type RevokeResult,
  type StoreOptions,
} from 'refold-session';

const options: ClientOptions = {
  apiKey: process.env.REFOLD_API_KEY,
  baseUrl: process.env.REFOLD_BASE_URL,
  timeoutMs: 10_000,
  maxRetries: 2,
  maxIdleConnections: 8,
  maxConnections: 64,
};

export async function mint(linkedAccountId: string): Promise<{ token: string; expiresAt: Date; issuedAt: Date | null } | null> {
  let refold: Refold;
  try {
    refold = new Refold(options);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      const code: 'configuration' = error.code;
      console.error(code, error.message);
      return null;
    }
    throw error;
  }
  try {
    const session: SessionToken = await refold.getTokenForLinkedAccount(linkedAccountId);
    const token: string = session.token;
    const expiresAt: Date = session.expiresAt;
    const issuedAt: Date | null = session.issuedAt;
    const owner: string = session.linkedAccountId;
    const json = session.toJSON();
    const sameToken: string = json.token;
    const expiresText: string = json.expiresAt;
    const issuedText: string | null = json.issuedAt;
    console.log(expiresText, issuedText ?? 'no iat', refold.userAgent, refold.endpoint);
    console.log(owner, sameToken === token, expiresAt.toISOString(), issuedAt?.toISOString() ?? 'no iat');
    return { token, expiresAt, issuedAt };
  } catch (error) {
    if (error instanceof InvalidLinkedAccountError) {
      const status: number | null = error.status;
      console.error(`create the linked account first (HTTP ${status})`);
    } else if (error instanceof RateLimitError) {
      const wait: number | null = error.retryAfter;
      console.error(`rate limited after ${error.attempts} attempts; retry in ${wait ?? 1}s`);
    } else if (error instanceof InternalError) {
      const code: 'internal' = error.code;
      console.error(code, 'a bug in refold-session: please report it', error.message);
    } else if (error instanceof APITimeoutError || error instanceof InvalidInputError) {
      console.error(error.name, error.message);
    } else if (error instanceof RefoldError) {
      const code: ErrorCode | (string & {}) = error.code;
      const requestId: string | null = error.requestId;
      console.error(code, requestId, error.message);
    } else {
      throw error;
    }
    return null;
  }
}

// The server-side flow: upsert the linked account, mint with the cache on, walk every account.
export async function flow(userId: string): Promise<string[]> {
  const refold = new Refold({ cache: { maxEntries: 1000, minRemainingMs: 3_600_000, refreshAheadMs: 7_200_000 } });
  const input: LinkedAccountInput = {
    linked_account_id: userId,
    name: 'Ada',
    udf: { plan: 'pro', seats: 3, vip: true, note: null },
    your_app: { app_id: 'app-1', auth_credentials: { Authorization: 'Bearer …' } },
  };
  const account: LinkedAccount = await refold.upsertLinkedAccount(input);
  const created: Date | null = account.createdAt;
  const plan: string | number | boolean | null | undefined = account.udf.plan;
  const raw: Readonly<Record<string, unknown>> = account.toJSON();
  console.log(account.id ?? 'no _id', account.accountId, account.name, created?.toISOString(), plan, raw._id);
  const session: SessionToken = await refold.getTokenForLinkedAccount(userId);
  const renewed: SessionToken = await refold.getTokenForLinkedAccount(userId, { fresh: true });
  const stats: CacheStats | null = await refold.cacheStats();
  console.log(session.token === renewed.token, stats?.hits ?? 'cache off', stats?.storeHits);
  await refold.invalidate(userId);
  await refold.invalidateAll();
  const page: LinkedAccountPage = await refold.getAllLinkedAccounts({ page: 1, limit: 10 });
  const next: number | null = page.nextPage;
  const docs: readonly LinkedAccount[] = page.docs;
  console.log(page.total, page.totalDocs, page.hasNextPage, next, docs.length, page.toJSON().totalPages);
  const ids: string[] = [];
  for await (const each of refold.linkedAccounts({ limit: 100 })) ids.push(each.accountId);
  try {
    await refold.getLinkedAccountById('nobody');
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  const answer: Record<string, unknown> = await refold.deleteLinkedAccount(userId);
  console.log(answer.message);
  const fromCreate: LinkedAccount = await refold.createLinkedAccount({ linked_account_id: `${userId}-2` });
  ids.push(fromCreate.accountId);
  return ids;
}

// Issue #22's calls: Refold's codes on errors, the refresh token, per-call options, revoke and
// the active linked account.
export async function session(userId: string): Promise<number> {
  const refold = new Refold({ cache: true });
  const minted: SessionToken = await refold.getTokenForLinkedAccount(userId, { timeout: 5_000, maxRetries: 0 });
  const refresh: string | null = minted.refreshToken;
  const refreshUntil: Date | null = minted.refreshExpiresAt;
  console.log(refresh !== null, refreshUntil?.toISOString(), minted.toJSON().refreshExpiresAt);
  const owner: LinkedAccount = await refold.getActiveLinkedAccount(minted, { timeout: 2_000 });
  const apps: readonly Integration[] | null = owner.integrations;
  console.log(apps?.map((app) => [app.type, app.appId, app.reauthRequired]), owner.newAccount, owner.isSeed);
  const page: LinkedAccountPage = await refold.getAllLinkedAccounts({ page: 2, limit: 5, maxRetries: 1 });
  console.log(page.prevPage, page.hasPrevPage, page.pagingCounter);
  try {
    const revoked: RevokeResult = await refold.revokeSessionToken(minted.token);
    return revoked.success ? revoked.revokedCount : 0;
  } catch (error) {
    if (error instanceof RefoldError) {
      const server: string | null = error.serverCode;
      const kind: string | null = error.httpErrorType;
      console.error(server, kind);
    }
    const byCode: typeof RefoldError = Refold.errorClasses.authentication;
    if (error instanceof byCode) return 0;
    throw error;
  }
}

// A fleet: the cache's second level on Redis, shared by every process.
export function fleetClient(): Refold {
  const store: StoreOptions = {
    redisUrl: 'rediss://:password@redis.internal:6380',
    encryptionKeys: ['bmV3LWtleS0zMi1ieXRlcy1sb25nLi4uLi4uLi4uLi4=', 'b2xkLWtleS0zMi1ieXRlcy1sb25nLi4uLi4uLi4uLi4='],
    keyPrefix: 'myapp:refold:',
    timeoutMs: 250,
  };
  const fromEnvironment = new Refold({ cache: { store: {} } });
  void fromEnvironment;
  return new Refold({ cache: { maxEntries: 50_000, store } });
}

// The @cobaltio/cobalt style: the class under its old name and the object payload.
export function cobaltStyle(): Promise<string> {
  const client: Cobalt = new Cobalt({ apiKey: 'key', server_url: 'http://127.0.0.1:8787' });
  return client.getTokenForLinkedAccount({ linked_account_id: 'user-42' }).then((data) => data.token);
}

// Statics the CommonJS entry also carries.
const sameClass: typeof Refold = Refold.Cobalt;
const viaDefault: typeof Refold = Refold.default;
void sameClass;
void viaDefault;
