import { HttpException } from '@nestjs/common';
import { isDatabaseUnavailable } from '@infra/database/pg-errors';
import { DomainError } from './domain-error';

/** `details` is always present: null when there is nothing more to say. */
export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
  requestId: string;
}

/** The one constructor of the public error body (the filter, idempotency, Fastify's own errors, hooks). */
export function errorBody(code: string, message: string, requestId: string, details?: unknown): ErrorBody {
  return { error: { code, message, details: details ?? null }, requestId };
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  /** Unknown errors are logged with a stack; known ones are the client's problem. */
  unexpected: boolean;
}

const HTTP_STATUS_CODES: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

function fromFastify(err: FastifyLikeError): { status: number; code: string; message: string } | null {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported Content-Type' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { status: 414, code: 'URI_TOO_LONG', message: 'A path parameter is too long' };
    case 'FST_ERR_BAD_URL':
      return { status: 400, code: 'INVALID_URL', message: 'The URL is not validly percent-encoded' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: 'VALIDATION_FAILED', message: 'Content-Length does not match the body' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'MALFORMED_JSON', message: 'Request body is not valid JSON' };
    default:
      break;
  }
  if (err instanceof SyntaxError && (err as FastifyLikeError).statusCode === 400) {
    return { status: 400, code: 'MALFORMED_JSON', message: 'Request body is not valid JSON' };
  }
  return null;
}

/** One mapping from anything thrown to the public error body. Used by the filter and idempotency. */
export function mapError(err: unknown, requestId: string): MappedError {
  if (err instanceof DomainError) {
    return {
      status: err.status,
      unexpected: err.status >= 500,
      body: errorBody(err.code, err.message, requestId, err.details),
    };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse() as { message?: unknown; code?: string; details?: unknown } | string;
    let message = err.message;
    let details: unknown;
    if (typeof response === 'object' && response !== null) {
      if (Array.isArray(response.message)) {
        message = 'Request validation failed';
        details = { violations: response.message };
      } else if (typeof response.message === 'string') {
        message = response.message;
      }
      if (response.details !== undefined) details = response.details;
    }
    // Fastify's body-parser errors reach us as HttpException(message, status) (Nest maps them).
    const malformedJson = status === 400 && typeof response === 'string' && /JSON/i.test(response);
    const code = malformedJson
      ? 'MALFORMED_JSON'
      : (typeof response === 'object' && response?.code) || HTTP_STATUS_CODES[status] || (status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_FAILED');
    if (malformedJson) message = 'Request body is not valid JSON';
    return {
      status,
      unexpected: status >= 500,
      body: errorBody(code, status >= 500 ? 'Internal server error' : message, requestId, status >= 500 ? null : details),
    };
  }
  if (err && typeof err === 'object' && isDatabaseUnavailable(err)) {
    // Not a fault of the request: the client retries (Retry-After), nothing was committed.
    return { status: 503, unexpected: false, body: errorBody('SERVICE_UNAVAILABLE', 'The database is unavailable for a moment; retry shortly', requestId) };
  }
  const fastify = err && typeof err === 'object' ? fromFastify(err as FastifyLikeError) : null;
  if (fastify) {
    return { status: fastify.status, unexpected: false, body: errorBody(fastify.code, fastify.message, requestId) };
  }
  return {
    status: 500,
    unexpected: true,
    body: errorBody('INTERNAL_ERROR', 'Internal server error', requestId),
  };
}
