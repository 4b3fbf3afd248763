// ESM entry: the same objects as the CommonJS entry (one native addon, one set of classes,
// so `instanceof` works across `import` and `require`).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Refold = require('./index.js');

export default Refold;
export const {
  Cobalt,
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
} = Refold;
export { Refold };
