// ESM entry: the same objects as the CommonJS entry (one native addon, one set of classes,
// so `instanceof` works across `import` and `require`).
import { createRequire } from 'node:module';

// `index.js` is CommonJS, loaded through `createRequire` (so `any` to the type checker here;
// tsconfig.json checks index.js itself).
const requireCommonJS = createRequire(import.meta.url);
const Refold = requireCommonJS('./index.js');

export default Refold;
export const {
  Cobalt,
  SessionToken,
  LinkedAccount,
  LinkedAccountPage,
  ScopedClient,
  RefoldApi,
  WebhookEvent,
  verifyWebhookSignature,
  parseWebhookEvent,
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
  InternalError,
  AbortError,
  errorClasses,
} = Refold;
export { Refold };
