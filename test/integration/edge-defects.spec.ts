import { connect } from 'node:net';
import { Clock } from '@common/clock';
import { school } from '../support/contract-fixtures';
import { institutionBody } from '../support/register-fixtures';
import { startTestApp, TestApp, TestResponse } from '../support/test-app';

/**
 * The defects of issue 12 found at the edge, one test each: every one failed before its fix.
 * (The OpenAPI walk in hostile-input.spec.ts keeps the general rule; these pin the specifics.)
 */
describe('edge defects of issue 12', () => {
  let t: TestApp;
  let s: Awaited<ReturnType<typeof school>>;
  let ledgerAccountId: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    // No payout account yet: the test below gives it its first one.
    s = await school(t, { payoutAccount: false });
    await s.contract(2, '200.00');
    ledgerAccountId = (await t.db.query<{ id: string }>('SELECT id::text FROM ledger_accounts ORDER BY id LIMIT 1'))[0].id;
  });
  afterAll(() => t.close());

  /** The documented error shape, `details` included (null when there is nothing to say). */
  const expectError = (res: TestResponse, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
    expect(Object.keys(res.body).sort()).toEqual(['error', 'requestId']);
    expect(Object.keys(res.body.error).sort()).toEqual(['code', 'details', 'message']);
    expect(typeof res.body.error.message).toBe('string');
    expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
  };
  const count = async (sql: string, params: unknown[] = []) => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n;

  describe('PATCH /institutions/:id', () => {
    const patch = (body: unknown) => t.request('PATCH', `/institutions/${s.inst.id}`, { key: s.r1, body });
    const payout = async () =>
      (await t.db.query<{ bank: string | null; number: string | null }>('SELECT basic_account_bank AS bank, basic_account_number AS number FROM institutions WHERE id = $1', [s.inst.id]))[0];

    it('null for a required field is 400, never a NOT NULL 500, and changes nothing', async () => {
      for (const field of ['name', 'contactPhone', 'category', 'address']) {
        const res = await patch({ [field]: null });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(JSON.stringify(res.body.error.details)).toContain(`${field} cannot be null`);
      }
      expect((await t.request('GET', `/institutions/${s.inst.id}`, { key: s.r1 })).body.name).toBe(s.inst.name);
    });

    it('the payout account cannot be cleared; each change is in the history and raises PAYOUT_ACCOUNT_CHANGED for regulators', async () => {
      expect((await patch({ basicAccountBank: 'BOC-SH', basicAccountNumber: '4567891230001' })).status).toBe(200);
      for (const body of [{ basicAccountNumber: null }, { basicAccountBank: null }, { basicAccountBank: null, basicAccountNumber: null }]) {
        expectError(await patch(body), 400, 'VALIDATION_FAILED');
      }
      expect(await payout()).toEqual({ bank: 'BOC-SH', number: '4567891230001' });

      expect((await patch({ basicAccountNumber: '9999888877776666' })).status).toBe(200);
      expect((await patch({ basicAccountNumber: '9999888877776666' })).status).toBe(200); // no change, no event
      expect((await patch({ contactName: '王五' })).status).toBe(200); // not the payout account, no event
      const history = (await t.request('GET', `/institutions/${s.inst.id}/history`, { key: s.r1 })).body as { before: any; after: any }[];
      expect(history.at(-2)).toMatchObject({ before: { basicAccountNumber: '4567891230001' }, after: { basicAccountNumber: '9999888877776666' } });
      const events = (await t.request('GET', `/supervision-events?institutionId=${s.inst.id}&type=PAYOUT_ACCOUNT_CHANGED`, { key: s.r2 })).body.items;
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({
        severity: 'warning',
        districtCode: '310117',
        details: { from: { bank: 'BOC-SH', accountNumber: '4567891230001' }, to: { bank: 'BOC-SH', accountNumber: '9999888877776666' } },
      });
      expect(events[1]).toMatchObject({ details: { from: { bank: null, accountNumber: null }, to: { bank: 'BOC-SH', accountNumber: '4567891230001' } } });
    });
  });

  describe('POST /policies', () => {
    const rules = async () => (await t.request('GET', '/policies/resolve?district=310117&date=2027-01-01', { key: s.r1 })).body.rules;
    const publish = async (patch: Record<string, unknown>, top: Record<string, unknown> = {}) =>
      t.request('POST', '/policies', { key: s.r1, body: { code: '310117', effectiveFrom: '2030-01-01', rules: { ...(await rules()), ...patch }, ...top } });
    const published = () => count('jurisdiction_policies WHERE code = $1', ['310117']);

    it('rules: [] or any nested object given as an array is 400, never a crash', async () => {
      const before = await published();
      for (const top of [{ rules: [] }, { rules: 'x' }, { rules: null }]) {
        expectError(await t.request('POST', '/policies', { key: s.r1, body: { code: '310117', effectiveFrom: '2030-01-01', ...top } }), 400, 'VALIDATION_FAILED');
      }
      for (const patch of [{ releaseCadence: [] }, { alerts: [] }, { priceCaps: [[]] }, { releaseCadence: { kind: 'tranches', tranches: [[]] } }]) {
        expectError(await publish(patch), 400, 'VALIDATION_FAILED');
      }
      expect(await published()).toBe(before);
    });

    it('a malformed releaseCadence is 400 INVALID_RELEASE_CADENCE (or VALIDATION_FAILED for a wrong type), and nothing is published', async () => {
      const before = await published();
      const t3 = (a: string, p: number) => ({ atFraction: a, percent: p });
      const malformed = [
        { kind: 'weekly' },
        { kind: 'after_completion' },
        { kind: 'tranches' },
        { kind: 'tranches', tranches: [] },
        { kind: 'tranches', tranches: [t3('1/3', 30), t3('2/3', 30), t3('1', 30)] },
        { kind: 'tranches', tranches: [t3('2/3', 30), t3('1/3', 30), t3('1', 40)] },
        { kind: 'tranches', tranches: [t3('1/2', 50), t3('2/4', 50)] },
        { kind: 'tranches', tranches: [t3('1/3', 50), t3('2/3', 50)] },
        { kind: 'per_lesson', tranches: [t3('1', 100)] },
        { kind: 'weekly', paymentDelayDays: 3, workingDays: 2 },
      ];
      for (const releaseCadence of malformed) {
        const res = await publish({ releaseCadence });
        expectError(res, 400, 'INVALID_RELEASE_CADENCE');
        expect(res.body.error.details.problems.length).toBeGreaterThan(0);
      }
      const wrongTypes = [
        { kind: 'monthly' },
        { kind: 'weekly', paymentDelayDays: -1 },
        { kind: 'weekly', paymentDelayDays: 1.5 },
        { kind: 'after_completion', workingDays: -3 },
        { kind: 'tranches', tranches: [t3('5/3', 100)] },
        { kind: 'tranches', tranches: [t3('1', -100)] },
      ];
      for (const releaseCadence of wrongTypes) expectError(await publish({ releaseCadence }), 400, 'VALIDATION_FAILED');
      expect(await published()).toBe(before);
      const sound = await publish({ releaseCadence: { kind: 'tranches', tranches: [t3('1/3', 30), t3('2/3', 30), t3('1', 40)] } });
      expect({ status: sound.status, body: sound.status === 201 ? null : sound.body }).toEqual({ status: 201, body: null });
    });
  });

  describe('control characters in paths and queries', () => {
    it('%00 in a path or query parameter is 400 INVALID_CHARACTERS naming it, never a 500 from PostgreSQL', async () => {
      const cases: [string, string, string][] = [
        ['GET', '/admin/banks/%00', 'path.code'],
        ['POST', '/admin/banks/IC%00BC/secrets', 'path.code'],
        ['PATCH', '/admin/banks/%00', 'path.code'],
        ['POST', '/admin/banks/%00/enable', 'path.code'],
        ['GET', '/policies/%00/versions', 'path.code'],
        ['POST', '/admin/queues/settlement/jobs/%00/retry', 'path.id'],
        ['GET', '/supervision-events?type=%00', 'query.type'],
        ['GET', '/institutions?cursor=%07', 'query.cursor'],
      ];
      for (const [method, path, field] of cases) {
        const res = await t.request(method, path, { body: method === 'PATCH' ? { name: 'x-bank' } : undefined });
        expectError(res, 400, 'INVALID_CHARACTERS');
        expect(res.body.error.details).toEqual({ field });
      }
    });

    it('a policy code that is not a 6-digit code is 400, not an empty list', async () => {
      expectError(await t.request('GET', '/policies/not-a-code/versions'), 400, 'INVALID_DISTRICT_CODE');
      expect((await t.request('GET', '/policies/310000/versions')).status).toBe(200);
    });
  });

  describe('impossible dates are 400 everywhere, never normalised', () => {
    it('in a path: PUT /admin/calendar/2026-02-30', async () => {
      const body = { isWorkday: true, reason: 'adjusted working day' };
      for (const day of ['2026-02-30', '2027-02-29', '2026-13-01', '20261201']) expectError(await t.request('PUT', `/admin/calendar/${day}`, { body }), 400, 'VALIDATION_FAILED');
      expect((await t.request('PUT', '/admin/calendar/2028-02-29', { body })).status).toBe(200);
    });

    it('in a query: ?asOf=2026-02-30 and ?date=2026-02-30', async () => {
      for (const asOf of ['2026-02-30', '2026-02-30T00:00:00Z', '2026-11-22T24:00:00Z', '20261122']) {
        expectError(await t.request('GET', `/audit/districts/310117?asOf=${asOf}`, { key: s.r1 }), 400, 'VALIDATION_FAILED');
        expectError(await t.request('GET', `/audit/institutions/${s.inst.id}?asOf=${asOf}`, { key: s.r1 }), 400, 'VALIDATION_FAILED');
      }
      expect((await t.request('GET', '/audit/districts/310117?asOf=2026-11-22T12:00:00Z', { key: s.r1 })).status).toBe(200);
      expect((await t.request('GET', '/audit/districts/310117?asOf=2026-11-22', { key: s.r1 })).status).toBe(200);
      expectError(await t.request('GET', '/policies/resolve?district=310117&date=20270101', { key: s.r1 }), 400, 'VALIDATION_FAILED');
    });

    it('in bodies: closing, inspections, licences, policies, the daily run', async () => {
      const bad = ['2026-02-30', '20270101', '2027-W05-1'];
      for (const day of bad) {
        expectError(await t.request('POST', `/institutions/${s.inst.id}/closing`, { key: s.r1, body: { reason: 'moving away', plannedClosureDate: day } }), 400, 'VALIDATION_FAILED');
        expectError(
          await t.request('POST', `/institutions/${s.inst.id}/inspections`, { key: s.r1, body: { year: 2026, result: 'pass', findings: 'ok', fundSupervisionFindings: 'ok', inspector: '王', inspectedOn: day } }),
          400,
          'VALIDATION_FAILED',
        );
        expectError(await t.request('POST', '/admin/supervision/daily-run', { body: { today: day } }), 400, 'VALIDATION_FAILED');
        const rules = (await t.request('GET', '/policies/resolve?district=310117', { key: s.r1 })).body.rules;
        expectError(await t.request('POST', '/policies', { key: s.r1, body: { code: '310117', effectiveFrom: day, rules } }), 400, 'VALIDATION_FAILED');
      }
      const licence = (await t.request('POST', `/institutions/${s.inst.id}/licences`, { key: s.r1 })).body;
      expectError(await t.request('POST', `/licences/${licence.id}/review`, { key: s.r1, body: { licenceNumber: 'LIC-X-1', validFrom: '2027-02-29', validTo: '2029-12-31' } }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('pagination cursors', () => {
    const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    const lists = () => ['/institutions', '/supervision-events', `/institutions/${s.inst.id}/contracts`, `/ledger/accounts/${ledgerAccountId}/postings`];

    it('a malformed cursor on every paginated list is 400 INVALID_CURSOR (garbage, or valid base64 of the wrong content)', async () => {
      for (const list of lists()) {
        for (const cursor of ['!!!', b64('not json'), b64({ a: 1 }), b64(['zz']), b64(['zz', 'yy']), b64([1]), b64(['2026-02-30T00:00:00Z', 'x'])]) {
          expectError(await t.request('GET', `${list}?cursor=${cursor}`), 400, 'INVALID_CURSOR');
        }
      }
    });

    it('the cursor a list gives out still pages through it', async () => {
      expect((await t.request('POST', '/institutions', { key: s.r1, body: institutionBody('310117') })).status).toBe(201);
      const first = await t.request('GET', '/institutions?limit=1');
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await t.request('GET', `/institutions?limit=1&cursor=${first.body.nextCursor}`);
      expect(second.status).toBe(200);
      const events = await t.request('GET', '/supervision-events?limit=1');
      expect((await t.request('GET', `/supervision-events?limit=1&cursor=${events.body.nextCursor}`)).status).toBe(200);
    });
  });

  describe('every error has the documented shape, whoever raises it', () => {
    it('details is present (null when there is nothing to say) in 401, 403, 404 and validation errors', async () => {
      expectError(await t.request('GET', '/institutions', { key: null }), 401, 'UNAUTHENTICATED');
      expectError(await t.request('GET', '/admin/banks', { key: s.r1 }), 403, 'FORBIDDEN');
      expectError(await t.request('GET', '/institutions/6f1c1a52-8c3b-4a35-a2cf-0d6bbf0f6d36'), 404, 'INSTITUTION_NOT_FOUND');
      expectError(await t.request('GET', '/institutions/not-a-uuid'), 400, 'VALIDATION_FAILED');
      expect((await t.request('GET', '/institutions', { key: null })).body.error.details).toBeNull();
    });

    it("Fastify's own errors: 414, 404 for an unknown route, 400 for a broken URL, 413, 415", async () => {
      const long = await t.request('GET', `/institutions/${'a'.repeat(5000)}`);
      expectError(long, 414, 'URI_TOO_LONG');
      expect(long.text.length).toBeLessThan(1000); // the long parameter is not echoed back
      expectError(await t.request('GET', '/no-such-route'), 404, 'NOT_FOUND');
      expectError(await t.request('DELETE', '/institutions'), 404, 'NOT_FOUND');
      expectError(await t.request('GET', '/institutions/%zz'), 400, 'INVALID_URL');
      expectError(await t.request('POST', '/institutions', { key: s.r1, rawBody: JSON.stringify({ pad: 'x'.repeat(1_100_000) }) }), 413, 'PAYLOAD_TOO_LARGE');
      expectError(await t.request('POST', '/institutions', { key: s.r1, rawBody: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectError(await t.request('POST', '/institutions', { key: s.r1, rawBody: '{}', headers: { 'content-type': 'application/json; charset=utf-16' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectError(await t.request('POST', '/admin/diagnostics/queue-probes', { rawBody: 'null' }), 400, 'VALIDATION_FAILED');
    });

    it("Node's own refusals (a malformed request line, oversized headers) are in the shape too", async () => {
      const raw = (request: string) =>
        new Promise<{ status: number; body: any; requestId: string | undefined }>((resolve, reject) => {
          const { port } = new URL(t.baseUrl);
          const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
          let data = '';
          socket.on('data', (d) => (data += d.toString()));
          socket.on('error', reject);
          socket.on('close', () => {
            const [head, body] = data.split('\r\n\r\n');
            resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body), requestId: /x-request-id: (\S+)/i.exec(head)?.[1] });
          });
        });
      const bad = await raw('GET /institutions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
      expect(bad).toMatchObject({ status: 400, body: { error: { code: 'MALFORMED_REQUEST', details: null } } });
      expect(bad.body.requestId).toBe(bad.requestId);
      const big = await raw(`GET /institutions HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
      expect(big).toMatchObject({ status: 431, body: { error: { code: 'HEADERS_TOO_LARGE', details: null } } });
    });
  });

  describe('dates and nested objects in the money endpoints (each was accepted or a 500 before)', () => {
    it('a contract with an ISO basic date (20261201) is 400, not 500; nothing is signed', async () => {
      const before = await count('contracts');
      const res = await t.request('POST', `/institutions/${s.inst.id}/contracts`, {
        key: s.instKey,
        body: { courseId: s.course.id, payerName: 'p', payerPhone: '13600000000', studentName: 's', lessons: 2, totalPrice: '200.00', startDate: '20261201', endDate: '2027-02-28' },
      });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(await count('contracts')).toBe(before);
    });

    it('a class session with a basic-format timestamp is 400 naming startsAt', async () => {
      const res = await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
        key: s.instKey,
        body: { sessionKey: 'basic', courseId: s.course.id, startsAt: '20261205T010000Z', endsAt: '2026-12-05T02:00:00Z', teacher: 'T', location: 'R', attendees: [] },
      });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(JSON.stringify(res.body.error.details)).toContain('startsAt');
    });
  });
});

