import { ConfigValidationError, loadConfig } from '../../src/config/load-config';

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
    const c = loadConfig({ PORT: '8080', SCHEDULER_ENABLED: 'false', DATABASE_URL: 'postgres://u@h/db', REDIS_URL: 'redis://h:6379' });
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
});
