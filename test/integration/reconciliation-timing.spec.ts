import { chinaDate } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { BanksService } from '@modules/banks/banks.service';
import { CalendarService } from '@modules/calendar/calendar.service';
import { school } from '../support/contract-fixtures';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import { signedBy } from '../support/bank-signing';

/**
 * A timing difference accepted by a person (issue 13 follow-up): the exception becomes `accepted`,
 * not `resolved`. The money difference still exists, so its effect keeps explaining the balance (the
 * next statement is no balance break, its day reconciled in transit), and a later run still matches
 * the line or record when the other side arrives, resolving it with a system `auto_match`. Reversing
 * the acceptance reopens it. Statements are MT940, one page each; ledger postings carry the database's
 * real time, so days are chosen around the real China day.
 */

const yymmdd = (d: string) => d.slice(2).replace(/-/g, '');

function mt940(account: string, day: string, no: number, opening: string, closing: string, lines: { amount: string; ref: string }[]): string {
  const amt = (a: string) => a.replace('.', ',');
  const d = yymmdd(day);
  return [
    `:20:STMT-${no}`,
    `:25:${account}`,
    `:28C:${no}/1`,
    `:60F:C${d}CNY${amt(opening)}`,
    ...lines.flatMap((l) => [`:61:${d}${d.slice(2)}C${amt(l.amount)}NTRF${l.ref}//BK-${l.ref}`, ':86:PAYMENT']),
    `:62F:C${d}CNY${amt(closing)}`,
    '-',
  ].join('\n');
}

describe('reconciliation timing differences', () => {
  let t: TestApp;
  let bank: { key: string; secret: string };
  let seq = 0;
  /** Working days: the three up to today (real China day), and the two from today on. */
  let past: [string, string, string];
  let coming: [string, string];
  let isWorkday: (d: string) => boolean;

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '100000', RECONCILIATION_WINDOW_DAYS: '2' } });
    await school(t); // registers ICBC-SH
    bank = { key: await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' }), secret: (await t.app.get(BanksService).deliveryTarget('ICBC-SH'))!.secrets[0] };
    const wd = await t.app.get(CalendarService).workingDays();
    isWorkday = (d) => wd.isWorkday(d);
    const step = (d: string, by: number) => {
      let x = addDaysTo(d, by);
      while (!isWorkday(x)) x = addDaysTo(x, by);
      return x;
    };
    const today = chinaDate(new Date());
    const d3 = isWorkday(today) ? today : step(today, -1);
    past = [step(step(d3, -1), -1), step(d3, -1), d3];
    const c1 = isWorkday(today) ? today : step(today, 1);
    coming = [c1, step(c1, 1)];
  }, 120_000);
  afterAll(() => t.close());

  const signed = (path: string, body: string, contentType: string) => {
    return t.request('POST', path, { key: bank.key, rawBody: body, headers: { 'content-type': contentType, ...signedBy(bank.secret, body) } });
  };

  /** A fresh institution and escrow account (bank cash starts at zero). */
  const account = async () => {
    const s = await school(t);
    const credit = async (amount: string, txn: string, valueDate: string) => {
      const res = await signed('/bank/credits', JSON.stringify({ bankTransactionId: txn, escrowAccountNumber: s.escrow.accountNumber, amount, currency: 'CNY', valueDate, payerReference: 'UNKNOWN-REF' }), 'application/json');
      expect(res.status).toBe(201);
      return res.body.creditId as string;
    };
    /** Uploads one statement and waits for its run. */
    const statement = async (day: string, opening: string, closing: string, lines: { amount: string; ref: string }[] = []) => {
      const res = await signed('/bank/statements', mt940(s.escrow.accountNumber, day, ++seq, opening, closing, lines), 'text/plain');
      expect(res.status).toBe(201);
      const id = (res.body.statements as { id: string }[])[0].id;
      const run = await eventually(async () => (await t.db.query<{ status: string; residual: string | null }>(`SELECT status, residual::text FROM reconciliation_runs WHERE statement_id = $1`, [id]))[0], 30_000);
      return { id, run };
    };
    const resolve = (exceptionId: string, body: Record<string, unknown>) => t.request('POST', `/reconciliation/exceptions/${exceptionId}/resolutions`, { key: s.r1, body });
    const detail = async (exceptionId: string) => (await t.request('GET', `/reconciliation/exceptions/${exceptionId}`, { key: s.r1 })).body;
    const exceptions = () =>
      t.db.query<{ id: string; type: string; state: string; effect: string; business_date: string }>(
        `SELECT id, type, state, effect::text, business_date::text FROM reconciliation_exceptions WHERE escrow_account_id = $1 ORDER BY business_date, type`,
        [s.escrow.id],
      );
    const dayOf = async (day: string) =>
      (await t.db.query<{ status: string; open_exceptions: number }>(`SELECT status, open_exceptions FROM reconciliation_account_days WHERE escrow_account_id = $1 AND business_date = $2`, [s.escrow.id, day]))[0];
    return { s, id: s.escrow.id as string, credit, statement, resolve, detail, exceptions, dayOf };
  };

  it('a line missing in the ledger, accepted, still explains the next statement; when the credit comes the next run matches it', async () => {
    const a = await account();
    const [d1, d2, d3] = past;
    const ref = `LATE${Date.now() % 1e8}`;
    const first = await a.statement(d1, '0.00', '30.00', [{ amount: '30.00', ref }]);
    expect(first.run).toMatchObject({ status: 'broken', residual: '0.00' });
    const [missing] = await a.exceptions();
    expect(missing).toMatchObject({ type: 'MISSING_IN_LEDGER', state: 'open', effect: '30.00', business_date: d1 });

    const accepted = await a.resolve(missing.id, { action: 'timing_difference', reason: '家长缴费通知次日到达' });
    expect(accepted.status).toBe(201);
    expect(accepted.body.exception.state).toBe('accepted');
    expect(await a.dayOf(d1)).toMatchObject({ status: 'reconciled_in_transit', open_exceptions: 0 });
    const listed = await t.request('GET', `/reconciliation/exceptions?escrowAccountId=${a.id}&state=accepted`, { key: a.s.r1 });
    expect([listed.status, listed.body.items.map((x: { id: string; state: string }) => [x.id, x.state])]).toEqual([200, [[missing.id, 'accepted']]]);
    expect((await t.request('GET', `/reconciliation/exceptions?escrowAccountId=${a.id}&state=open`, { key: a.s.r1 })).body.items).toEqual([]);

    // The next day: the bank still shows the 30.00, the ledger still lacks it; the accepted difference explains it.
    const second = await a.statement(d2, '30.00', '30.00');
    expect(second.run).toMatchObject({ status: 'reconciled_in_transit', residual: '0.00' });
    expect(await a.dayOf(d2)).toMatchObject({ status: 'reconciled_in_transit', open_exceptions: 0 });
    expect((await a.exceptions()).map((x) => x.type)).toEqual(['MISSING_IN_LEDGER']);

    // The credit is notified late under the line's reference: the next run matches the accepted line and resolves it.
    const creditId = await a.credit('30.00', ref, d1);
    const third = await a.statement(d3, '30.00', '30.00');
    expect(third.run).toMatchObject({ status: 'reconciled', residual: '0.00' });
    const x = await a.detail(missing.id);
    expect(x.state).toBe('resolved');
    expect(x.resolutions.map((r: { action: string; actor: string }) => [r.action, r.actor])).toEqual([
      ['timing_difference', expect.any(String)],
      ['auto_match', 'system'],
    ]);
    expect(x.matches).toEqual([expect.objectContaining({ source: 'credit', recordId: creditId, statementId: first.id, line: 1, reversedAt: null })]);
    expect((await a.exceptions()).map((e) => [e.type, e.state])).toEqual([['MISSING_IN_LEDGER', 'resolved']]);
    expect(await a.dayOf(d1)).toMatchObject({ status: 'reconciled', open_exceptions: 0 });
    expect(await a.dayOf(d3)).toMatchObject({ status: 'reconciled', open_exceptions: 0 });
  });

  it('an accepted timing difference is accepted once, cleared or reversed: reversing the acceptance reopens it and breaks its day again', async () => {
    const a = await account();
    const [d1] = past;
    await a.statement(d1, '0.00', '15.00', [{ amount: '15.00', ref: `REV${Date.now() % 1e8}` }]);
    const [missing] = await a.exceptions();
    const accepted = await a.resolve(missing.id, { action: 'timing_difference', reason: '次日到账' });
    expect(accepted.body.exception.state).toBe('accepted');
    const timing = accepted.body.resolution;

    const twice = await a.resolve(missing.id, { action: 'timing_difference', reason: 'again' });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'INVALID_EXCEPTION_TRANSITION']);
    const undo = await a.resolve(missing.id, { action: 'reversal', reason: '银行确认并无此款', resolutionId: timing.id });
    expect(undo.status).toBe(201);
    expect(undo.body.exception.state).toBe('open');
    expect(undo.body.resolution).toMatchObject({ action: 'reversal', reversesId: timing.id });
    expect((await a.detail(missing.id)).resolutions.map((r: { action: string; reversedById: string | null }) => [r.action, r.reversedById])).toEqual([
      ['timing_difference', undo.body.resolution.id],
      ['reversal', null],
    ]);
    expect(await a.dayOf(d1)).toMatchObject({ status: 'broken', open_exceptions: 1 });
  });

  it('a record missing at the bank, accepted, is resolved when the bank books it the next day', async () => {
    const a = await account();
    const [d1, d2] = coming;
    // Valued four working days before the statement: outside the 2-day window, so missing at the bank.
    let valued = d1;
    for (let n = 0; n < 4; ) if (isWorkday((valued = addDaysTo(valued, -1)))) n += 1;
    const txn = `MAB${Date.now() % 1e8}`;
    const creditId = await a.credit('40.00', txn, valued);
    const first = await a.statement(d1, '0.00', '0.00');
    expect(first.run).toMatchObject({ status: 'broken', residual: '0.00' });
    const [atBank] = await a.exceptions();
    expect(atBank).toMatchObject({ type: 'MISSING_AT_BANK', state: 'open', effect: '-40.00' });

    expect((await a.resolve(atBank.id, { action: 'timing_difference', reason: '银行次日记账' })).body.exception.state).toBe('accepted');
    expect(await a.dayOf(d1)).toMatchObject({ status: 'reconciled_in_transit', open_exceptions: 0 });

    const second = await a.statement(d2, '0.00', '40.00', [{ amount: '40.00', ref: txn }]);
    expect(second.run).toMatchObject({ status: 'reconciled', residual: '0.00' });
    const x = await a.detail(atBank.id);
    expect(x.state).toBe('resolved');
    expect(x.resolutions.map((r: { action: string }) => r.action)).toEqual(['timing_difference', 'auto_match']);
    expect(x.matches).toEqual([expect.objectContaining({ source: 'credit', recordId: creditId, statementId: second.id, line: 1, reversedAt: null })]);
    expect((await a.exceptions()).map((e) => [e.type, e.state])).toEqual([['MISSING_AT_BANK', 'resolved']]);
    expect(await a.dayOf(d1)).toMatchObject({ status: 'reconciled', open_exceptions: 0 });
  });
});
