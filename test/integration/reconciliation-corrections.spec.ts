import { chinaDate } from '@common/clock';
import { BanksService } from '@modules/banks/banks.service';
import { ReconciliationEngineService } from '@modules/reconciliation/reconciliation-engine.service';
import { school } from '../support/contract-fixtures';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import { signedBy } from '../support/bank-signing';

/**
 * Reconciliation after the first version (issue 13 follow-up): a statement of several pages is one
 * account-day checked once on its last page; undoing a match leaves each side's exception standing
 * (never a vague balance break); an adjustment whose approval was reversed is no longer a record to
 * match; a match by hand and a statement's run of the same account take turns.
 * Statements are MT940 (`:28C:` "number/page" carries no sequence the gap check compares).
 */

const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const yymmdd = (d: string) => d.slice(2).replace(/-/g, '');
/** Ledger postings carry the database's real time, so statements are dated by the real China day. */
const TODAY = chinaDate(new Date());
const YESTERDAY = addDays(TODAY, -1);

interface Line {
  amount: string;
  dir: 'C' | 'D';
  ref: string;
}

interface Page {
  opening: string;
  closing: string;
  lines: Line[];
}

/**
 * One MT940 statement of a day, in as many pages (messages) as given, numbered from `firstPage`:
 * `:60M:`/`:62M:` between pages, `:62F:` on the last one unless `last` is false.
 */
function mt940(account: string, day: string, no: number, pages: Page[], o: { firstPage?: number; last?: boolean } = {}): string {
  const amt = (a: string) => a.replace('.', ',');
  const d = yymmdd(day);
  const first = o.firstPage ?? 1;
  return pages
    .flatMap((p, i) => [
      `:20:STMT-${no}`,
      `:25:${account}`,
      `:28C:${no}/${first + i}`,
      `:${first + i === 1 ? '60F' : '60M'}:C${d}CNY${amt(p.opening)}`,
      ...p.lines.flatMap((l) => [`:61:${d}${d.slice(2)}${l.dir}${amt(l.amount)}NTRF${l.ref}//BK-${l.ref}`, ':86:PAYMENT']),
      `:${i === pages.length - 1 && o.last !== false ? '62F' : '62M'}:C${d}CNY${amt(p.closing)}`,
      '-',
    ])
    .join('\n');
}

describe('reconciliation corrections', () => {
  let t: TestApp;
  let engine: ReconciliationEngineService;
  let bank: { key: string; secret: string };
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '100000', RECONCILIATION_WINDOW_DAYS: '2' } });
    engine = t.app.get(ReconciliationEngineService);
    await school(t); // registers ICBC-SH
    bank = { key: await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' }), secret: (await t.app.get(BanksService).deliveryTarget('ICBC-SH'))!.secrets[0] };
  }, 120_000);
  afterAll(() => t.close());

  const signed = (path: string, body: string, contentType: string) => {
    return t.request('POST', path, { key: bank.key, rawBody: body, headers: { 'content-type': contentType, ...signedBy(bank.secret, body) } });
  };

  /** A fresh institution and escrow account (bank cash starts at zero), with its regulators' keys. */
  const account = async () => {
    const s = await school(t);
    const credit = async (amount: string, o: { txn?: string; valueDate?: string } = {}) => {
      const txn = o.txn ?? `CR${++seq}X${Date.now() % 1e6}`;
      const res = await signed('/bank/credits', JSON.stringify({ bankTransactionId: txn, escrowAccountNumber: s.escrow.accountNumber, amount, currency: 'CNY', valueDate: o.valueDate ?? TODAY, payerReference: 'UNKNOWN-REF' }), 'application/json');
      expect(res.status).toBe(201);
      return { id: res.body.creditId as string, txn };
    };
    const upload = async (day: string, pages: Page[], o: { no?: number; firstPage?: number; last?: boolean } = {}) => {
      const res = await signed('/bank/statements', mt940(s.escrow.accountNumber, day, o.no ?? ++seq, pages, o), 'text/plain');
      expect(res.status).toBe(201);
      return res.body.statements as { id: string }[];
    };
    const resolve = (exceptionId: string, body: Record<string, unknown>, key = s.r1) => t.request('POST', `/reconciliation/exceptions/${exceptionId}/resolutions`, { key, body });
    const detail = async (exceptionId: string) => (await t.request('GET', `/reconciliation/exceptions/${exceptionId}`, { key: s.r1 })).body;
    const exceptions = () =>
      t.db.query<{ id: string; type: string; state: string; effect: string; statement_id: string | null; line: number | null; record_id: string | null; business_date: string }>(
        `SELECT id, type, state, effect::text, statement_id, line, record_id, business_date::text FROM reconciliation_exceptions WHERE escrow_account_id = $1 ORDER BY type, line`,
        [s.escrow.id],
      );
    return { s, id: s.escrow.id as string, credit, upload, resolve, detail, exceptions };
  };

  const runOf = (statementId: string) =>
    eventually(async () => (await t.db.query<{ status: string; matched_lines: number; exceptions: number; residual: string | null; bank_closing: string }>(`SELECT status, matched_lines, exceptions, residual::text, bank_closing::text FROM reconciliation_runs WHERE statement_id = $1`, [statementId]))[0], 30_000);
  const dayOf = async (accountId: string, day = TODAY) =>
    (await t.db.query<{ status: string; statement_id: string; bank_closing: string; open_exceptions: number }>(`SELECT status, statement_id, bank_closing::text, open_exceptions FROM reconciliation_account_days WHERE escrow_account_id = $1 AND business_date = $2`, [accountId, day]))[0];
  const activeMatches = (accountId: string) =>
    t.db.query<{ statement_id: string; line: number; record_id: string; method: string }>(`SELECT statement_id, line, record_id, method FROM reconciliation_matches WHERE escrow_account_id = $1 AND reversed_at IS NULL ORDER BY statement_id, line`, [accountId]);

  it('a statement of two pages is checked once, on its last page, with the lines of both pages matched', async () => {
    const a = await account();
    const first = await a.credit('20.00');
    const old = await a.credit('100.00', { valueDate: addDays(TODAY, -10) }); // notified late: booked on page 2 only
    const [p1, p2] = await a.upload(TODAY, [
      { opening: '0.00', closing: '20.00', lines: [{ amount: '20.00', dir: 'C', ref: first.txn }] },
      { opening: '20.00', closing: '120.00', lines: [{ amount: '100.00', dir: 'C', ref: old.txn }] },
    ]);
    // Page 1 alone would find the old credit missing at the bank and break the day: its run waits for page 2.
    expect(await runOf(p1.id)).toMatchObject({ status: 'deferred', matched_lines: 0, exceptions: 0 });
    expect(await runOf(p2.id)).toMatchObject({ status: 'reconciled', matched_lines: 2, exceptions: 0, residual: '0.00', bank_closing: '120.00' });
    const matched = (await activeMatches(a.id)).map((x) => `${x.statement_id}:${x.line}:${x.record_id}`).sort();
    expect(matched).toEqual([`${p1.id}:1:${first.id}`, `${p2.id}:1:${old.id}`].sort());
    expect(await a.exceptions()).toEqual([]);
    expect(await dayOf(a.id)).toMatchObject({ status: 'reconciled', statement_id: p2.id, bank_closing: '120.00', open_exceptions: 0 });
    expect(await t.db.query(`SELECT 1 FROM supervision_events WHERE dedupe_key = $1`, [`recon-break:${a.id}:${TODAY}`])).toEqual([]);
    expect((await t.request('GET', `/reconciliation/runs/${p1.id}`, { key: a.s.r1 })).body.status).toBe('deferred');
  });

  it('pages are matched together: a line naming a record by reference keeps it from an earlier page’s amount pass', async () => {
    const a = await account();
    const named = await a.credit('50.00');
    const [p1, p2] = await a.upload(TODAY, [
      { opening: '0.00', closing: '50.00', lines: [{ amount: '50.00', dir: 'C', ref: 'NONREF' }] },
      { opening: '50.00', closing: '100.00', lines: [{ amount: '50.00', dir: 'C', ref: named.txn }] },
    ]);
    expect(await runOf(p2.id)).toMatchObject({ status: 'broken', matched_lines: 1, residual: '0.00' });
    expect((await activeMatches(a.id)).map((x) => [x.statement_id, x.line, x.method])).toEqual([[p2.id, 1, 'reference']]);
    expect((await a.exceptions()).map((x) => [x.type, x.statement_id, x.line, x.effect])).toEqual([['MISSING_IN_LEDGER', p1.id, 1, '50.00']]);
  });

  it('a page arriving in a later file checks the day again: one balance check per account-day, on its last page so far', async () => {
    const a = await account();
    const fee = await a.credit('7.00');
    // Page 1 comes alone, its opening of 5.00 explained by nothing: checked as the day's last page so far.
    const [p1] = await a.upload(TODAY, [{ opening: '5.00', closing: '5.00', lines: [] }], { no: 77, last: false });
    expect(await runOf(p1.id)).toMatchObject({ status: 'broken', residual: '5.00' });
    const [p2] = await a.upload(TODAY, [{ opening: '5.00', closing: '12.00', lines: [{ amount: '7.00', dir: 'C', ref: fee.txn }] }], { no: 77, firstPage: 2 });
    expect(await runOf(p2.id)).toMatchObject({ status: 'broken', matched_lines: 1, residual: '5.00', bank_closing: '12.00' });
    // The day's break stands once, on the later check; the earlier one is superseded by it (not counted twice, nor cancelled).
    const breaks = (await a.exceptions()).filter((x) => x.type === 'BALANCE_BREAK');
    expect(breaks.map((x) => [x.statement_id, x.state, x.effect])).toEqual(expect.arrayContaining([[p1.id, 'resolved', '5.00'], [p2.id, 'open', '5.00']]));
    expect(breaks).toHaveLength(2);
    expect((await a.detail(breaks.find((x) => x.statement_id === p1.id)!.id)).resolutions.map((r: { action: string }) => r.action)).toEqual(['superseded']);
    expect(await dayOf(a.id)).toMatchObject({ status: 'broken', statement_id: p2.id, bank_closing: '12.00', open_exceptions: 1 });
  });

  it('undoing the match that settled a record missing at the bank leaves both sides explained, not a balance break', async () => {
    const a = await account();
    const TOMORROW = addDays(TODAY, 1);
    const old = await a.credit('15.00', { valueDate: addDays(TODAY, -10) });
    const [s1] = await a.upload(TODAY, [{ opening: '0.00', closing: '0.00', lines: [] }]);
    expect(await runOf(s1.id)).toMatchObject({ status: 'broken', residual: '0.00' });
    const [s2] = await a.upload(TOMORROW, [{ opening: '0.00', closing: '15.00', lines: [{ amount: '15.00', dir: 'C', ref: old.txn }] }]);
    expect(await runOf(s2.id)).toMatchObject({ status: 'reconciled', matched_lines: 1, residual: '0.00' });
    const [mab] = await a.exceptions();
    expect(mab).toMatchObject({ type: 'MISSING_AT_BANK', state: 'resolved', record_id: old.id });
    const auto = (await a.detail(mab.id)).resolutions[0];
    expect(auto.action).toBe('auto_match');

    const undo = await a.resolve(mab.id, { action: 'reversal', reason: '银行流水不是这笔', resolutionId: auto.id });
    expect(undo.status).toBe(201);
    // The record is missing at the bank again and the bank line it had taken is missing in the ledger: −15 + 15.
    expect((await a.exceptions()).map((x) => [x.type, x.state, x.effect, x.statement_id, x.line, x.business_date])).toEqual([
      ['MISSING_AT_BANK', 'open', '-15.00', null, null, TODAY],
      ['MISSING_IN_LEDGER', 'open', '15.00', s2.id, 1, TOMORROW],
    ]);
    expect(await dayOf(a.id, TOMORROW)).toMatchObject({ status: 'broken', open_exceptions: 1 });
    expect(await activeMatches(a.id)).toEqual([]);
  });

  it('undoing the auto match of a line missing in the ledger raises the record missing at the bank when it is older than the window', async () => {
    const a = await account();
    const [s1] = await a.upload(YESTERDAY, [{ opening: '0.00', closing: '40.00', lines: [{ amount: '40.00', dir: 'C', ref: 'LATE-40' }] }]);
    expect(await runOf(s1.id)).toMatchObject({ status: 'broken', exceptions: 1 });
    const late = await a.credit('40.00', { txn: 'LATE-40', valueDate: addDays(TODAY, -10) });
    const [s2] = await a.upload(TODAY, [{ opening: '40.00', closing: '40.00', lines: [] }]);
    expect(await runOf(s2.id)).toMatchObject({ status: 'reconciled', matched_lines: 1 });
    const [mil] = await a.exceptions();
    const auto = (await a.detail(mil.id)).resolutions[0];
    expect((await a.resolve(mil.id, { action: 'reversal', reason: '不是同一笔', resolutionId: auto.id })).status).toBe(201);
    const state = async () => (await a.exceptions()).map((x) => [x.type, x.state, x.effect, x.record_id, x.business_date]);
    const expected = [
      ['MISSING_AT_BANK', 'open', '-40.00', late.id, YESTERDAY],
      ['MISSING_IN_LEDGER', 'open', '40.00', null, YESTERDAY],
    ];
    expect(await state()).toEqual(expected);
    // The next statement's run neither matches the pair a person undid again nor finds a balance break.
    const [s3] = await a.upload(addDays(TODAY, 1), [{ opening: '40.00', closing: '40.00', lines: [] }]);
    expect(await runOf(s3.id)).toMatchObject({ matched_lines: 0, residual: '0.00' });
    expect(await state()).toEqual(expected);
    expect(await activeMatches(a.id)).toEqual([]);
  });

  it('an adjustment whose approval was reversed is not a record a line can be matched with any more', async () => {
    const a = await account();
    const [st] = await a.upload(TODAY, [{ opening: '0.00', closing: '50.00', lines: [{ amount: '50.00', dir: 'C', ref: 'BANK-EXTRA' }] }]);
    await runOf(st.id);
    const [x] = await a.exceptions();
    const proposed = await a.resolve(x.id, { action: 'adjustment', reason: '银行多入账' });
    expect(proposed.status).toBe(201);
    const adjustmentId = proposed.body.adjustment.id;
    expect((await t.request('POST', `/reconciliation/adjustments/${adjustmentId}/approve`, { key: a.s.r2, body: { reason: '复核同意' } })).status).toBe(200);
    const approved = (await a.detail(x.id)).resolutions.find((r: { action: string }) => r.action === 'adjustment');
    expect((await a.resolve(x.id, { action: 'reversal', reason: '调整有误', resolutionId: approved.id })).status).toBe(201);
    const again = await a.resolve(x.id, { action: 'manual_match', reason: '再配一次', source: 'adjustment', recordId: adjustmentId });
    expect([again.status, again.body.error?.code]).toEqual([422, 'RESOLUTION_NOT_APPLICABLE']);
    expect((await a.detail(x.id)).state).toBe('open');
    expect(await activeMatches(a.id)).toEqual([]);
  });

  it('a match by hand and a statement run of the same account take turns: one match, no 500', async () => {
    const setups = [];
    for (const n of [1, 2, 3]) {
      const a = await account();
      const [s1] = await a.upload(YESTERDAY, [{ opening: '0.00', closing: '40.00', lines: [{ amount: '40.00', dir: 'C', ref: `RACE-${n}-${seq}` }] }]);
      await runOf(s1.id);
      const [mil] = await a.exceptions();
      const record = await a.credit('40.00', { txn: `RACE-${n}-${seq}-OTHER`, valueDate: YESTERDAY }); // by amount and date only
      const [s2] = await a.upload(TODAY, [{ opening: '40.00', closing: '40.00', lines: [] }]);
      setups.push({ a, mil, record, s2 });
    }
    // The run (retrying yesterday's line) and the person both want the same line and record, on three accounts at once.
    const races = await Promise.all(
      setups.map(async (x) => {
        const [byHand, run] = await Promise.all([x.a.resolve(x.mil.id, { action: 'manual_match', reason: '同一笔', source: 'credit', recordId: x.record.id }), engine.reconcileStatement(x.s2.id)]);
        return { ...x, byHand, run };
      }),
    );
    for (const { a, mil, record, byHand, run } of races) {
      expect([201, 409]).toContain(byHand.status);
      expect(run.status).toMatch(/^reconciled/);
      expect((await activeMatches(a.id)).map((x) => [x.line, x.record_id])).toEqual([[1, record.id]]);
      expect((await a.detail(mil.id)).state).toBe('resolved');
    }
  });
});
