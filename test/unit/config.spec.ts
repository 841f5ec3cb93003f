import { randomBytes } from 'node:crypto';
import { parseBankSecretKeys } from '@config/app-config';
import { ConfigValidationError, loadConfig } from '@config/load-config';

const key = () => randomBytes(32).toString('base64');

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigValidationError);
    return (err as ConfigValidationError).problems.join('\n');
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('gives defaults for an empty environment (embedded database, PostgreSQL queues, role all)', () => {
    const c = loadConfig({});
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.PROCESS_ROLE).toBe('all');
    expect(c.PORT).toBe(3000);
    expect(c.IDEMPOTENCY_TTL_HOURS).toBeGreaterThanOrEqual(168);
  });

  it('parses numbers and booleans from strings', () => {
    const c = loadConfig({ PORT: '8080', SCHEDULER_ENABLED: 'false', DATABASE_URL: 'postgres://u@h/db', REDIS_URL: 'redis://h:6379', BANK_SECRET_KEYS: `k1:${key()}` });
    expect(c.PORT).toBe(8080);
    expect(c.SCHEDULER_ENABLED).toBe(false);
  });

  it('names every bad variable in one error', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: '99999', PROCESS_ROLE: 'api,worker', DATABASE_URL: 'mysql://x', IDEMPOTENCY_TTL_HOURS: '1' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigValidationError);
    const problems = (err as ConfigValidationError).problems.join('\n');
    for (const name of ['PORT', 'PROCESS_ROLE', 'DATABASE_URL', 'IDEMPOTENCY_TTL_HOURS']) expect(problems).toContain(name);
  });

  it('treats an empty DATABASE_URL as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  describe('BANK_SECRET_KEYS', () => {
    it('is required with an external database outside tests, and named when missing', () => {
      for (const NODE_ENV of ['development', 'production']) {
        expect(problemsOf({ NODE_ENV, DATABASE_URL: 'postgres://u@h/db' })).toContain('BANK_SECRET_KEYS is required with DATABASE_URL');
      }
    });

    it('may be left unset with the embedded database or in tests (a generated key is used)', () => {
      expect(loadConfig({}).BANK_SECRET_KEYS).toBeUndefined();
      expect(loadConfig({ NODE_ENV: 'production' }).BANK_SECRET_KEYS).toBeUndefined();
      expect(loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgres://u@h/db' }).BANK_SECRET_KEYS).toBeUndefined();
    });

    it('parses a ring in order: the first key seals, all open', () => {
      const [a, b] = [key(), key()];
      const ring = parseBankSecretKeys(`new-2:${a}, old_1:${b}`);
      expect(ring.map((k) => k.id)).toEqual(['new-2', 'old_1']);
      expect(ring[0].key.equals(Buffer.from(a, 'base64'))).toBe(true);
      expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', BANK_SECRET_KEYS: `new-2:${a},old_1:${b}` }).BANK_SECRET_KEYS).toBe(`new-2:${a},old_1:${b}`);
    });

    it.each([
      ['a short key', `k1:${randomBytes(16).toString('base64')}`, 'exactly 32 bytes'],
      ['a long key', `k1:${randomBytes(33).toString('base64')}`, 'exactly 32 bytes'],
      ['junk base64', `k1:${key().slice(0, -4)}!!!=`, 'exactly 32 bytes'],
      ['no key id', `:${key()}`, 'keyId'],
      ['no separator', key(), 'keyId'],
      ['a bad key id', `k 1:${key()}`, 'keyId'],
      ['a repeated key id', `k1:${key()},k1:${key()}`, 'appears twice'],
      ['an empty entry', `k1:${key()},`, 'keyId'],
    ])('refuses %s, naming the reason but never echoing the value', (_, value, reason) => {
      const problems = problemsOf({ DATABASE_URL: 'postgres://u@h/db', BANK_SECRET_KEYS: value });
      expect(problems).toContain('BANK_SECRET_KEYS');
      expect(problems).toContain(reason);
      for (const part of value.split(/[,:]/).filter((p) => p.length > 8)) expect(problems).not.toContain(part);
    });
  });
});
