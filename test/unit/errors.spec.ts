import { BadRequestException, HttpException } from '@nestjs/common';
import { DomainError } from '../../src/common/errors/domain-error';
import { mapError } from '../../src/common/errors/error-body';
import { ERROR_STATUS } from '../../src/common/errors/error-codes';
import { canonicalJson, requestHash } from '../../src/common/idempotency/request-hash';

describe('error mapping', () => {
  it('maps domain errors through the one code table', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      const m = mapError(new DomainError(code as keyof typeof ERROR_STATUS, 'm', { x: 1 }), 'rid');
      expect(m.status).toBe(status);
      expect(m.body).toEqual({ error: { code, message: 'm', details: { x: 1 } }, requestId: 'rid' });
    }
  });

  it('turns validation pipe errors into VALIDATION_FAILED with the violations', () => {
    const m = mapError(new BadRequestException(['name must be a string']), 'r');
    expect(m.body.error).toEqual({ code: 'VALIDATION_FAILED', message: 'Request validation failed', details: { violations: ['name must be a string'] } });
  });

  it('maps Fastify body errors to MALFORMED_JSON and PAYLOAD_TOO_LARGE', () => {
    expect(mapError(new HttpException("Body is not valid JSON but content-type is set to 'application/json'", 400), 'r').body.error.code).toBe('MALFORMED_JSON');
    expect(mapError(new HttpException('Request body is too large', 413), 'r').body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('hides unknown errors behind a generic 500', () => {
    const m = mapError(new Error('connection string postgres://secret@db leaked'), 'rid-1');
    expect(m.status).toBe(500);
    expect(m.unexpected).toBe(true);
    expect(JSON.stringify(m.body)).not.toContain('secret');
    expect(m.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal server error' }, requestId: 'rid-1' });
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
