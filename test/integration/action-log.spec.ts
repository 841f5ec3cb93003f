import { Client } from 'pg';
import { Clock } from '@common/clock';
import { ActionLogService, maskPhones } from '@modules/action-log/action-log.service';
import { school } from '../support/contract-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

// Issue 16: every mutating call of an admin, a regulator, an institution or a bank is logged,
// append-only and chained, and regulators read the entries of their districts.
describe('action log', () => {
  let t: TestApp;
  let a: Awaited<ReturnType<typeof school>>;
  let b: Awaited<ReturnType<typeof school>>;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    a = await school(t, { district: '310117' });
    b = await school(t, { district: '310115' });
    await a.contract(4, '400.00');
  }, 60_000);
  afterAll(() => t.close());

  const rows = () => t.db.query<Record<string, unknown>>(`SELECT * FROM action_log ORDER BY id`);

  it('records who, role, scope, route, target, request id and outcome of mutating calls only; never a body or a phone number', async () => {
    const res = await t.request('PATCH', `/institutions/${a.inst.id}`, { key: a.r1, body: { basicAccountBank: 'BOC-SH', basicAccountNumber: '6212345678901' } });
    expect(res.status).toBe(200);
    const [entry] = await t.db.query<Record<string, unknown>>(`SELECT * FROM action_log WHERE request_id = $1`, [res.headers.get('x-request-id')]);
    expect(entry).toMatchObject({ role: 'regulator', scope: '310117', method: 'PATCH', route: '/institutions/:id', target: `id=${a.inst.id}`, status: 200, district_code: '310117', institution_id: a.inst.id });

    // Refused calls are recorded too (403 here); reads are not.
    const refused = await t.request('POST', '/policies', { key: a.instKey, body: {} });
    expect(refused.status).toBe(403);
    expect(await t.db.query(`SELECT status, role, scope FROM action_log WHERE request_id = $1`, [refused.headers.get('x-request-id')])).toEqual([{ status: 403, role: 'institution', scope: a.inst.id }]);
    const read = await t.request('GET', `/institutions/${a.inst.id}`, { key: a.r1 });
    expect(await t.db.query(`SELECT 1 FROM action_log WHERE request_id = $1`, [read.headers.get('x-request-id')])).toEqual([]);

    // The contracts' payer phones (13600000000) went through the API but are nowhere in the log.
    expect(JSON.stringify(await rows())).not.toContain('13600000000');
    expect(maskPhones('payer=13600001234&x=+8613912345678')).toBe('payer=136****1234&x=139****5678');
  });

  it('a regulator reads its districts only, filters by institution, pages; others 403', async () => {
    await t.request('PATCH', `/institutions/${b.inst.id}`, { key: b.r1, body: { basicAccountBank: 'BOC-SH', basicAccountNumber: '6212345678902' } });
    const mine = (await t.request('GET', '/action-log?limit=500', { key: a.r1 })).body.items as { id: string; route: string; target: string | null }[];
    expect(mine.length).toBeGreaterThan(3);
    // Newest first by the numeric id (ids 9 and 10 included: not sorted as text).
    const ids = mine.map((x) => BigInt(x.id));
    expect(ids).toEqual([...ids].sort((x, y) => (x > y ? -1 : x < y ? 1 : 0)));
    expect(ids.some((id) => id < 10n) && ids.some((id) => id >= 10n)).toBe(true);
    expect(mine.some((x) => x.target?.includes(b.inst.id))).toBe(false);
    const theirs = (await t.request('GET', `/action-log?institutionId=${b.inst.id}`, { key: b.r1 })).body.items;
    expect(theirs[0]).toMatchObject({ method: 'PATCH', route: '/institutions/:id', role: 'regulator', status: 200, actorId: expect.any(String), requestId: expect.any(String), at: expect.any(String) });
    expect((await t.request('GET', `/action-log?institutionId=${b.inst.id}`, { key: a.r1 })).body.items).toEqual([]);
    const page = await t.request('GET', '/action-log?limit=2', { key: a.r1 });
    const next = await t.request('GET', `/action-log?limit=2&cursor=${page.body.nextCursor}`, { key: a.r1 });
    expect(BigInt(next.body.items[0].id)).toBeLessThan(BigInt(page.body.items[1].id));
    expect((await t.request('GET', '/action-log', { key: a.instKey })).status).toBe(403);
    expect((await t.request('GET', '/action-log')).body.items.length).toBeGreaterThan(mine.length);
  });

  it('is append-only, chained, and a row changed with the triggers off is named by verify', async () => {
    await expect(t.db.query(`UPDATE action_log SET status = 200`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`DELETE FROM action_log`)).rejects.toThrow(/append-only/);
    const log = t.app.get(ActionLogService);
    await Promise.all(Array.from({ length: 40 }, (_, i) => t.request('PATCH', `/institutions/${a.inst.id}`, { key: a.r1, body: { basicAccountBank: 'BOC-SH', basicAccountNumber: `62123456789${10 + i}` } })));
    const before = await log.verify();
    expect(before).toMatchObject({ ok: true, firstBroken: null });
    expect(before.entries).toBe((await rows()).length);

    const su = new Client({ connectionString: t.db.url });
    await su.connect();
    try {
      const [victim] = await t.db.query<{ id: string }>(`SELECT id::text FROM action_log WHERE status = 403 ORDER BY id LIMIT 1`);
      await su.query(`SET session_replication_role = replica`);
      await su.query(`UPDATE action_log SET status = 200 WHERE id = $1`, [victim.id]);
      expect((await log.verify()).firstBroken).toMatchObject({ transactionId: victim.id, reason: 'content_changed' });
    } finally {
      await su.end();
    }
  }, 60_000);
});
