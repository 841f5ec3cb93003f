import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { errorBody, mapError } from '../errors/error-body';
import { hasForbiddenCharacters } from './json-body';

/**
 * Errors raised by Fastify and Node before a request reaches Nest (a path parameter longer than
 * `maxParamLength`, broken percent-encoding, a malformed request line or oversized headers) get
 * the documented shape too: `{ error: { code, message, details }, requestId }`.
 */

/** Fastify's `frameworkErrors`: errors of routing (414 for a too long parameter, 400 for a bad URL). */
export function frameworkErrorHandler(err: Error, request: FastifyRequest, reply: FastifyReply): void {
  const mapped = mapError(err, String(request.id));
  void reply.code(mapped.status).header('x-request-id', request.id).send(mapped.body);
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive'],
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'The request headers are too large'],
};

/** Node's `clientError` (no request object exists yet): answered on the socket, in the same shape. */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'MALFORMED_REQUEST', 'The HTTP request is malformed'];
  const requestId = randomUUID();
  const body = JSON.stringify(errorBody(code, message, requestId));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

function firstForbidden(values: Record<string, unknown> | undefined, where: string): string | null {
  for (const [name, value] of Object.entries(values ?? {})) {
    const all = Array.isArray(value) ? value : [value];
    if (hasForbiddenCharacters(name) || all.some((v) => typeof v === 'string' && hasForbiddenCharacters(v))) return `${where}.${name}`;
  }
  return null;
}

/**
 * The same control-character rule as for JSON bodies, for path and query parameters: `%00` in
 * `/admin/banks/%00` or `?type=%00` reached PostgreSQL, which cannot store NUL (500).
 */
export function forbiddenCharactersInUrl(request: FastifyRequest): DomainError | null {
  const field = firstForbidden(request.params as Record<string, unknown>, 'path') ?? firstForbidden(request.query as Record<string, unknown>, 'query');
  if (!field) return null;
  return new DomainError('INVALID_CHARACTERS', `${field} contains a control character (such as NUL) that is not allowed`, { field });
}

/** A charset other than UTF-8 on a JSON body is refused rather than misread. */
export function unsupportedCharset(contentType: string | undefined): DomainError | null {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (!charset || charset === 'utf-8' || charset === 'utf8') return null;
  return new DomainError('UNSUPPORTED_MEDIA_TYPE', 'JSON bodies must be UTF-8', { charset });
}
