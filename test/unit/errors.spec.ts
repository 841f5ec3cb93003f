import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentsHost, BadRequestException, HttpException } from '@nestjs/common';
import { DomainError, IdempotentReplay, RateLimitedError } from '@common/errors/domain-error';
import { mapError } from '@common/errors/error-body';
import { ERROR_STATUS, ErrorCode, statusForCode } from '@common/errors/error-codes';
import { GlobalExceptionFilter } from '@common/errors/global-exception.filter';
import { canonicalJson, requestHash } from '@common/idempotency/request-hash';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every literal error code the source raises: DomainError('X', …) and `{ code: 'X' }` bodies of the HTTP layer. */
function codesRaisedInSource(): Map<string, string> {
  const found = new Map<string, string>();
  const root = join(__dirname, '../../src');
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, 'utf8');
    const patterns = [/DomainError\(\s*'([A-Z0-9_]+)'/g];
    // Bodies built by hand (validation pipe, error mapping, idempotency) carry `code: 'X'`.
    if (/src\/common\//.test(file)) patterns.push(/code: '([A-Z0-9_]+)'/g);
    for (const re of patterns) for (const m of text.matchAll(re)) found.set(m[1], file.slice(root.length + 1));
  }
  return found;
}

/** Runs the global filter against a fake Fastify reply and returns what it sent. */
function filter(exception: unknown, requestId = 'req-1') {
  const sent: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
  const reply = {
    header(name: string, value: string) {
      sent.headers[name] = value;
      return reply;
    },
    status(code: number) {
      sent.status = code;
      return reply;
    },
    send(body: unknown) {
      sent.body = body;
      return reply;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ id: requestId, url: '/x' }) }) } as unknown as ArgumentsHost;
  const f = new GlobalExceptionFilter();
  (f as unknown as { logger: { error: () => void } }).logger = { error: () => undefined };
  f.catch(exception, host);
  return sent;
}

describe('the error code table', () => {
  it('gives every code a 4xx or 5xx status', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect([code, Number.isInteger(status) && status >= 400 && status <= 599]).toEqual([code, true]);
      expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
    }
  });

  it('contains every code the source raises', () => {
    const raised = codesRaisedInSource();
    expect(raised.size).toBeGreaterThan(30);
    const missing = [...raised].filter(([code]) => !(code in ERROR_STATUS)).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });

  it('answers 500 for a code outside the table rather than inventing a status', () => {
    expect(statusForCode('NOT_A_CODE')).toBe(500);
    expect(statusForCode('INSTITUTION_NOT_FOUND')).toBe(404);
  });

  it('never answers 403 for something outside the caller\'s scope (that is a 404)', () => {
    expect(Object.keys(ERROR_STATUS)).not.toContain('DISTRICT_OUT_OF_SCOPE');
    expect(ERROR_STATUS.DISTRICT_NOT_FOUND).toBe(404);
  });
});

describe('the global exception filter', () => {
  it.each(['INSTITUTION_NOT_FOUND', 'INVALID_AMOUNT', 'POLICY_EFFECTIVE_IN_PAST', 'DUPLICATE_APPROVAL', 'INVALID_SIGNATURE', 'SERVICE_UNAVAILABLE'] as ErrorCode[])(
    'sends a DomainError %s with the table status and the documented body',
    (code) => {
      const sent = filter(new DomainError(code, 'what happened', { x: 1 }));
      expect(sent.status).toBe(ERROR_STATUS[code]);
      expect(sent.body).toEqual({ error: { code, message: 'what happened', details: { x: 1 } }, requestId: 'req-1' });
    },
  );

  it('adds Retry-After to RATE_LIMITED', () => {
    const sent = filter(new RateLimitedError(17));
    expect(sent.status).toBe(429);
    expect(sent.headers['retry-after']).toBe('17');
    expect(sent.body).toMatchObject({ error: { code: 'RATE_LIMITED', details: { retryAfterSeconds: 17 } } });
  });

  it('replays a stored answer verbatim, marked Idempotent-Replayed', () => {
    const sent = filter(new IdempotentReplay(201, { id: 'x' }));
    expect(sent).toEqual({ status: 201, body: { id: 'x' }, headers: { 'idempotent-replayed': 'true' } });
  });

  it('turns unknown errors into 500 INTERNAL_ERROR without leaking their message', () => {
    for (const thrown of [new Error('connection string postgres://secret@db leaked'), 'a string', null, new HttpException('boom secret', 502)]) {
      const sent = filter(thrown, 'rid-1');
      expect(sent.status).toBe(thrown instanceof HttpException ? 502 : 500);
      expect(JSON.stringify(sent.body)).not.toContain('secret');
      expect((sent.body as { requestId: string }).requestId).toBe('rid-1');
    }
    expect(mapError(new Error('x'), 'rid-1')).toEqual({
      status: 500,
      unexpected: true,
      body: { error: { code: 'INTERNAL_ERROR', message: 'Internal server error', details: null }, requestId: 'rid-1' },
    });
  });

  it('turns validation pipe errors into VALIDATION_FAILED with the violations', () => {
    const m = mapError(new BadRequestException(['name must be a string']), 'r');
    expect(m.body.error).toEqual({ code: 'VALIDATION_FAILED', message: 'Request validation failed', details: { violations: ['name must be a string'] } });
  });

  it('maps Fastify body errors to MALFORMED_JSON, PAYLOAD_TOO_LARGE and UNSUPPORTED_MEDIA_TYPE', () => {
    expect(mapError(new HttpException("Body is not valid JSON but content-type is set to 'application/json'", 400), 'r').body.error.code).toBe('MALFORMED_JSON');
    expect(mapError(new HttpException('Request body is too large', 413), 'r').body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(mapError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }, 'r')).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
    expect(mapError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 'r')).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  });
});

describe('request hash', () => {
  it('ignores key order but not values', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(requestHash('POST', '/x', { a: 1, b: 2 })).toBe(requestHash('POST', '/x', { b: 2, a: 1 }));
    expect(requestHash('POST', '/x', { a: 1 })).not.toBe(requestHash('POST', '/x', { a: 2 }));
    expect(requestHash('POST', '/x', { a: 1 })).not.toBe(requestHash('POST', '/y', { a: 1 }));
  });
});
