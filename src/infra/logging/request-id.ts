import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id: a caller's `x-request-id` when it is safe to echo and log, otherwise a new
 * UUID. Stored on the raw request so Fastify, the logger and the error filter agree.
 */
export function resolveRequestId(req: IncomingMessage & { id?: unknown; __requestId?: string }): string {
  if (req.__requestId) return req.__requestId;
  const header = req.headers['x-request-id'];
  const candidate = Array.isArray(header) ? header[0] : header;
  const id = candidate && SAFE_ID.test(candidate) ? candidate : randomUUID();
  req.__requestId = id;
  return id;
}
