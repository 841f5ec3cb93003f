import { chinaDate, Clock } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { CompletionReleasesJob, weekStart, WeeklySettlementJob } from '@modules/lessons/jobs/cadence-jobs';
import { school } from '../support/contract-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

/** The seeded example policies: Tianjin Binhai tranches, Xiamen weekly settlement, Wuhu after completion. */
describe('release cadences', () => {
  let t: TestApp;
  let seq = 0;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
  });
  afterAll(() => t.close());

  const adminState = async (contractId: string) => (await t.request('GET', `/contracts/${contractId}`)).body.state;

  const setup = async (district: string, lessons: number, total: string) => {
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t, { district });
    const c = await s.contract(lessons, total);
    t.app.get(Clock).travelTo(new Date('2026-12-20T04:00:00Z'));
    const deliver = async (day: string) =>
      (
        await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
          key: s.instKey,
          body: { sessionKey: `c-${++seq}`, courseId: s.course.id, startsAt: `${day}T01:00:00Z`, endsAt: `${day}T02:00:00Z`, teacher: '王', location: '2', attendees: [c.id] },
        })
      ).body.lessons[0];
    const confirm = async (lessonId: string) => (await t.request('POST', `/payer/lessons/${lessonId}/confirm`, { key: null, headers: { 'payer-token': c.payerToken } })).body;
    const balance = async () => (await t.request('GET', `/ledger/contracts/${c.id}/balance`, { key: s.r1 })).body;
    return { s, c, deliver, confirm, balance };
  };

  it('tranches: 30 % at one third, 30 % at two thirds, 40 % at the end (Tianjin Binhai)', async () => {
    const { c, deliver, confirm, balance } = await setup('120116', 10, '1000.01');
    const released: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const l = await deliver(`2026-12-${String(i).padStart(2, '0')}`);
      const r = await confirm(l.id);
      released.push(`${i}:${r.release}:${(await balance()).released}:${await adminState(c.id)}`);
    }
    expect(released).toEqual([
      '1:waiting_for_cadence:0.00:active',
      '2:waiting_for_cadence:0.00:active',
      '3:waiting_for_cadence:0.00:active',
      '4:released:300.00:active',
      '5:waiting_for_cadence:300.00:active',
      '6:waiting_for_cadence:300.00:active',
      '7:released:600.00:active',
      '8:waiting_for_cadence:600.00:active',
      '9:waiting_for_cadence:600.00:active',
      '10:released:1000.01:completed',
    ]);
    expect(await balance()).toMatchObject({ held: '0.00', consistent: true });
  });

  it('weekly settlement: postings at confirmation, one netted instruction per week payable after 7 days (Xiamen)', async () => {
    const { s, c, deliver, confirm, balance } = await setup('350200', 4, '400.00');
    // Xiamen publishes shorter terms after the contract was signed: the contract keeps the terms it was signed under.
    const rules = (await t.request('GET', '/policies/resolve?district=350200', { key: s.r1 })).body.rules;
    const newer = { ...rules, deemedConfirmationWorkingDays: 2, releaseCadence: { kind: 'weekly', paymentDelayDays: 1 } };
    expect((await t.request('POST', '/policies', { key: s.r1, body: { code: '350200', effectiveFrom: '2026-12-20', rules: newer } })).status).toBe(201);
    const first = await deliver('2026-12-01');
    // 15 working days after Tuesday 1 December 2026 (the signed terms), not 2.
    expect(first.confirmBy).toBe('2026-12-22');
    await confirm(first.id);
    await confirm((await deliver('2026-12-03')).id);
    expect((await balance()).released).toBe('200.00');
    const instructions = () => t.db.query<{ amount: string; not_before: string }>(
      `SELECT amount::text, to_char(not_before, 'YYYY-MM-DD') AS not_before FROM settlement_instructions WHERE institution_id = $1`,
      [s.inst.id],
    );
    expect(await instructions()).toEqual([]);
    const job = t.app.get(WeeklySettlementJob);
    // Releases are stamped by the database clock: their week closes on the next Monday.
    const monday = weekStart(chinaDate(new Date()));
    expect(await job.handle({ today: monday })).toEqual({ instructions: 0 });
    const next = addDaysTo(monday, 7);
    const [a, b] = await Promise.all([job.handle({ today: next }), job.handle({ today: next })]);
    expect(a.instructions + b.instructions).toBe(1);
    // Payable 7 days after the week's Sunday.
    expect(await instructions()).toEqual([{ amount: '200.00', not_before: addDaysTo(monday, 13) }]);
    // The last two lessons released (at confirmation): every lesson's money is released, the contract is completed.
    expect(await adminState(c.id)).toBe('active');
    for (const day of ['2026-12-08', '2026-12-10']) await confirm((await deliver(day)).id);
    expect(await adminState(c.id)).toBe('completed');
  });

  it('after completion: everything held goes out 15 working days after the last lesson (Wuhu)', async () => {
    const { c, deliver, confirm, balance } = await setup('340200', 2, '300.00');
    for (const day of ['2026-12-01', '2026-12-02']) expect((await confirm((await deliver(day)).id)).release).toBe('waiting_for_cadence');
    expect(await adminState(c.id)).toBe('active');
    const job = t.app.get(CompletionReleasesJob);
    // 15 working days after Wednesday 2 December 2026 is Wednesday 23 December.
    expect(await job.handle({ today: '2026-12-23' })).toEqual({ released: 0 });
    expect(await job.handle({ today: '2026-12-24' })).toEqual({ released: 1 });
    expect(await job.handle({ today: '2026-12-25' })).toEqual({ released: 0 });
    expect(await balance()).toMatchObject({ released: '300.00', held: '0.00' });
    expect((await t.request('GET', `/contracts/${c.id}`, { key: (await t.createKey({ role: 'admin' })) })).body.state).toBe('completed');
  });
});
