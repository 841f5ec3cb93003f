import { getDataSourceToken } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { chinaDate, Clock } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { Money } from '@common/money/money';
import { LedgerService } from '@modules/ledger/ledger.service';
import { CompletionReleasesJob, weekStart, WeeklySettlementJob } from '@modules/lessons/jobs/cadence-jobs';
import { DeemedConfirmationJob, ReleasePendingLessonsJob } from '@modules/lessons/jobs/lesson-jobs';
import { school } from '../support/contract-fixtures';
import { invariantViolations } from '../support/invariants';
import { inParallel, signedBank } from '../support/reliability-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Tests for bugs the rest of the suite let through (issue 12): each fails when the named
 * safeguard is removed from src/ (or from the `ledger_post` function). Every test ends with the
 * SQL invariants of test/support/invariants.ts.
 */

const SIGNED_AT = new Date('2026-11-22T04:00:00Z');
const LESSONS_AT = new Date('2026-12-20T04:00:00Z');
let seq = 0;

type School = Awaited<ReturnType<typeof school>>;

function helpers(t: TestApp) {
  const clock = () => t.app.get(Clock);
  const session = async (s: School, day: string, attendees: string[]) => {
    const res = await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
      key: s.instKey,
      body: { sessionKey: `rel-${++seq}`, courseId: s.course.id, startsAt: `${day}T01:00:00Z`, endsAt: `${day}T02:00:00Z`, teacher: '王', location: '1', attendees },
    });
    if (res.status !== 201) throw new Error(`session refused: ${res.status} ${res.text}`);
    return res.body.lessons as { id: string; contractId: string }[];
  };
  const confirm = async (lessonId: string, payerToken: string) => {
    const res = await t.request('POST', `/payer/lessons/${lessonId}/confirm`, { key: null, headers: { 'payer-token': payerToken } });
    if (res.status !== 200) throw new Error(`confirm refused: ${res.status} ${res.text}`);
    return res.body as { release: string };
  };
  const balance = async (s: School, contractId: string) => (await t.request('GET', `/ledger/contracts/${contractId}/balance`, { key: s.r1 })).body;
  const institutionBalance = async (s: School) => (await t.request('GET', `/ledger/institutions/${s.inst.id}/balance`, { key: s.r1 })).body;
  const escrowAction = async (s: School, escrowId: string, action: 'freeze' | 'unfreeze' | 'close') => {
    const res = await t.request('POST', `/escrow-accounts/${escrowId}/${action}`, { key: s.r1, body: { reason: `reliability test: ${action}` } });
    if (res.status !== 200) throw new Error(`${action} refused: ${res.status} ${res.text}`);
  };
  return { clock, session, confirm, balance, institutionBalance, escrowAction };
}

describe('parallel settlements against striped hot accounts (the stripes are locked before the check)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api', DATABASE_POOL_SIZE: '30', RATE_LIMIT_PER_MINUTE: '100000' } });
  });
  afterAll(() => t.close());

  /** 40 confirmed lessons of 10.00 (4 contracts of 10 lessons at 100.00): 40 release instructions. */
  async function fortyInstructions(s: School, fundAt: (reference: string, amount: string) => Promise<void>, escrowId: string) {
    const h = helpers(t);
    const contracts: { id: string; reference: string; payerToken: string }[] = [];
    h.clock().travelTo(SIGNED_AT);
    for (let i = 0; i < 4; i++) {
      const c = await s.contract(10, '100.00', undefined, false);
      await fundAt(c.reference, '100.00');
      contracts.push(c);
    }
    h.clock().travelTo(LESSONS_AT);
    const tokens = new Map(contracts.map((c) => [c.id, c.payerToken]));
    const lessons: { id: string; contractId: string }[] = [];
    for (let d = 1; d <= 10; d++) lessons.push(...(await h.session(s, `2026-12-${String(d).padStart(2, '0')}`, contracts.map((c) => c.id))));
    await inParallel(lessons.map((l) => () => h.confirm(l.id, tokens.get(l.contractId)!)), 8);
    const instructions = await t.db.query<{ id: string; amount: string; ledger_txn_id: string }>(
      `SELECT id, amount::text, ledger_txn_id::text FROM settlement_instructions WHERE escrow_account_id = $1 AND kind = 'release' AND state <> 'executed' ORDER BY created_at`,
      [escrowId],
    );
    expect(instructions).toHaveLength(40);
    expect(instructions.every((i) => i.amount === '10.00')).toBe(true);
    return instructions;
  }

  async function settleAllAtOnce(bank: Awaited<ReturnType<typeof signedBank>>, instructions: { id: string }[], escrowNumber: string) {
    const results = await Promise.all(
      instructions.map((i, n) => bank.result({ instructionId: i.id, status: 'executed', amount: '10.00', fromAccountNumber: escrowNumber, bankTransactionId: `PAR-${seq}-${n}` })),
    );
    const outcome = results.map((r) => (r.status === 201 ? 'executed' : `${r.status} ${r.body?.error?.code}`));
    return { executed: outcome.filter((o) => o === 'executed').length, refused: outcome.filter((o) => o !== 'executed') };
  }

  it("40 parallel executions of 10.00 against an institution's unsettled 100.00: 10 executed, 30 refused, never negative", async () => {
    const h = helpers(t);
    h.clock().travelTo(SIGNED_AT);
    const s = await school(t);
    const bank = await signedBank(t);
    // The institution's unsettled account opens with a first release, at its first escrow account...
    const first = await s.contract(1, '10.00');
    h.clock().travelTo(LESSONS_AT);
    const [l0] = await h.session(s, '2026-12-01', [first.id]);
    expect((await h.confirm(l0.id, first.payerToken)).release).toBe('released');
    const [i0] = await t.db.query<{ id: string }>(`SELECT id FROM settlement_instructions WHERE contract_id = $1`, [first.id]);
    expect((await bank.result({ instructionId: i0.id, status: 'executed', amount: '10.00', fromAccountNumber: s.escrow.accountNumber, bankTransactionId: 'FIRST' })).status).toBe(201);
    // ...then the institution moves to a new escrow account, whose bank cash account opens later: in
    // the settlement's lock order (account id) the unsettled account now comes first.
    await h.escrowAction(s, s.escrow.id, 'close');
    const filed = await t.request('POST', `/institutions/${s.inst.id}/escrow-accounts`, {
      key: s.r1,
      body: { bankCode: 'ICBC-SH', accountNumber: `ESC2${s.inst.uscc}`, accountName: `${s.inst.name}监管专户2`, mode: 'full_custody', agreementReference: `AGR2-${s.inst.uscc}` },
    });
    expect(filed.status).toBe(201);
    const escrow2 = filed.body as { id: string; accountNumber: string };
    const fund = async (reference: string, amount: string) => {
      expect((await bank.credit({ escrowAccountNumber: escrow2.accountNumber, amount, payerReference: reference })).status).toBe(201);
    };
    const instructions = await fortyInstructions(s, fund, escrow2.id);
    expect(await h.institutionBalance(s)).toMatchObject({ unsettled: '400.00' });
    // An admin corrects 30 of the releases (reversals): 100.00 stays unsettled for 40 instructions of 10.00.
    for (const i of instructions.slice(0, 30)) {
      expect((await t.request('POST', `/ledger/transactions/${i.ledger_txn_id}/reversal`, { body: { reason: 'released by mistake' } })).status).toBe(201);
    }
    expect(await h.institutionBalance(s)).toMatchObject({ unsettled: '100.00' });

    const { executed, refused } = await settleAllAtOnce(bank, instructions, escrow2.accountNumber);
    expect({ executed, refused: new Set(refused) }).toEqual({ executed: 10, refused: new Set(['422 INSUFFICIENT_FUNDS']) });
    expect(await h.institutionBalance(s)).toMatchObject({ unsettled: '0.00', settled: '110.00' });
    // Reversals are hand corrections the domain checks do not model: the ledger checks only.
    expect(await invariantViolations(t.db.url, { domain: false })).toEqual([]);
  });

  it('40 parallel executions of 10.00 against an escrow account holding 100.00 in bank cash: 10 executed, 30 refused', async () => {
    const h = helpers(t);
    h.clock().travelTo(SIGNED_AT);
    const s = await school(t);
    const bank = await signedBank(t);
    const fund = async (reference: string, amount: string) => {
      expect((await bank.credit({ escrowAccountNumber: s.escrow.accountNumber, amount, payerReference: reference })).status).toBe(201);
    };
    const instructions = await fortyInstructions(s, fund, s.escrow.id);
    // Reconciliation found 300.00 less at the bank than the ledger said: a regulator's adjustment.
    const ds = t.app.get<DataSource>(getDataSourceToken());
    const owner = { escrowAccountId: s.escrow.id, institutionId: s.inst.id, currency: 'CNY' };
    await ds.transaction((m) => t.app.get(LedgerService).adjust(m, owner, Money.parse('-300.00', 'CNY', 'amount', { signed: true }), `recon.${s.escrow.id}`, 'bank statement short by 300.00', null));
    const cash = () => t.app.get(LedgerService).balanceOf('bank_cash', owner);
    expect((await cash()).toString()).toBe('100.00');

    const { executed, refused } = await settleAllAtOnce(bank, instructions, s.escrow.accountNumber);
    expect({ executed, refused: new Set(refused) }).toEqual({ executed: 10, refused: new Set(['422 INSUFFICIENT_FUNDS']) });
    expect((await cash()).toString()).toBe('0.00');
    expect(await h.institutionBalance(s)).toMatchObject({ unsettled: '300.00', settled: '100.00' });
    expect(await invariantViolations(t.db.url, { domain: false })).toEqual([]);
  });
});

describe('bank messages racing each other (found by the property test with races)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api', DATABASE_POOL_SIZE: '30', RATE_LIMIT_PER_MINUTE: '100000' } });
  });
  afterAll(() => t.close());
  afterEach(async () => {
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  /** `n` lessons of 10.00 confirmed (contracts of 10 lessons at 100.00): `n` release instructions. */
  async function instructions(s: School, n: number) {
    const h = helpers(t);
    h.clock().travelTo(SIGNED_AT);
    const contracts = [];
    for (let i = 0; i < Math.ceil(n / 10); i++) contracts.push(await s.contract(10, '100.00'));
    h.clock().travelTo(LESSONS_AT);
    const tokens = new Map(contracts.map((c) => [c.id, c.payerToken]));
    const lessons: { id: string; contractId: string }[] = [];
    for (let d = 1; lessons.length < n; d++) lessons.push(...(await h.session(s, `2026-12-${String(d).padStart(2, '0')}`, contracts.map((c) => c.id))));
    await inParallel(lessons.slice(0, n).map((l) => () => h.confirm(l.id, tokens.get(l.contractId)!)), 8);
    return t.db.query<{ id: string }>(`SELECT id FROM settlement_instructions WHERE institution_id = $1 ORDER BY created_at`, [s.inst.id]);
  }

  it('the same settlement result (one webhook-id) sent 10 times at once is applied once; the other 9 replay its answer', async () => {
    const s = await school(t);
    const bank = await signedBank(t);
    const [i] = await instructions(s, 1);
    const body = { instructionId: i.id, status: 'executed' as const, amount: '10.00', fromAccountNumber: s.escrow.accountNumber, bankTransactionId: 'ONCE' };
    const results = await Promise.all(Array.from({ length: 10 }, () => bank.result(body, `same-message-${i.id}`)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(results.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
    for (const r of results) expect(r.body).toEqual(results[0].body);
    expect(await t.db.query(`SELECT 1 FROM ledger_transactions WHERE external_ref = $1`, [`settlement.${i.id}`])).toHaveLength(1);
  });

  it('settlements and overpaying credits at one escrow account at the same moment: every one applied, no deadlock', async () => {
    const s = await school(t);
    const bank = await signedBank(t);
    const toSettle = await instructions(s, 30);
    const h = helpers(t);
    h.clock().travelTo(SIGNED_AT);
    const unpaid = [];
    for (let n = 0; n < 30; n++) unpaid.push(await s.contract(10, '100.00', undefined, false));
    // An overpayment posts twice to the escrow account's bank cash (the contract's part, the excess to suspense).
    const results = await Promise.all([
      ...toSettle.map((i, n) => bank.result({ instructionId: i.id, status: 'executed', amount: '10.00', fromAccountNumber: s.escrow.accountNumber, bankTransactionId: `MIX-${n}` })),
      ...unpaid.map((c) => bank.credit({ escrowAccountNumber: s.escrow.accountNumber, amount: '150.00', payerReference: c.reference })),
    ]);
    expect(results.map((r) => (r.status === 201 ? 201 : `${r.status} ${r.text}`))).toEqual(Array(60).fill(201));
    expect(await h.institutionBalance(s)).toMatchObject({ unsettled: '0.00', settled: '300.00' });
  });
});

describe('the deemed confirmation job racing payers and the bank (found by the property test with races)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api', DATABASE_POOL_SIZE: '40', RATE_LIMIT_PER_MINUTE: '100000' } });
  });
  afterAll(() => t.close());

  it('deemed confirmations, payer confirmations and settlements of one institution at the same moment: all done, no deadlock', async () => {
    const h = helpers(t);
    h.clock().travelTo(SIGNED_AT);
    const s = await school(t);
    const bank = await signedBank(t);
    const contracts = [];
    for (let n = 0; n < 40; n++) contracts.push(await s.contract(10, '100.00'));
    const ids = contracts.map((c) => c.id);
    h.clock().travelTo(new Date('2027-01-20T04:00:00Z'));
    // Per contract: two lessons confirmed (their instructions to settle), one long past its window, one to confirm now.
    const confirmed = [...(await h.session(s, '2026-12-01', ids)), ...(await h.session(s, '2026-12-02', ids))];
    const tokens = new Map(contracts.map((c) => [c.id, c.payerToken]));
    await inParallel(confirmed.map((l) => () => h.confirm(l.id, tokens.get(l.contractId)!)), 8);
    await h.session(s, '2026-12-03', ids);
    const recent = await h.session(s, '2027-01-19', ids);
    const toSettle = await t.db.query<{ id: string }>(`SELECT id FROM settlement_instructions WHERE institution_id = $1`, [s.inst.id]);
    expect(toSettle).toHaveLength(80);

    const job = t.app.get(DeemedConfirmationJob);
    const [deemed, ...answers] = await Promise.all([
      job.handle({ today: '2027-01-20' }).catch((err: Error) => err.message),
      ...recent.map((l) => h.confirm(l.id, tokens.get(l.contractId)!).then(() => 200, (err: Error) => err.message)),
      ...toSettle.map((i, n) =>
        bank.result({ instructionId: i.id, status: 'executed', amount: '10.00', fromAccountNumber: s.escrow.accountNumber, bankTransactionId: `DJ-${n}` }).then((r) => (r.status === 201 ? 200 : `${r.status} ${r.text}`)),
      ),
    ]);
    expect(deemed).toEqual({ deemed: 40, released: 40 });
    expect(answers).toEqual(Array(120).fill(200));
    expect(await h.institutionBalance(s)).toMatchObject({ unsettled: '800.00', settled: '800.00' });
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });
});

describe('cadences under a freeze, the weekly job overlapping itself, duplicate credits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api', DATABASE_POOL_SIZE: '30', RATE_LIMIT_PER_MINUTE: '100000' } });
  });
  afterAll(() => t.close());
  afterEach(async () => {
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  /** The week after the one the database clock stamps releases in: the weekly job nets them then. */
  const nextWeek = () => addDaysTo(weekStart(chinaDate(new Date())), 7);
  const instructionsOf = (institutionId: string) =>
    t.db.query<{ amount: string; source_ref: string }>(`SELECT amount::text, source_ref FROM settlement_instructions WHERE institution_id = $1 ORDER BY created_at`, [institutionId]);

  it('weekly (Xiamen): a lesson confirmed while frozen is not posted, a week frozen is not netted; after the unfreeze both go out once', async () => {
    const h = helpers(t);
    h.clock().travelTo(SIGNED_AT);
    const s = await school(t, { district: '350200' });
    const c = await s.contract(4, '400.00');
    h.clock().travelTo(LESSONS_AT);
    const [l1] = await h.session(s, '2026-12-01', [c.id]);
    expect((await h.confirm(l1.id, c.payerToken)).release).toBe('released'); // posted; netted on Monday
    await h.escrowAction(s, s.escrow.id, 'freeze');
    const [l2] = await h.session(s, '2026-12-02', [c.id]);
    expect((await h.confirm(l2.id, c.payerToken)).release).toBe('blocked_frozen');
    expect(await h.balance(s, c.id)).toMatchObject({ released: '100.00', held: '300.00' });
    // Monday while frozen: nothing is instructed to the bank.
    const weekly = t.app.get(WeeklySettlementJob);
    expect(await weekly.handle({ today: nextWeek() })).toEqual({ instructions: 0 });
    expect(await instructionsOf(s.inst.id)).toEqual([]);

    await h.escrowAction(s, s.escrow.id, 'unfreeze');
    expect(await t.app.get(ReleasePendingLessonsJob).handle({ institutionId: s.inst.id })).toEqual({ released: 1 });
    expect(await h.balance(s, c.id)).toMatchObject({ released: '200.00', held: '200.00' });
    expect(await weekly.handle({ today: nextWeek() })).toEqual({ instructions: 1 });
    expect(await weekly.handle({ today: nextWeek() })).toEqual({ instructions: 0 });
    expect((await instructionsOf(s.inst.id)).map((i) => i.amount)).toEqual(['200.00']);
  });

  it("tranches (Tianjin Binhai): nothing is released while frozen; the unfreeze job's tranche branch releases the due part once", async () => {
    const h = helpers(t);
    h.clock().travelTo(SIGNED_AT);
    const s = await school(t, { district: '120116' });
    const c = await s.contract(10, '1000.01');
    h.clock().travelTo(LESSONS_AT);
    await h.escrowAction(s, s.escrow.id, 'freeze');
    for (let d = 1; d <= 4; d++) {
      const [l] = await h.session(s, `2026-12-0${d}`, [c.id]);
      expect((await h.confirm(l.id, c.payerToken)).release).toBe('blocked_frozen');
    }
    expect(await h.balance(s, c.id)).toMatchObject({ released: '0.00', held: '1000.01' });
    expect(await instructionsOf(s.inst.id)).toEqual([]);

    await h.escrowAction(s, s.escrow.id, 'unfreeze');
    const job = t.app.get(ReleasePendingLessonsJob);
    expect(await job.handle({ institutionId: s.inst.id })).toEqual({ released: 1 });
    expect(await job.handle({ institutionId: s.inst.id })).toEqual({ released: 0 });
    expect(await h.balance(s, c.id)).toMatchObject({ released: '300.00', held: '700.01' });
    expect(await instructionsOf(s.inst.id)).toEqual([{ amount: '300.00', source_ref: `tranche.${c.id}.1` }]);
  });

  it('after completion (Wuhu): the completion job releases nothing while the account is frozen, and everything once after', async () => {
    const h = helpers(t);
    h.clock().travelTo(SIGNED_AT);
    const s = await school(t, { district: '340200' });
    const c = await s.contract(2, '300.00');
    h.clock().travelTo(LESSONS_AT);
    for (const day of ['2026-12-01', '2026-12-02']) {
      const [l] = await h.session(s, day, [c.id]);
      expect((await h.confirm(l.id, c.payerToken)).release).toBe('waiting_for_cadence');
    }
    await h.escrowAction(s, s.escrow.id, 'freeze');
    const job = t.app.get(CompletionReleasesJob);
    expect(await job.handle({ today: '2026-12-24' })).toEqual({ released: 0 });
    expect(await h.balance(s, c.id)).toMatchObject({ released: '0.00', held: '300.00' });
    expect(await instructionsOf(s.inst.id)).toEqual([]);
    expect((await t.request('GET', `/contracts/${c.id}`)).body.state).toBe('active');

    await h.escrowAction(s, s.escrow.id, 'unfreeze');
    expect(await job.handle({ today: '2026-12-24' })).toEqual({ released: 1 });
    expect(await job.handle({ today: '2026-12-25' })).toEqual({ released: 0 });
    expect(await h.balance(s, c.id)).toMatchObject({ released: '300.00', held: '0.00' });
    expect((await t.request('GET', `/contracts/${c.id}`)).body.state).toBe('completed');
  });

  it('weekly job: a second run while the first holds its lessons skips them at once (SKIP LOCKED), never waits, never nets them twice', async () => {
    const h = helpers(t);
    h.clock().travelTo(SIGNED_AT);
    const s = await school(t, { district: '350200' });
    const c = await s.contract(4, '400.00');
    h.clock().travelTo(LESSONS_AT);
    for (const day of ['2026-12-01', '2026-12-03']) {
      const [l] = await h.session(s, day, [c.id]);
      expect((await h.confirm(l.id, c.payerToken)).release).toBe('released');
    }
    const job = t.app.get(WeeklySettlementJob);
    // Hold the first run inside its transaction, after it has locked its lessons: it cannot write
    // its instruction while this session holds settlement_instructions in EXCLUSIVE mode.
    const blocker = new Client({ connectionString: t.db.url });
    await blocker.connect();
    const waiting = async () =>
      Number((await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0].n);
    const until = async (cond: () => Promise<boolean>, ms: number) => {
      for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (await cond()) return true;
      return false;
    };
    let first: Promise<{ instructions: number }> | undefined;
    let second: Promise<{ instructions: number }> | undefined;
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE settlement_instructions IN EXCLUSIVE MODE');
      first = job.handle({ today: nextWeek() });
      expect(await until(async () => (await waiting()) === 1, 10000)).toBe(true);
      // The second run: with SKIP LOCKED it finds nothing to net and ends; without, it waits for
      // the first run's lessons (FOR UPDATE) or nets them too (no lock), and then waits here.
      second = job.handle({ today: nextWeek() });
      const raced = await Promise.race([
        second.then((r) => ({ finished: r })),
        until(async () => (await waiting()) >= 2, 15000).then((blocked) => ({ blocked })),
      ]);
      expect(raced).toEqual({ finished: { instructions: 0 } });
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    const [a, b] = await Promise.all([first!, second!]);
    expect(a.instructions + b.instructions).toBe(1);
    expect((await instructionsOf(s.inst.id)).map((i) => i.amount)).toEqual(['200.00']);
  });

  it('the same bank credit sent 20 times at the same moment funds the contract once; the other 19 replay the first answer', async () => {
    const h = helpers(t);
    h.clock().travelTo(SIGNED_AT);
    const s = await school(t);
    const c = await s.contract(10, '1000.00', undefined, false);
    const bank = await signedBank(t);
    const credit = { escrowAccountNumber: s.escrow.accountNumber, amount: '1000.00', payerReference: c.reference, bankTransactionId: `DUP-${c.reference}` };
    // A bank retrying one message (same webhook-id) and re-sending it as new messages (new ids).
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => bank.credit(credit, i % 2 === 0 ? `dup-msg-${c.reference}` : undefined)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const fresh = results.filter((r) => r.headers.get('idempotent-replayed') !== 'true');
    expect(fresh).toHaveLength(1);
    for (const r of results) expect(r.body).toEqual(fresh[0].body);
    expect(fresh[0].body).toMatchObject({ outcome: 'applied', applied: '1000.00', toSuspense: '0.00', contractId: c.id });
    expect(await t.db.query(`SELECT 1 FROM bank_credits WHERE bank_transaction_id = $1`, [credit.bankTransactionId])).toHaveLength(1);
    expect(await t.db.query(`SELECT 1 FROM ledger_transactions WHERE external_ref LIKE $1`, [`credit.%.${credit.bankTransactionId}%`])).toHaveLength(1);
    expect(await h.balance(s, c.id)).toMatchObject({ paidIn: '1000.00', held: '1000.00' });
    expect((await t.request('GET', `/contracts/${c.id}`)).body).toMatchObject({ state: 'active', amountPaid: '1000.00' });
  });
});
