import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Principal } from '@common/auth/principal';
import { Clock } from '@common/clock';
import { DeemedConfirmationJob } from '@modules/lessons/jobs/lesson-jobs';
import { LessonsService } from '@modules/lessons/lessons.service';
import { school } from '../support/contract-fixtures';
import { ledgerViolations } from '../support/ledger-fixtures';
import { eventually, startTestApp, TestApp } from '../support/test-app';

describe('one lesson, one release', () => {
  let t: TestApp;
  let s: Awaited<ReturnType<typeof school>>;
  let seq = 0;
  beforeAll(async () => {
    t = await startTestApp({ env: { OUTBOX_POLL_MS: '50' } });
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    s = await school(t);
  });
  afterAll(async () => {
    try {
      expect(await ledgerViolations(t.app.get<DataSource>(getDataSourceToken()))).toEqual([]);
    } finally {
      await t.close();
    }
  });

  const session = (attendees: string[], extra: Record<string, unknown> = {}) =>
    t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
      key: s.instKey,
      body: { sessionKey: `s-${++seq}`, courseId: s.course.id, startsAt: '2026-12-05T01:00:00Z', endsAt: '2026-12-05T02:00:00Z', teacher: '刘老师', location: '3号教室', attendees, ...extra },
    });
  const confirm = (id: string, token: string) => t.request('POST', `/payer/lessons/${id}/confirm`, { key: null, headers: { 'payer-token': token } });
  const balance = async (contractId: string) => (await t.request('GET', `/ledger/contracts/${contractId}/balance`, { key: s.r1 })).body;

  beforeEach(() => t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z')));

  it('releases exact cents, the last lesson taking the remainder, and refuses a lesson too many', async () => {
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    const c = await s.contract(3, '100.00');
    t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z'));
    const amounts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await session([c.id]);
      expect(res.status).toBe(201);
      amounts.push(res.body.lessons[0].amount);
      const ok = await confirm(res.body.lessons[0].id, c.payerToken);
      expect(ok.body.release).toBe('released');
    }
    expect(amounts).toEqual(['33.33', '33.33', '33.34']);
    // Every lesson released: the contract is completed (issue 11), and says so.
    expect((await t.request('GET', `/contracts/${c.id}`, { key: s.instKey })).body).toMatchObject({ state: 'completed', lessonAmounts: { count: 3, regular: '33.33', last: '33.34' } });
    const fourth = await session([c.id]);
    expect(fourth.status).toBe(422);
    expect(fourth.body.error.code).toBe('NO_LESSONS_REMAINING');
    expect(await balance(c.id)).toMatchObject({ paidIn: '100.00', released: '100.00', held: '0.00', consistent: true });
    const instructions = await t.db.query<{ n: number; total: string }>(`SELECT count(*)::int AS n, sum(s.amount)::text AS total FROM settlement_instructions s JOIN lessons l ON l.release_txn_id = s.ledger_txn_id WHERE l.contract_id = $1`, [c.id]);
    expect(instructions[0]).toEqual({ n: 3, total: '100.00' });
    await eventually(async () => (await t.db.query(`SELECT 1 FROM settlement_instructions WHERE state = 'pending'`)).length === 0);
  });

  it('the same attendance sent twenty times at once consumes one lesson', async () => {
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    const c = await s.contract(10, '1000.00');
    t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z'));
    const body = { sessionKey: 'twenty-at-once', courseId: s.course.id, startsAt: '2026-12-05T01:00:00Z', endsAt: '2026-12-05T02:00:00Z', teacher: '刘', location: '1', attendees: [c.id] };
    const results = await Promise.all(Array.from({ length: 20 }, () => t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, { key: s.instKey, body })));
    for (const r of results) expect(r.status).toBe(201);
    expect(results.filter((r) => r.body.recorded === 1)).toHaveLength(1);
    expect(new Set(results.map((r) => r.body.lessons[0].id)).size).toBe(1);
    const [row] = await t.db.query<{ lessons_consumed: number }>(`SELECT lessons_consumed FROM contracts WHERE id = $1`, [c.id]);
    expect(row.lessons_consumed).toBe(1);
  });

  it('a batch is all or none, and says which attendee failed and why', async () => {
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    const paid = await s.contract(5, '500.00');
    const unpaid = await s.contract(5, '500.00', undefined, false);
    t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z'));
    const stranger = '00000000-0000-4000-8000-000000000abc';
    const res = await session([paid.id, unpaid.id, stranger]);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('LESSON_BATCH_REJECTED');
    expect(res.body.error.details.failures).toEqual([
      expect.objectContaining({ contractId: unpaid.id, code: 'CONTRACT_NOT_ACTIVE' }),
      expect.objectContaining({ contractId: stranger, code: 'CONTRACT_NOT_FOUND' }),
    ]);
    expect(await t.db.query(`SELECT 1 FROM lessons WHERE contract_id = $1`, [paid.id])).toHaveLength(0);
    expect(await t.db.query(`SELECT 1 FROM lesson_sessions WHERE session_key = $1`, [`s-${seq}`])).toHaveLength(0);
    expect((await session([paid.id, paid.id])).body.error.code).toBe('DUPLICATE_ATTENDEES');
    const future = await session([paid.id], { startsAt: '2026-12-07T01:00:00Z', endsAt: '2026-12-07T02:00:00Z' });
    expect(future.body.error.code).toBe('SESSION_IN_FUTURE');
    const early = await session([paid.id], { startsAt: '2026-11-30T01:00:00Z', endsAt: '2026-11-30T02:00:00Z' });
    expect(early.body.error.code).toBe('BEFORE_CONTRACT_START');
  });

  it('a disputed lesson is not released; withdrawn, it returns to the contract; a regulator can decide', async () => {
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    const c = await s.contract(4, '400.00');
    t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z'));
    const l1 = (await session([c.id])).body.lessons[0];
    const d = await t.request('POST', `/payer/lessons/${l1.id}/dispute`, { key: null, headers: { 'payer-token': c.payerToken }, body: { reason: 'absent' } });
    expect(d.body).toMatchObject({ state: 'disputed', disputeReason: 'absent', released: false });
    expect((await confirm(l1.id, c.payerToken)).status).toBe(409);
    const w = await t.request('POST', `/lessons/${l1.id}/withdraw`, { key: s.instKey, body: { reason: 'the child was indeed absent' } });
    expect(w.body.state).toBe('withdrawn');
    expect((await t.db.query<{ n: number }>(`SELECT lessons_consumed AS n FROM contracts WHERE id = $1`, [c.id]))[0].n).toBe(0);
    const l2 = (await session([c.id])).body.lessons[0];
    await t.request('POST', `/payer/lessons/${l2.id}/dispute`, { key: null, headers: { 'payer-token': c.payerToken }, body: { reason: 'too short' } });
    const decided = await t.request('POST', `/lessons/${l2.id}/decision`, { key: s.r1, body: { decision: 'confirm', reason: 'attendance sheet signed' } });
    expect(decided.body).toMatchObject({ lesson: { state: 'confirmed', confirmation: 'regulator', released: true }, release: 'released' });
    expect(await balance(c.id)).toMatchObject({ released: '100.00', held: '300.00', consistent: true });
    expect((await t.request('GET', `/contracts/${c.id}`, { key: s.instKey })).body.state).toBe('active');
    expect((await confirm(l2.id, 'pay_not-a-token')).status).toBe(401);
    const other = await s.contract(2, '200.00', { startDate: '2026-12-01', endDate: '2027-02-28' });
    expect((await confirm(l2.id, other.payerToken)).status).toBe(404);
  });

  it('freezing holds releases back; unfreezing releases them', async () => {
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    const c = await s.contract(2, '250.00');
    t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z'));
    const l = (await session([c.id])).body.lessons[0];
    await t.request('POST', `/escrow-accounts/${s.escrow.id}/freeze`, { key: s.r1, body: { reason: 'risk alert' } });
    const held = await confirm(l.id, c.payerToken);
    expect(held.body).toMatchObject({ release: 'blocked_frozen', lesson: { state: 'confirmed', released: false } });
    expect((await balance(c.id)).released).toBe('0.00');
    await t.request('POST', `/escrow-accounts/${s.escrow.id}/unfreeze`, { key: s.r1, body: { reason: 'cleared' } });
    await eventually(async () => (await balance(c.id)).released === '125.00');
  });

  it("out of scope is 404: another district's regulator deciding a dispute, another institution withdrawing it", async () => {
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    const c = await s.contract(2, '200.00');
    const other = await school(t, { district: '310115' });
    t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z'));
    const l = (await session([c.id])).body.lessons[0];
    await t.request('POST', `/payer/lessons/${l.id}/dispute`, { key: null, headers: { 'payer-token': c.payerToken }, body: { reason: 'absent' } });
    const decide = (key: string) => t.request('POST', `/lessons/${l.id}/decision`, { key, body: { decision: 'confirm', reason: 'sheet signed' } });
    const foreign = await decide(other.r1);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('LESSON_NOT_FOUND');
    const withdrawn = await t.request('POST', `/lessons/${l.id}/withdraw`, { key: other.instKey, body: { reason: 'not ours' } });
    expect(withdrawn.status).toBe(404);
    expect(withdrawn.body.error.code).toBe('LESSON_NOT_FOUND');
    // Deciding needs supervision of the district: the institution reads its own lesson but may not decide it.
    const asInstitution: Principal = { id: 'k', name: 'inst', role: 'institution', districts: [], institutionId: s.inst.id, bankCode: null };
    await expect(t.app.get(LessonsService).decide(asInstitution, l.id, 'confirm', 'self-service')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await t.request('GET', `/contracts/${c.id}/lessons`, { key: s.instKey })).body[0]).toMatchObject({ id: l.id, state: 'disputed', released: false });
    expect((await balance(c.id)).released).toBe('0.00');
    // The district's regulator decides it.
    const own = await decide(s.r1);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ lesson: { state: 'confirmed', confirmation: 'regulator' }, release: 'released' });
  });

  it('a regulator of another district cannot see the lessons', async () => {
    const pudong = await t.createKey({ role: 'regulator', districts: ['310115'] });
    const [c] = await t.db.query<{ id: string }>(`SELECT id FROM contracts WHERE institution_id = $1 LIMIT 1`, [s.inst.id]);
    expect((await t.request('GET', `/contracts/${c.id}/lessons`, { key: pudong })).status).toBe(404);
    expect((await t.request('GET', `/contracts/${c.id}/lessons`, { key: s.r1 })).status).toBe(200);
  });
});

describe('deemed confirmation across Spring Festival', () => {
  it('counts 15 working days with the adjusted Sunday, and deems exactly once', async () => {
    const t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    try {
      const clock = t.app.get(Clock);
      clock.travelTo(new Date('2025-01-02T04:00:00Z'));
      const s = await school(t, { validFrom: '2024-06-01' });
      const c = await s.contract(10, '1000.00', { startDate: '2025-01-06', endDate: '2025-04-05' });
      clock.travelTo(new Date('2025-01-21T04:00:00Z'));
      const res = await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
        key: s.instKey,
        body: { sessionKey: 'spring', courseId: s.course.id, startsAt: '2025-01-20T01:00:00Z', endsAt: '2025-01-20T02:00:00Z', teacher: '刘', location: '1', attendees: [c.id] },
      });
      expect(res.body.lessons[0]).toMatchObject({ deliveredOn: '2025-01-20', confirmBy: '2025-02-14', state: 'delivered' });
      const job = t.app.get(DeemedConfirmationJob);
      expect(await job.handle({ today: '2025-02-14' })).toEqual({ deemed: 0, released: 0 });
      const runs = await Promise.all([job.handle({ today: '2025-02-15' }), job.handle({ today: '2025-02-15' }), job.handle({ today: '2025-02-17' })]);
      expect(runs.reduce((n, r) => n + r.deemed, 0)).toBe(1);
      const lessons = (await t.request('GET', `/contracts/${c.id}/lessons`, { key: s.instKey })).body;
      expect(lessons[0]).toMatchObject({ state: 'confirmed', confirmation: 'deemed', released: true });
      expect((await t.request('GET', `/ledger/contracts/${c.id}/balance`, { key: s.r1 })).body).toMatchObject({ released: '100.00', held: '900.00' });
    } finally {
      await t.close();
    }
  });
});
