import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { chinaDate, Clock } from '@common/clock';
import { Money } from '@common/money/money';
import { BanksService } from '@modules/banks/banks.service';
import { CalendarService } from '@modules/calendar/calendar.service';
import { MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { ReconciliationEngineService } from '@modules/reconciliation/reconciliation-engine.service';
import { school } from '../support/contract-fixtures';
import { spawnService } from '../support/spawn-service';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import { signedBy } from '../support/bank-signing';

/**
 * Reconciliation of statements against the ledger (issue 13, RECON-SPEC): each exception type made on
 * purpose and found, a clean day, items in transit, a batch booking, reversals, runs repeated, corrected
 * statements, uploads at once, the database's own refusal of double matches, and a worker killed mid-run.
 * The platform's records are made through the real API (bank credits, refunds executed by the bank's
 * callback); statements are uploaded by the bank and reconciled by the real queue.
 */

const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const yymmdd = (d: string) => d.slice(2).replace(/-/g, '');
/** Ledger postings carry the database's real time, so statements are dated by the real China day. */
const TODAY = chinaDate(new Date());
const YESTERDAY = addDays(TODAY, -1);

interface Ntry {
  amount: string;
  dir: 'CRDT' | 'DBIT';
  ref?: string;
  e2e?: string;
  /** A batch booking: one transaction detail per instruction. */
  details?: { e2e: string; amount: string }[];
  valueDate?: string;
}

function camt(o: { id: string; account: string; day: string; opening: string; closing: string; seq?: string; entries: Ntry[] }): string {
  const bal = (code: string, amount: string) => {
    const dir = amount.startsWith('-') ? 'DBIT' : 'CRDT';
    return `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">${amount.replace('-', '')}</Amt><CdtDbtInd>${dir}</CdtDbtInd><Dt><Dt>${o.day}</Dt></Dt></Bal>`;
  };
  const tx = (e2e: string, amount?: string) => `<TxDtls><Refs><EndToEndId>${e2e}</EndToEndId></Refs>${amount ? `<Amt Ccy="CNY">${amount}</Amt>` : ''}</TxDtls>`;
  const ntry = (e: Ntry) =>
    `<Ntry><Amt Ccy="CNY">${e.amount}</Amt><CdtDbtInd>${e.dir}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>${o.day}</Dt></BookgDt><ValDt><Dt>${e.valueDate ?? o.day}</Dt></ValDt>` +
    `${e.ref ? `<AcctSvcrRef>${e.ref}</AcctSvcrRef>` : ''}<NtryDtls>${e.details ? e.details.map((d) => tx(d.e2e, d.amount)).join('') : tx(e.e2e ?? 'NOTPROVIDED')}</NtryDtls></Ntry>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>${o.id}</MsgId><CreDtTm>${o.day}T18:00:00</CreDtTm></GrpHdr>` +
    `<Stmt><Id>${o.id}</Id><ElctrncSeqNb>${o.seq ?? '1'}</ElctrncSeqNb><Acct><Id><Othr><Id>${o.account}</Id></Othr></Id><Ccy>CNY</Ccy></Acct>${bal('OPBD', o.opening)}${bal('CLBD', o.closing)}\n` +
    `${o.entries.map(ntry).join('\n')}\n</Stmt></BkToCstmrStmt></Document>\n`
  );
}

describe('reconciliation engine', () => {
  let t: TestApp;
  let ds: DataSource;
  let engine: ReconciliationEngineService;
  let bank: { key: string; secret: string };
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '100000', RECONCILIATION_WINDOW_DAYS: '2' } });
    ds = t.app.get<DataSource>(getDataSourceToken());
    engine = t.app.get(ReconciliationEngineService);
    await school(t); // registers ICBC-SH
    bank = { key: await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' }), secret: (await t.app.get(BanksService).deliveryTarget('ICBC-SH'))!.secrets[0] };
  }, 120_000);
  afterAll(() => t.close());

  const signed = (path: string, body: string, contentType = 'application/json') => {
    return t.request('POST', path, { key: bank.key, rawBody: body, headers: { 'content-type': contentType, ...signedBy(bank.secret, body, `recon-${++seq}`) } });
  };

  /** A fresh institution and escrow account (its ledger bank cash starts at zero). */
  const account = async () => {
    const s = await school(t);
    /** A credit notified by the bank (to a contract when `payerReference` names one, else to suspense). */
    const credit = async (amount: string, o: { txn?: string; valueDate?: string; payerReference?: string } = {}) => {
      const txn = o.txn ?? `C${++seq}X${Date.now() % 1e6}`;
      const res = await signed('/bank/credits', JSON.stringify({ bankTransactionId: txn, escrowAccountNumber: s.escrow.accountNumber, amount, currency: 'CNY', valueDate: o.valueDate ?? TODAY, payerReference: o.payerReference ?? 'UNKNOWN-REF' }));
      expect(res.status).toBe(201);
      return { id: res.body.creditId as string, txn };
    };
    /** A contract funded by a credit, and refunds of it executed by the bank's callback: money out of escrow. */
    const refunds = async (funding: string, amounts: string[], fundingTxn?: string) => {
      const c = await s.contract(10, funding, undefined, false);
      const fundingCredit = await credit(funding, { payerReference: c.reference, txn: fundingTxn });
      const out: { id: string; e2e: string; bankTxn: string }[] = [];
      for (const [i, amount] of amounts.entries()) {
        const { movement } = await ds.transaction((m) =>
          t.app.get(MoneyMovementsService).instruct(m, {
            kind: 'refund', escrowAccountId: s.escrow.id, institutionId: s.inst.id, contractId: c.id, amount: Money.parse(amount),
            payee: { bank: 'BOC-SH', accountNumber: '6217000012345678', accountName: '家长' }, sourceRef: `recon-refund-${c.id}-${i}`,
          }),
        );
        const bankTxn = `B${++seq}`;
        const res = await signed('/bank/settlement-results', JSON.stringify({ instructionId: movement.id, status: 'executed', amount, currency: 'CNY', fromAccountNumber: s.escrow.accountNumber, bankTransactionId: bankTxn }));
        expect([res.status, res.body.state]).toEqual([201, 'executed']);
        out.push({ id: movement.id, e2e: movement.end_to_end_ref, bankTxn });
      }
      return { funding: fundingCredit, refunds: out };
    };
    const upload = async (file: string, contentType = 'application/xml') => {
      const res = await signed('/bank/statements', file, contentType);
      expect(res.status).toBe(201);
      return res.body.statements as { id: string; consistent: boolean; supersedesId: string | null }[];
    };
    const statement = (o: Omit<Parameters<typeof camt>[0], 'account' | 'id'> & { id?: string }) => camt({ id: o.id ?? `S${++seq}`, account: s.escrow.accountNumber, ...o });
    return { s, id: s.escrow.id as string, credit, refunds, upload, statement };
  };

  const runOf = (statementId: string) =>
    eventually(async () => (await t.db.query<{ id: string; status: string; matched_lines: number; exceptions: number; residual: string | null; in_transit: string | null }>(`SELECT id, status, matched_lines, exceptions, residual::text, in_transit::text FROM reconciliation_runs WHERE statement_id = $1`, [statementId]))[0], 30000);
  const exceptionsOf = (accountId: string) =>
    t.db.query<{ id: string; type: string; state: string; amount: string; effect: string; line: number | null; bank_reference: string | null; source: string | null; record_id: string | null; platform_reference: string | null; details: any; business_date: string }>(
      `SELECT id, type, state, amount::text, effect::text, line, bank_reference, source, record_id, platform_reference, details, business_date::text FROM reconciliation_exceptions WHERE escrow_account_id = $1 ORDER BY type, line`,
      [accountId],
    );
  const dayOf = async (accountId: string, day = TODAY) =>
    (await t.db.query<{ status: string; bank_closing: string | null; ledger_balance: string | null; in_transit: string | null; difference: string | null; open_exceptions: number }>(
      `SELECT status, bank_closing::text, ledger_balance::text, in_transit::text, difference::text, open_exceptions FROM reconciliation_account_days WHERE escrow_account_id = $1 AND business_date = $2`,
      [accountId, day],
    ))[0];
  const matchesOf = (statementId: string) =>
    t.db.query<{ group_id: string; part: number; parts: number; line: number; source: string; record_id: string; method: string; difference: string; reversed_at: Date | null; reversal_reason: string | null }>(
      `SELECT group_id, part, parts, line, source, record_id, method, difference::text, reversed_at, reversal_reason FROM reconciliation_matches WHERE statement_id = $1 ORDER BY line, part, created_at`,
      [statementId],
    );

  it('a clean day: every line matched by reference, the closing balance equals the ledger, the day reconciled', async () => {
    const a = await account();
    const { funding, refunds } = await a.refunds('300.00', ['50.00']);
    const [st] = await a.upload(a.statement({ day: TODAY, opening: '0.00', closing: '250.00', entries: [{ amount: '300.00', dir: 'CRDT', ref: funding.txn }, { amount: '50.00', dir: 'DBIT', ref: refunds[0].bankTxn, e2e: refunds[0].e2e }] }));
    const run = await runOf(st.id);
    expect(run).toMatchObject({ status: 'reconciled', matched_lines: 2, exceptions: 0, residual: '0.00' });
    expect((await matchesOf(st.id)).map((x) => [x.line, x.source, x.record_id, x.method, x.difference])).toEqual([
      [1, 'credit', funding.id, 'reference', '0.00'],
      [2, 'movement', refunds[0].id, 'reference', '0.00'],
    ]);
    expect(await exceptionsOf(a.id)).toEqual([]);
    expect(await dayOf(a.id)).toEqual({ status: 'reconciled', bank_closing: '250.00', ledger_balance: '250.00', in_transit: '0.00', difference: '0.00', open_exceptions: 0 });
  });

  it('items in transit: a record the bank has not booked yet, inside the window, explains the difference', async () => {
    const a = await account();
    const booked = await a.credit('20.00');
    await a.credit('100.00'); // notified today, not on today's statement
    const [st] = await a.upload(a.statement({ day: TODAY, opening: '0.00', closing: '20.00', entries: [{ amount: '20.00', dir: 'CRDT', ref: booked.txn }] }));
    expect(await runOf(st.id)).toMatchObject({ status: 'reconciled_in_transit', matched_lines: 1, exceptions: 0, residual: '0.00', in_transit: '100.00' });
    expect(await dayOf(a.id)).toMatchObject({ status: 'reconciled_in_transit', bank_closing: '20.00', ledger_balance: '120.00', difference: '-100.00', open_exceptions: 0 });
  });

  it('a bank batch booking of several instructions is one match group of several parts', async () => {
    const a = await account();
    const { funding, refunds } = await a.refunds('200.00', ['10.00', '20.00', '30.00']);
    const [st] = await a.upload(
      a.statement({ day: TODAY, opening: '0.00', closing: '140.00', entries: [{ amount: '200.00', dir: 'CRDT', ref: funding.txn }, { amount: '60.00', dir: 'DBIT', ref: 'BATCH-7', details: refunds.map((r, i) => ({ e2e: r.e2e, amount: ['10.00', '20.00', '30.00'][i] })) }] }),
    );
    expect(await runOf(st.id)).toMatchObject({ status: 'reconciled', matched_lines: 2, exceptions: 0 });
    const batch = (await matchesOf(st.id)).filter((x) => x.line === 2);
    expect(batch.map((x) => [x.part, x.parts, x.record_id, x.method])).toEqual(refunds.map((r, i) => [i + 1, 3, r.id, 'batch']));
    expect(new Set(batch.map((x) => x.group_id)).size).toBe(1);
  });

  it('finds each difference made on purpose: missing in ledger, missing at bank, amount mismatch, duplicate at bank, balance break', async () => {
    const a = await account();
    const { funding, refunds } = await a.refunds('300.00', ['40.00']);
    const old = await a.credit('15.00', { valueDate: addDays(TODAY, -10) }); // the bank never booked it
    // Bank: 0.01 opening nobody explains, the funding credit twice, the refund at 45 instead of 40, a credit the ledger never saw.
    const [st] = await a.upload(
      a.statement({
        day: TODAY, opening: '0.01', closing: '632.01',
        entries: [
          { amount: '300.00', dir: 'CRDT', ref: funding.txn },
          { amount: '300.00', dir: 'CRDT', ref: funding.txn },
          { amount: '45.00', dir: 'DBIT', e2e: refunds[0].e2e },
          { amount: '77.00', dir: 'CRDT', ref: 'NEVER-NOTIFIED' },
        ],
      }),
    );
    const run = await runOf(st.id);
    expect(run).toMatchObject({ status: 'broken', matched_lines: 2, exceptions: 5, residual: '0.01' });
    const found = await exceptionsOf(a.id);
    expect(found.map((x) => [x.type, x.state, x.amount, x.effect, x.line])).toEqual([
      ['AMOUNT_MISMATCH', 'open', '5.00', '-5.00', 3],
      ['BALANCE_BREAK', 'open', '0.01', '0.01', null],
      ['DUPLICATE_AT_BANK', 'open', '300.00', '300.00', 2],
      ['MISSING_AT_BANK', 'open', '15.00', '-15.00', null],
      ['MISSING_IN_LEDGER', 'open', '77.00', '77.00', 4],
    ]);
    const byType = Object.fromEntries(found.map((x) => [x.type, x]));
    expect(byType.AMOUNT_MISMATCH).toMatchObject({ source: 'movement', record_id: refunds[0].id, platform_reference: refunds[0].e2e });
    expect(byType.DUPLICATE_AT_BANK).toMatchObject({ source: 'credit', record_id: funding.id, bank_reference: funding.txn });
    expect(byType.MISSING_AT_BANK).toMatchObject({ source: 'credit', record_id: old.id, platform_reference: old.txn });
    expect(byType.MISSING_IN_LEDGER).toMatchObject({ source: null, bank_reference: 'NEVER-NOTIFIED' });
    // A partial payment is a match with its remaining difference, not a silent full match.
    expect((await matchesOf(st.id)).map((x) => [x.line, x.method, x.difference])).toEqual([
      [1, 'reference', '0.00'],
      [3, 'reference', '-5.00'],
    ]);
    expect(await dayOf(a.id)).toMatchObject({ status: 'broken', open_exceptions: 5 });
    const events = await t.db.query(`SELECT 1 FROM supervision_events WHERE type = 'RECONCILIATION_BREAK' AND dedupe_key = $1`, [`recon-break:${a.id}:${TODAY}`]);
    expect(events).toHaveLength(1);
  });

  it('MT940 reversals: an RC line undoes a credit, is never counted as one, and is missing in the ledger until the ledger reverses it', async () => {
    const a = await account();
    const c = await a.credit('100.00');
    const d = yymmdd(TODAY);
    const file = [`:20:MT-${++seq}`, `:25:${a.s.escrow.accountNumber}`, ':28C:1/1', `:60F:C${d}CNY0,00`, `:61:${d}${d.slice(2)}C100,00NTRF${c.txn}//ICBC-A`, `:86:PAYMENT`, `:61:${d}${d.slice(2)}RC100,00NTRF${c.txn}//ICBC-B`, ':86:RETURN', `:62F:C${d}CNY0,00`, '-'].join('\n');
    const [st] = await a.upload(file, 'text/plain');
    expect(await runOf(st.id)).toMatchObject({ status: 'broken', matched_lines: 1, exceptions: 1, residual: '0.00' });
    const [x] = await exceptionsOf(a.id);
    expect(x).toMatchObject({ type: 'MISSING_IN_LEDGER', line: 2, amount: '100.00', effect: '-100.00', details: { reason: 'reversal', reversal: true, reverses: { source: 'credit', recordId: c.id } } });
  });

  it('a line missing in the ledger one day is matched the next day when the record arrives (its exception resolved by the system)', async () => {
    const a = await account();
    const [first] = await a.upload(a.statement({ day: YESTERDAY, seq: '1', opening: '0.00', closing: '40.00', entries: [{ amount: '40.00', dir: 'CRDT', ref: 'LATE-1', valueDate: YESTERDAY }] }));
    expect(await runOf(first.id)).toMatchObject({ status: 'broken', exceptions: 1 });
    const late = await a.credit('40.00', { txn: 'LATE-1', valueDate: YESTERDAY });
    const [second] = await a.upload(a.statement({ day: TODAY, seq: '2', opening: '40.00', closing: '40.00', entries: [] }));
    expect(await runOf(second.id)).toMatchObject({ status: 'reconciled', matched_lines: 1, exceptions: 0, residual: '0.00' });
    const [x] = await exceptionsOf(a.id);
    expect(x).toMatchObject({ type: 'MISSING_IN_LEDGER', state: 'resolved', business_date: YESTERDAY });
    expect(await t.db.query(`SELECT action, actor FROM reconciliation_resolutions WHERE exception_id = $1`, [x.id])).toEqual([{ action: 'auto_match', actor: 'system' }]);
    expect((await matchesOf(first.id)).map((m) => [m.line, m.record_id, m.reversed_at])).toEqual([[1, late.id, null]]);
    expect(await dayOf(a.id, YESTERDAY)).toMatchObject({ status: 'reconciled', open_exceptions: 0 });
  });

  it('a record notified late with an old value date, not on the statement: missing at the bank, not an unexplained break', async () => {
    const a = await account();
    const [one] = await a.upload(a.statement({ day: YESTERDAY, seq: '1', opening: '0.00', closing: '0.00', entries: [] }));
    await runOf(one.id);
    const late = await a.credit('18.00', { valueDate: addDays(TODAY, -12) });
    const [two] = await a.upload(a.statement({ day: TODAY, seq: '2', opening: '0.00', closing: '0.00', entries: [] }));
    expect(await runOf(two.id)).toMatchObject({ status: 'broken', exceptions: 1, residual: '0.00' });
    expect((await exceptionsOf(a.id)).map((x) => [x.type, x.record_id, x.effect])).toEqual([['MISSING_AT_BANK', late.id, '-18.00']]);
  });

  it('statements of several days in one file are reconciled in their order, whichever job runs first', async () => {
    const a = await account();
    const c = await a.credit('25.00', { valueDate: YESTERDAY });
    const first = a.statement({ day: YESTERDAY, seq: '1', opening: '0.00', closing: '0.00', entries: [] });
    const second = a.statement({ day: TODAY, seq: '2', opening: '0.00', closing: '25.00', entries: [{ amount: '25.00', dir: 'CRDT', ref: c.txn, valueDate: YESTERDAY }] });
    const stmt = (doc: string) => doc.slice(doc.indexOf('<Stmt>'), doc.indexOf('</Stmt>') + '</Stmt>'.length);
    const [y, t2] = await a.upload(first.replace('</Stmt>', `</Stmt>\n${stmt(second)}`));
    // Asked for today's first (as a worker may be): yesterday's is reconciled ahead of it, in the same transaction.
    const run = await engine.reconcileStatement(t2.id);
    expect(run).toMatchObject({ status: 'reconciled', matched_lines: 1, residual: '0.00' });
    const runs = await t.db.query<{ statement_id: string; created_at: Date }>(`SELECT statement_id, created_at FROM reconciliation_runs WHERE statement_id = ANY($1::uuid[]) ORDER BY created_at`, [[y.id, t2.id]]);
    expect(runs.map((r) => r.statement_id)).toEqual(runs[0].created_at.getTime() === runs[1].created_at.getTime() ? expect.arrayContaining([y.id, t2.id]) : [y.id, t2.id]);
    expect(await dayOf(a.id, YESTERDAY)).toMatchObject({ status: 'reconciled', ledger_balance: '0.00' }); // the credit was posted today
  });

  it('statement gap: a sequence number skipped', async () => {
    const a = await account();
    const [one] = await a.upload(a.statement({ day: YESTERDAY, seq: '7', opening: '0.00', closing: '0.00', entries: [] }));
    expect(await runOf(one.id)).toMatchObject({ status: 'reconciled' });
    const [three] = await a.upload(a.statement({ day: TODAY, seq: '9', opening: '0.00', closing: '0.00', entries: [] }));
    expect(await runOf(three.id)).toMatchObject({ status: 'broken', exceptions: 1, residual: '0.00' });
    expect((await exceptionsOf(a.id)).map((x) => [x.type, x.details.previousSequence, x.details.sequence])).toEqual([['STATEMENT_GAP', '7', '9']]);
  });

  it('statement gap: an opening balance that is not the previous closing balance', async () => {
    const a = await account();
    const [one] = await a.upload(a.statement({ day: YESTERDAY, seq: '1', opening: '0.00', closing: '0.00', entries: [] }));
    await runOf(one.id);
    const [two] = await a.upload(a.statement({ day: TODAY, seq: '2', opening: '5.00', closing: '5.00', entries: [] }));
    await runOf(two.id);
    const found = await exceptionsOf(a.id);
    expect(found.map((x) => [x.type, x.amount])).toEqual([
      ['BALANCE_BREAK', '5.00'],
      ['STATEMENT_GAP', '5.00'],
    ]);
  });

  it('statement inconsistent: stored and flagged, not reconciled, the day broken', async () => {
    const a = await account();
    const [st] = await a.upload(a.statement({ day: TODAY, opening: '0.00', closing: '20.00', entries: [{ amount: '10.00', dir: 'CRDT', ref: 'X-1' }] }));
    expect(st.consistent).toBe(false);
    expect(await runOf(st.id)).toMatchObject({ status: 'inconsistent', matched_lines: 0, exceptions: 1 });
    expect((await exceptionsOf(a.id)).map((x) => [x.type, x.amount, x.effect])).toEqual([['STATEMENT_INCONSISTENT', '10.00', '0.00']]);
    expect(await dayOf(a.id)).toMatchObject({ status: 'broken', open_exceptions: 1 });
  });

  it('statement missing: after the cut-off, an account without a statement for the working day; in-transit records age; the late statement resolves it', async () => {
    const a = await account();
    const old = await a.credit('12.00', { valueDate: addDays(TODAY, -20) });
    const wd = await t.app.get(CalendarService).workingDays();
    let day = TODAY;
    while (!wd.isWorkday(day)) day = addDays(day, 1); // accounts are expected from the working day they exist on
    const clock = t.app.get(Clock);
    clock.travelTo(new Date(`${addDays(day, 1)}T09:00:00+08:00`));
    try {
      expect(await engine.statementCheck()).toEqual({ missing: 0, agedOut: 0 }); // before the cut-off (10:00)
      clock.travelTo(new Date(`${addDays(day, 1)}T10:05:00+08:00`));
      const first = await engine.statementCheck();
      expect(first.missing).toBeGreaterThanOrEqual(1);
      expect(await engine.statementCheck()).toEqual({ missing: 0, agedOut: 0 }); // hourly again: nothing new
    } finally {
      clock.travelTo(new Date());
    }
    const found = await exceptionsOf(a.id);
    expect(found.map((x) => [x.type, x.state, x.business_date, x.record_id])).toEqual([
      ['MISSING_AT_BANK', 'open', day, old.id],
      ['STATEMENT_MISSING', 'open', day, null],
    ]);
    expect(await dayOf(a.id, day)).toMatchObject({ status: 'missing', bank_closing: null, open_exceptions: 2 });
    // The statement comes after all: STATEMENT_MISSING resolved by the system; the aged record is still missing at the bank.
    const [st] = await a.upload(a.statement({ day, opening: '0.00', closing: '0.00', entries: [] }));
    await runOf(st.id);
    expect((await exceptionsOf(a.id)).map((x) => [x.type, x.state])).toEqual([
      ['MISSING_AT_BANK', 'open'],
      ['STATEMENT_MISSING', 'resolved'],
    ]);
    expect(await dayOf(a.id, day)).toMatchObject({ status: 'broken', open_exceptions: 1 });
  });

  it('a job run twice (or at once) gives one result', async () => {
    const a = await account();
    const c = await a.credit('33.00');
    const [st] = await a.upload(a.statement({ day: TODAY, opening: '0.00', closing: '33.00', entries: [{ amount: '33.00', dir: 'CRDT', ref: c.txn }] }));
    const runs = await Promise.all([engine.reconcileStatement(st.id), engine.reconcileStatement(st.id), engine.reconcileStatement(st.id)]);
    expect(new Set(runs.map((r) => r.id)).size).toBe(1);
    expect((await runOf(st.id)).id).toBe(runs[0].id);
    expect(await engine.reconcileStatement(st.id)).toMatchObject({ id: runs[0].id, status: 'reconciled' });
    expect(await matchesOf(st.id)).toHaveLength(1);
    expect(await t.db.query(`SELECT 1 FROM reconciliation_runs WHERE statement_id = $1`, [st.id])).toHaveLength(1);
  });

  it('a corrected statement supersedes the first: its matches reversed (kept), its exceptions resolved, reconciled again', async () => {
    const a = await account();
    const c = await a.credit('100.00');
    const [wrong] = await a.upload(a.statement({ id: 'STMT-CORR', day: TODAY, opening: '0.00', closing: '105.00', entries: [{ amount: '100.00', dir: 'CRDT', ref: c.txn }, { amount: '5.00', dir: 'CRDT', ref: 'BANK-ERROR' }] }));
    expect(await runOf(wrong.id)).toMatchObject({ status: 'broken' });
    const [fixed] = await a.upload(a.statement({ id: 'STMT-CORR', day: TODAY, opening: '0.00', closing: '100.00', entries: [{ amount: '100.00', dir: 'CRDT', ref: c.txn }] }));
    expect(fixed.supersedesId).toBe(wrong.id);
    expect(await runOf(fixed.id)).toMatchObject({ status: 'reconciled', matched_lines: 1, exceptions: 0 });
    const old = await matchesOf(wrong.id);
    expect(old.map((x) => [x.record_id, x.reversal_reason])).toEqual([[c.id, `superseded by statement ${fixed.id}`]]);
    expect(old[0].reversed_at).not.toBeNull();
    expect((await matchesOf(fixed.id)).map((x) => [x.record_id, x.reversed_at])).toEqual([[c.id, null]]);
    const [x] = await exceptionsOf(a.id);
    expect(x).toMatchObject({ type: 'MISSING_IN_LEDGER', state: 'resolved' });
    expect(await t.db.query(`SELECT action FROM reconciliation_resolutions WHERE exception_id = $1`, [x.id])).toEqual([{ action: 'superseded' }]);
    expect(await dayOf(a.id)).toMatchObject({ status: 'reconciled', open_exceptions: 0 });
  });

  it('a statement uploaded twice at once is stored and reconciled once', async () => {
    const a = await account();
    const c = await a.credit('9.00');
    const file = a.statement({ day: TODAY, opening: '0.00', closing: '9.00', entries: [{ amount: '9.00', dir: 'CRDT', ref: c.txn }] });
    const answers = await Promise.all(Array.from({ length: 4 }, () => a.upload(file)));
    expect(new Set(answers.map((x) => x[0].id)).size).toBe(1);
    await runOf(answers[0][0].id);
    expect(await t.db.query(`SELECT 1 FROM reconciliation_runs r JOIN bank_statements s ON s.id = r.statement_id WHERE s.escrow_account_id = $1`, [a.id])).toHaveLength(1);
    expect(await t.db.query(`SELECT 1 FROM reconciliation_matches WHERE escrow_account_id = $1`, [a.id])).toHaveLength(1);
  });

  it('the database refuses a second active match of one record or one bank line, and any edit but a reversal', async () => {
    const a = await account();
    const c1 = await a.credit('5.00');
    const c2 = await a.credit('6.00');
    // Line 1 matches c1; line 2 (7.00) matches nothing; c2 stays in transit.
    const [st] = await a.upload(a.statement({ day: TODAY, opening: '0.00', closing: '12.00', entries: [{ amount: '5.00', dir: 'CRDT', ref: c1.txn }, { amount: '7.00', dir: 'CRDT', ref: 'UNMATCHED' }] }));
    await runOf(st.id);
    const insert = (line: number, recordId: string, part = 1, parts = 1) =>
      t.db.query(
        `INSERT INTO reconciliation_matches (group_id, part, parts, escrow_account_id, statement_id, line, bank_date, bank_amount, source, record_id, record_amount, record_posted_at, method)
         VALUES (gen_random_uuid(), $5, $6, $1, $2, $3, $7, 5, 'credit', $4, 5, now(), 'manual')`,
        [a.id, st.id, line, recordId, part, parts, TODAY],
      );
    await expect(insert(2, c1.id)).rejects.toMatchObject({ code: '23505' }); // the record is matched to line 1 already
    await expect(insert(1, c2.id)).rejects.toMatchObject({ code: '23505' }); // line 1 is matched already
    await expect(insert(1, c2.id, 2, 2)).rejects.toMatchObject({ code: '23505' }); // nor as another group's part
    await expect(t.db.query(`UPDATE reconciliation_matches SET record_amount = 6 WHERE statement_id = $1`, [st.id])).rejects.toThrow(/immutable/);
    await expect(t.db.query(`DELETE FROM reconciliation_matches WHERE statement_id = $1`, [st.id])).rejects.toThrow(/append-only/);
    await t.db.query(`UPDATE reconciliation_matches SET reversed_at = now(), reversal_reason = 'test' WHERE statement_id = $1`, [st.id]);
    await expect(t.db.query(`UPDATE reconciliation_matches SET reversed_at = now(), reversal_reason = 'again' WHERE statement_id = $1`, [st.id])).rejects.toThrow(/immutable/);
    await insert(2, c1.id); // once reversed, the record may be matched again (history kept)
    expect(await t.db.query(`SELECT 1 FROM reconciliation_matches WHERE record_id = $1`, [c1.id])).toHaveLength(2);
    // Matching by hand through the engine: the same refusal as a 409.
    await expect(ds.transaction((m) => engine.recordMatch(m, { escrowAccountId: a.id, statementId: st.id, line: 1, parts: [{ source: 'credit', recordId: c1.id }], method: 'manual', resolutionId: null }))).rejects.toMatchObject({ code: 'ALREADY_MATCHED' });
    // Two different people approve an adjustment: the database itself refuses one person.
    const [x] = await exceptionsOf(a.id);
    await expect(
      t.db.query(`INSERT INTO reconciliation_adjustments (exception_id, escrow_account_id, amount, currency, reason, proposed_by, approved_by, approved_at) VALUES ($1, $2, 1, 'CNY', 'r', 'k1', 'k1', now())`, [x.id, a.id]),
    ).rejects.toMatchObject({ code: '23514' });
  });
});

describe('reconciliation when a worker is killed mid-run', () => {
  it('leaves no half result; a fresh worker completes the run exactly once', async () => {
    const t = await startTestApp({ env: { PROCESS_ROLE: 'api', RATE_LIMIT_PER_MINUTE: '100000' } });
    const workerEnv = {
      ...Object.fromEntries(Object.entries(t.env).filter(([k]) => !['PROCESS_ROLE', 'LOG_LEVEL'].includes(k))),
      PROCESS_ROLE: 'worker',
      LOG_LEVEL: 'warn',
      QUEUE_LOCK_DURATION_MS: '2000',
      QUEUE_STALLED_INTERVAL_MS: '1000',
    };
    const slow = spawnService({ ...workerEnv, RECONCILIATION_TEST_DELAY_MS: '60000' });
    let fresh: ReturnType<typeof spawnService> | undefined;
    try {
      await slow.ready;
      const s = await school(t);
      const secret = (await t.app.get(BanksService).deliveryTarget('ICBC-SH'))!.secrets[0];
      const key = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
      const post = (path: string, body: string, id: string) => {
        return t.request('POST', path, { key, rawBody: body, headers: { 'content-type': path.endsWith('statements') ? 'application/xml' : 'application/json', ...signedBy(secret, body, id) } });
      };
      expect((await post('/bank/credits', JSON.stringify({ bankTransactionId: 'KILL-1', escrowAccountNumber: s.escrow.accountNumber, amount: '8.00', currency: 'CNY', valueDate: TODAY, payerReference: 'X' }), 'k1')).status).toBe(201);
      const up = await post('/bank/statements', camt({ id: 'KILL', account: s.escrow.accountNumber, day: TODAY, opening: '0.00', closing: '8.00', entries: [{ amount: '8.00', dir: 'CRDT', ref: 'KILL-1' }] }), 'k2');
      expect(up.status).toBe(201);
      const statementId = up.body.statements[0].id as string;
      // The slow worker is inside the run's transaction (it read the runs table and waits).
      await eventually(
        async () => (await t.db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction' AND query LIKE '%FROM reconciliation_runs WHERE statement_id%'`)).length === 1,
        30000,
        50,
      );
      slow.child.kill('SIGKILL');
      await slow.exited;
      await eventually(async () => (await t.db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`)).length === 0, 10000, 50);
      expect(await t.db.query(`SELECT 1 FROM reconciliation_runs WHERE statement_id = $1`, [statementId])).toEqual([]);
      expect(await t.db.query(`SELECT 1 FROM reconciliation_matches WHERE statement_id = $1`, [statementId])).toEqual([]);

      fresh = spawnService(workerEnv);
      await fresh.ready;
      const run = await eventually(async () => (await t.db.query<{ status: string }>(`SELECT status FROM reconciliation_runs WHERE statement_id = $1`, [statementId]))[0], 60000, 200);
      expect(run.status).toBe('reconciled');
      await new Promise((r) => setTimeout(r, 1500));
      expect(await t.db.query(`SELECT 1 FROM reconciliation_runs WHERE statement_id = $1`, [statementId])).toHaveLength(1);
      expect(await t.db.query(`SELECT 1 FROM reconciliation_matches WHERE statement_id = $1`, [statementId])).toHaveLength(1);
    } finally {
      slow.child.kill('SIGKILL');
      fresh?.child.kill('SIGTERM');
      await fresh?.exited;
      await t.close();
    }
  }, 180_000);
});
