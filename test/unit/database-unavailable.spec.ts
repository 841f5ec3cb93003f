import { mapError } from '@common/errors/error-body';
import { isDatabaseUnavailable } from '@infra/database/pg-errors';

/** While PostgreSQL restarts, requests are told to retry (503), not that the service is broken (500). */
describe('a database that is unavailable for a moment', () => {
  const cases: [string, unknown][] = [
    ['admin shutdown (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['cannot connect now (57P03)', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['connection exception class 08', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['refused socket', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['TypeORM-wrapped driver error', { message: 'query failed', driverError: { code: '57P01', message: 'terminating connection' } }],
    ['pool connection terminated', new Error('Connection terminated unexpectedly')],
  ];

  it.each(cases)('%s is 503 SERVICE_UNAVAILABLE, not logged as a fault', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
    const mapped = mapError(err, 'req-1');
    expect(mapped).toMatchObject({ status: 503, unexpected: false, body: { error: { code: 'SERVICE_UNAVAILABLE', details: null }, requestId: 'req-1' } });
  });

  it('other database errors stay 500', () => {
    for (const err of [Object.assign(new Error('duplicate key'), { code: '23505' }), new Error('boom'), Object.assign(new Error('x'), { code: '42P01' })]) {
      expect(isDatabaseUnavailable(err)).toBe(false);
      expect(mapError(err, 'r').status).toBe(500);
    }
  });
});
