import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '@common/clock';
import { ActionLogService } from '@modules/action-log/action-log.service';
import { ContractsService } from '@modules/contracts/contracts.service';
import { GROUPS_IN_FLIGHT } from '@modules/lessons/attendance-group';
import { LessonsRepository } from '@modules/lessons/lessons.repository';
import { school } from '../support/contract-fixtures';
import { ledgerViolations } from '../support/ledger-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

// Issue 18: concurrent single attendances are registered together (group commit), each with its
// own outcome. `hold()` keeps every group slot busy a moment (its attendances wait 300 ms at their
// contract lock), so that the requests sent meanwhile queue up and are registered as one group
// (the spies show they were).
describe('single attendances registered by group commit', () => {
  let t: TestApp;
  let s: Awaited<ReturnType<typeof school>>;
  let seq = 0;
  const locks: string[][] = [];
  const blockers = new Set<string>();
  const inserted: number[] = [];
  beforeAll(async () => {
    t = await startTestApp();
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    s = await school(t);
    const contracts = t.app.get(ContractsService);
    const lock = contracts.lockForConsumption.bind(contracts);
    jest.spyOn(contracts, 'lockForConsumption').mockImplementation(async (m: EntityManager, ids: string[]) => {
      locks.push(ids);
      if (ids.some((id) => blockers.has(id))) await new Promise((r) => setTimeout(r, 300));
      return lock(m, ids);
    });
    const repo = t.app.get(LessonsRepository);
    const insert = repo.insertLessonsOfSessions.bind(repo);
    jest.spyOn(repo, 'insertLessonsOfSessions').mockImplementation(async (m, rows) => {
      inserted.push(rows.length);
      return insert(m, rows);
    });
  });
  afterAll(async () => {
    try {
      expect(await ledgerViolations(t.app.get<DataSource>(getDataSourceToken()))).toEqual([]);
      expect((await t.app.get(ActionLogService).verify()).ok).toBe(true);
    } finally {
      await t.close();
    }
  });
  beforeEach(() => {
    locks.length = 0;
    inserted.length = 0;
    t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z'));
  });

  const contract = async (lessons: number, total: string, pay = true) => {
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    const c = await s.contract(lessons, total, undefined, pay);
    t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z'));
    return c;
  };
  const attend = (contractId: string, sessionKey = `g-${++seq}`, headers: Record<string, string> = {}, hour = 1) =>
    t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
      key: s.instKey,
      headers,
      body: { sessionKey, courseId: s.course.id, startsAt: `2026-12-05T0${hour}:00:00Z`, endsAt: `2026-12-05T0${hour + 1}:00:00Z`, teacher: '刘', location: '1', attendees: [contractId] },
    });
  /** Fills every group slot for 300 ms; `answers` are the blockers' answers. */
  const hold = async () => {
    const bs = await Promise.all(Array.from({ length: GROUPS_IN_FLIGHT }, () => contract(5, '500.00')));
    bs.forEach((b) => blockers.add(b.id));
    const answers = Promise.all(bs.map((b) => attend(b.id)));
    await new Promise((r) => setTimeout(r, 50));
    return { answers };
  };
  const grouped = (ids: string[]) => locks.some((l) => ids.every((id) => l.includes(id)));
  const consumed = async (id: string) =>
    (await t.db.query<{ n: number; amount: string }>(`SELECT lessons_consumed AS n, amount_consumed::text AS amount FROM contracts WHERE id = $1`, [id]))[0];

  it('concurrent attendances of many contracts and sessions consume exactly once per session key, with exact amounts', async () => {
    const cs = await Promise.all(Array.from({ length: 6 }, () => contract(3, '100.00')));
    // Each contract in three sessions, each request sent three times at once: 54 requests.
    const keys = ['a', 'b', 'c'].map((k) => `${k}-${++seq}`);
    const sent = cs.flatMap((c) => keys.flatMap((k) => [0, 1, 2].map(() => ({ c, k }))));
    const results = await Promise.all(sent.map(({ c, k }) => attend(c.id, k)));
    for (const r of results) expect(r.status).toBe(201);
    expect(inserted.some((n) => n > 1)).toBe(true);
    expect(results.reduce((n, r) => n + r.body.recorded, 0)).toBe(18);
    for (const c of cs) {
      expect(await consumed(c.id)).toEqual({ n: 3, amount: '100.00' });
      const amounts = (await t.db.query<{ amount: string }>(`SELECT amount::text FROM lessons WHERE contract_id = $1 ORDER BY created_at`, [c.id])).map((r) => r.amount);
      expect(amounts.sort()).toEqual(['33.33', '33.33', '33.34']);
      // Every answer for one (session, contract) names the same lesson.
      for (const k of keys) {
        const ids = new Set(results.filter((_, i) => sent[i].c === c && sent[i].k === k).map((r) => r.body.lessons[0].id));
        expect(ids.size).toBe(1);
      }
    }
    // A fourth session at once for every contract: each is refused, nothing left behind.
    const fourth = await Promise.all(cs.map((c) => attend(c.id, `d-${seq}`)));
    for (const r of fourth) expect(r.body.error.code).toBe('NO_LESSONS_REMAINING');
    expect(await t.db.query(`SELECT 1 FROM lesson_sessions WHERE session_key = $1`, [`d-${seq}`])).toHaveLength(0);
  });

  it('a refused attendance in a group leaves the others recorded and nothing of its own behind', async () => {
    const ok = await Promise.all(Array.from({ length: 4 }, () => contract(5, '500.00')));
    const unpaid = await contract(5, '500.00', false);
    const stranger = '00000000-0000-4000-8000-000000000abd';
    const held = await hold();
    const rest = [...ok, unpaid, { id: stranger }].map((c) => ({ c, key: `r-${++seq}` }));
    const results = await Promise.all(rest.map(({ c, key }) => attend(c.id, key)));
    for (const r of await held.answers) expect(r.status).toBe(201);
    expect(grouped([...ok.map((c) => c.id), unpaid.id, stranger])).toBe(true);
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 422, 404]);
    expect(results[4].body.error).toMatchObject({ code: 'CONTRACT_NOT_ACTIVE', details: { contractId: unpaid.id } });
    expect(results[5].body.error).toMatchObject({ code: 'CONTRACT_NOT_FOUND', details: { contractId: stranger } });
    for (const c of ok) expect((await consumed(c.id)).n).toBe(1);
    expect(await t.db.query(`SELECT 1 FROM lesson_sessions WHERE session_key = ANY($1)`, [rest.slice(4).map((r) => r.key)])).toHaveLength(0);
    expect(await t.db.query(`SELECT 1 FROM lessons WHERE contract_id = $1`, [unpaid.id])).toHaveLength(0);
  });

  it('a session key already used for another session is SESSION_CONFLICT in a group; the others are recorded', async () => {
    const [a, b, c] = await Promise.all([contract(5, '500.00'), contract(5, '500.00'), contract(5, '500.00')]);
    const key = `k-${++seq}`;
    expect((await attend(a.id, key)).status).toBe(201);
    const held = await hold();
    const [conflict, repeat, other, third] = await Promise.all([attend(b.id, key, {}, 3), attend(a.id, key), attend(b.id), attend(c.id)]);
    await held.answers;
    // The conflicting one was grouped with c's; a's repeat (same key) and b's other session (same contract) wait for a later group.
    expect(grouped([b.id, c.id])).toBe(true);
    expect(third.body.recorded).toBe(1);
    expect(conflict.body.error.code).toBe('SESSION_CONFLICT');
    expect(repeat.body).toMatchObject({ recorded: 0, sessionKey: key });
    expect(other.body.recorded).toBe(1);
    expect(await consumed(a.id)).toMatchObject({ n: 1 });
    expect(await consumed(b.id)).toMatchObject({ n: 1 });
  });

  it('an Idempotency-Key replayed during and after a group answers the first outcome, and its action log rows are written before the answers', async () => {
    const cs = await Promise.all(Array.from({ length: 5 }, () => contract(5, '500.00')));
    const body = (c: { id: string }, key: string) => ({ c, key, idem: `idem-${key}` });
    const sends = cs.map((c) => body(c, `i-${++seq}`));
    const held = await hold();
    // Each request twice at once with its key: one runs, the other is refused as in progress or replays it.
    const results = await Promise.all(sends.flatMap(({ c, key, idem }) => [attend(c.id, key, { 'idempotency-key': idem }), attend(c.id, key, { 'idempotency-key': idem })]));
    const blocked = await held.answers;
    expect(grouped(cs.map((c) => c.id))).toBe(true);
    for (let i = 0; i < sends.length; i++) {
      const [x, y] = [results[2 * i], results[2 * i + 1]];
      const statuses = [x.status, y.status].sort();
      expect([[201, 201], [201, 409]]).toContainEqual(statuses);
      if (statuses[1] === 409) expect([x, y].find((r) => r.status === 409)!.body.error.code).toBe('IDEMPOTENCY_REQUEST_IN_PROGRESS');
      // Both 201: the second is the stored answer, replayed (never a second run).
      else expect([x, y].map((r) => r.headers.get('idempotent-replayed')).sort()).toEqual(['true', null].sort());
      expect((await consumed(sends[i].c.id)).n).toBe(1);
      const after = await attend(sends[i].c.id, sends[i].key, { 'idempotency-key': sends[i].idem });
      expect(after.status).toBe(201);
      expect(after.headers.get('idempotent-replayed')).toBe('true');
      expect(after.body.lessons[0].id).toBe(x.status === 201 ? x.body.lessons[0].id : y.body.lessons[0].id);
      const reused = await attend(sends[i].c.id, `${sends[i].key}-other`, { 'idempotency-key': sends[i].idem });
      expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    }
    // Written before each answer left: read right after, every answered call is there.
    const ids = [...results, ...blocked].map((r) => r.headers.get('x-request-id'));
    const logged = await t.db.query<{ request_id: string; status: number }>(`SELECT request_id, status FROM action_log WHERE request_id = ANY($1)`, [ids]);
    expect(logged).toHaveLength(ids.length);
  });

  it('when the group transaction fails, each attendance is registered alone', async () => {
    const cs = await Promise.all(Array.from({ length: 4 }, () => contract(5, '500.00')));
    const repo = t.app.get(LessonsRepository);
    const spy = jest.spyOn(repo, 'insertLessonsOfSessions').mockRejectedValueOnce(new Error('connection lost'));
    try {
      const results = await Promise.all(cs.map((c) => attend(c.id)));
      for (const r of results) expect(r.status).toBe(201);
      for (const c of cs) expect((await consumed(c.id)).n).toBe(1);
      expect(await t.db.query(`SELECT 1 FROM lesson_sessions s WHERE NOT EXISTS (SELECT 1 FROM lessons l WHERE l.session_id = s.id)`)).toHaveLength(0);
    } finally {
      spy.mockRestore();
    }
  });
});
