// Type definitions for the ESM entry: the same declarations as the CommonJS entry.
import Refold from './index.js';

export default Refold;
export { Refold };
export import Cobalt = Refold.Cobalt;
export import SessionToken = Refold.SessionToken;
export import RefoldError = Refold.RefoldError;
export import InvalidInputError = Refold.InvalidInputError;
export import ConfigurationError = Refold.ConfigurationError;
export import BadRequestError = Refold.BadRequestError;
export import AuthenticationError = Refold.AuthenticationError;
export import PermissionDeniedError = Refold.PermissionDeniedError;
export import NotFoundError = Refold.NotFoundError;
export import RateLimitError = Refold.RateLimitError;
export import InvalidLinkedAccountError = Refold.InvalidLinkedAccountError;
export import ServerError = Refold.ServerError;
export import APITimeoutError = Refold.APITimeoutError;
export import APIConnectionError = Refold.APIConnectionError;
export import InvalidResponseError = Refold.InvalidResponseError;
export import UnexpectedStatusError = Refold.UnexpectedStatusError;
export import InternalError = Refold.InternalError;
export type ClientOptions = Refold.ClientOptions;
export type Environment = Refold.Environment;
export type ErrorCode = Refold.ErrorCode;
export type LinkedAccountPayload = Refold.LinkedAccountPayload;
export type SessionTokenJSON = Refold.SessionTokenJSON;
export type RefoldErrorFields = Refold.RefoldErrorFields;
