import { chinaDate, Clock } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { BanksService } from '@modules/banks/banks.service';
import { CalendarService } from '@modules/calendar/calendar.service';
import { school } from '../support/contract-fixtures';
import { camtDocument, camtStatement } from '../support/statement-fixtures';
import { eventually, startTestApp, TestApp, TestResponse } from '../support/test-app';
import { signedBy } from '../support/bank-signing';

/**
 * The reconciliation API (issue 13): the district summary, exception lists, every resolution a
 * person may make (a match by hand, a timing difference, an adjustment two different people
 * agree on, an unnotified credit applied through the credit path, a reversal that keeps the
 * history), scope, the escrow audit's last reconciled day, and bad input.
 *
 * One escrow account, one statement of Monday 2026-11-23 with five lines: a credit the bank
 * notified (matched by reference) and four nobody recorded (MISSING_IN_LEDGER), each resolved
 * in its own way. A second institution of the district delivers no statement (missing).
 */

const D = '2026-11-23';

describe('reconciliation API', () => {
  let t: TestApp;
  let s: Awaited<ReturnType<typeof school>>;
  let bank: { key: string; secret: string };
  let other: Awaited<ReturnType<typeof school>>;
  let pudong: string;
  let admin2: string;
  let statementId: string;
  let contract2: { id: string; reference: string };
  /** exception id by the line's reference */
  const byRef: Record<string, string> = {};
  let seq = 0;

  const signed = (body: string) => signedBy(bank.secret, body, `recon-${++seq}`);
  const credit = async (bankTransactionId: string, amount: string, payerReference?: string, valueDate = D) => {
    const payload = JSON.stringify({ bankTransactionId, escrowAccountNumber: s.escrow.accountNumber, amount, currency: 'CNY', valueDate, payerReference });
    const res = await t.request('POST', '/bank/credits', { key: bank.key, rawBody: payload, headers: signed(payload) });
    expect(res.status).toBe(201);
    return res.body.creditId as string;
  };
  const resolve = (id: string, body: Record<string, unknown>, key: string = s.r1, headers?: Record<string, string>) =>
    t.request('POST', `/reconciliation/exceptions/${id}/resolutions`, { key, body, headers });
  const detail = async (id: string, key: string = s.r1) => (await t.request('GET', `/reconciliation/exceptions/${id}`, { key })).body;
  const dayOf = async (escrowAccountId: string) =>
    (await t.request('GET', `/reconciliation/districts/310117?date=${D}`, { key: s.r1 })).body.accounts.find((a: { escrowAccountId: string }) => a.escrowAccountId === escrowAccountId);
  const expectError = (res: TestResponse, status: number, code: string) => expect([res.status, res.body?.error?.code]).toEqual([status, code]);

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '100000' } });
    const clock = t.app.get(Clock);
    clock.travelTo(new Date('2026-11-22T04:00:00Z'));
    s = await school(t);
    other = await school(t);
    bank = { key: await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' }), secret: (await t.app.get(BanksService).deliveryTarget('ICBC-SH'))!.secrets[0] };
    pudong = await t.createKey({ role: 'regulator', districts: ['310115'] });
    admin2 = await t.createKey({ role: 'admin' });
    const c1 = await s.contract(10, '1000.00', undefined, false);
    contract2 = await s.contract(2, '200.00', undefined, false);
    await credit('C1-REF', '1000.00', c1.reference);
    clock.travelTo(new Date('2026-11-24T02:00:00Z'));

    const file = camtDocument([
      camtStatement({
        id: 'RECON-API-1',
        account: s.escrow.accountNumber,
        day: D,
        opening: '0.00',
        closing: '1270.00',
        entries: [
          { amount: '1000.00', dir: 'CRDT', ref: 'C1-REF' },
          { amount: '200.00', dir: 'CRDT', ref: 'UN-200', e2e: contract2.reference },
          { amount: '50.00', dir: 'CRDT', ref: 'X-50' },
          { amount: '30.00', dir: 'CRDT', ref: 'LATE-30' },
          { amount: '10.00', dir: 'DBIT', ref: 'FEE-10' },
        ],
      }),
    ]);
    const upload = await t.request('POST', '/bank/statements', { key: bank.key, rawBody: file, headers: { 'content-type': 'application/xml', ...signed(file) } });
    expect(upload.status).toBe(201);
    statementId = upload.body.statements[0].id;
    await eventually(async () => (await t.request('GET', `/reconciliation/runs/${statementId}`, { key: s.r1 })).status === 200, 30_000);
    const rows = await t.db.query<{ id: string; line: number }>(`SELECT id, line FROM reconciliation_exceptions WHERE statement_id = $1 AND type = 'MISSING_IN_LEDGER'`, [statementId]);
    const refs = ['C1-REF', 'UN-200', 'X-50', 'LATE-30', 'FEE-10'];
    for (const r of rows) byRef[refs[r.line - 1]] = r.id;
  }, 180_000);
  afterAll(() => t.close());

  it('shows the run, the day broken in the district summary, and the other account missing', async () => {
    const run = await t.request('GET', `/reconciliation/runs/${statementId}`, { key: s.r1 });
    expect(run.body).toMatchObject({ statementId, escrowAccountId: s.escrow.id, businessDate: D, status: 'broken', bankClosing: '1270.00', matchedLines: 1 });
    expect(Object.keys(byRef).sort()).toEqual(['FEE-10', 'LATE-30', 'UN-200', 'X-50']);

    const summary = await t.request('GET', `/reconciliation/districts/310117?date=${D}`, { key: s.r1 });
    expect(summary.status).toBe(200);
    expect(summary.body.totals).toEqual({
      reconciled: { accounts: 0, bankClosing: {} },
      reconciled_in_transit: { accounts: 0, bankClosing: {} },
      broken: { accounts: 1, bankClosing: { CNY: '1270.00' } },
      missing: { accounts: 1, bankClosing: {} },
    });
    expect(summary.body.accounts.map((a: { escrowAccountId: string; status: string }) => [a.escrowAccountId, a.status])).toEqual([
      [s.escrow.id, 'broken'],
      [other.escrow.id, 'missing'],
    ]);
    expect(summary.body.accounts[0]).toMatchObject({ institutionId: s.inst.id, bankCode: 'ICBC-SH', currency: 'CNY', bankClosing: '1270.00', openExceptions: 4, statementId });
    expect(summary.body.accounts[1]).toMatchObject({ bankClosing: null, ledgerBalance: null, openExceptions: 0, statementId: null });
    // The city code covers the district; a day with nothing shows every account missing.
    expect((await t.request('GET', `/reconciliation/districts/310100?date=${D}`)).body.totals.broken.accounts).toBe(1);
    expect((await t.request('GET', '/reconciliation/districts/310117?date=2026-11-20', { key: s.r1 })).body.totals.missing.accounts).toBe(2);
  });

  it('lists exceptions with filters and keyset pages', async () => {
    const all = await t.request('GET', `/reconciliation/exceptions?escrowAccountId=${s.escrow.id}&state=open&type=MISSING_IN_LEDGER&date=${D}`, { key: s.r1 });
    expect(all.status).toBe(200);
    expect(all.body.items.map((x: { id: string }) => x.id).sort()).toEqual(Object.values(byRef).sort());
    const fee = all.body.items.find((x: { id: string }) => x.id === byRef['FEE-10']);
    expect(fee).toMatchObject({ type: 'MISSING_IN_LEDGER', state: 'open', districtCode: '310117', businessDate: D, amount: '10.00', effect: '-10.00', currency: 'CNY', statementId, line: 5, ageDays: 1 });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: TestResponse = await t.request('GET', `/reconciliation/exceptions?districtCode=310117&limit=3${cursor ? `&cursor=${cursor}` : ''}`, { key: s.r1 });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((x: { id: string }) => x.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const total = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM reconciliation_exceptions WHERE district_code = '310117'`);
    expect(seen).toHaveLength(total[0].n);
    expect((await t.request('GET', `/reconciliation/exceptions?type=STATEMENT_GAP&escrowAccountId=${s.escrow.id}`, { key: s.r1 })).body.items).toEqual([]);
    expect((await t.request('GET', '/reconciliation/exceptions?state=resolved&date=2026-11-20', { key: s.r1 })).body).toEqual({ items: [], nextCursor: null });
  });

  it('keeps other districts, banks and institutions out', async () => {
    const id = byRef['X-50'];
    expectError(await t.request('GET', `/reconciliation/exceptions/${id}`, { key: pudong }), 404, 'RECONCILIATION_EXCEPTION_NOT_FOUND');
    expectError(await resolve(id, { action: 'timing_difference', reason: '不是我的辖区' }, pudong), 404, 'RECONCILIATION_EXCEPTION_NOT_FOUND');
    expectError(await t.request('GET', `/reconciliation/districts/310117?date=${D}`, { key: pudong }), 404, 'DISTRICT_NOT_FOUND');
    expectError(await t.request('GET', `/reconciliation/runs/${statementId}`, { key: pudong }), 404, 'STATEMENT_NOT_FOUND');
    expectError(await t.request('GET', '/reconciliation/exceptions?districtCode=310117', { key: pudong }), 404, 'DISTRICT_NOT_FOUND');
    expect((await t.request('GET', '/reconciliation/exceptions', { key: pudong })).body.items).toEqual([]);
    for (const key of [bank.key, s.instKey]) {
      expect((await t.request('GET', `/reconciliation/exceptions/${id}`, { key })).status).toBe(403);
      expect((await t.request('GET', '/reconciliation/exceptions', { key })).status).toBe(403);
      expect((await resolve(id, { action: 'timing_difference', reason: 'bank' }, key)).status).toBe(403);
    }
    expect((await t.request('GET', `/reconciliation/exceptions/${id}`, { key: s.r1 })).body.state).toBe('open');
  });

  it('refuses bad input with a 4xx', async () => {
    const id = byRef['X-50'];
    expectError(await t.request('GET', '/reconciliation/districts/310117?date=2026-02-30', { key: s.r1 }), 400, 'VALIDATION_FAILED');
    expectError(await t.request('GET', '/reconciliation/districts/31011x', { key: s.r1 }), 400, 'INVALID_DISTRICT_CODE');
    expectError(await t.request('GET', '/reconciliation/exceptions?date=2026-13-01', { key: s.r1 }), 400, 'VALIDATION_FAILED');
    expectError(await t.request('GET', '/reconciliation/exceptions?type=BROKEN', { key: s.r1 }), 400, 'VALIDATION_FAILED');
    expectError(await t.request('GET', '/reconciliation/exceptions?cursor=!!!', { key: s.r1 }), 400, 'INVALID_CURSOR');
    expectError(await resolve(id, { action: 'explode', reason: 'x y' }), 400, 'VALIDATION_FAILED');
    expectError(await resolve(id, { action: 'timing_difference' }), 400, 'VALIDATION_FAILED');
    expectError(await resolve(id, { action: 'reversal', reason: 'no target' }), 400, 'VALIDATION_FAILED');
    expectError(await resolve(id, { action: 'manual_match', reason: 'nothing named' }), 400, 'VALIDATION_FAILED');
    expectError(await resolve('6f1c1a52-8c3b-4a35-a2cf-0d6bbf0f6d36', { action: 'timing_difference', reason: 'unknown' }), 404, 'RECONCILIATION_EXCEPTION_NOT_FOUND');
    expectError(await t.request('GET', '/reconciliation/runs/6f1c1a52-8c3b-4a35-a2cf-0d6bbf0f6d36', { key: s.r1 }), 404, 'STATEMENT_NOT_FOUND');
    expectError(await t.request('POST', '/reconciliation/adjustments/6f1c1a52-8c3b-4a35-a2cf-0d6bbf0f6d36/approve', { key: s.r2, body: { reason: 'none' } }), 404, 'ADJUSTMENT_NOT_FOUND');
    // A debit is not a credit; a reversal of something that was never resolved is refused.
    expectError(await resolve(byRef['FEE-10'], { action: 'apply_credit', reason: 'not money in' }), 422, 'RESOLUTION_NOT_APPLICABLE');
    expectError(await resolve(id, { action: 'reversal', reason: 'nothing to reverse', resolutionId: '6f1c1a52-8c3b-4a35-a2cf-0d6bbf0f6d36' }), 409, 'INVALID_EXCEPTION_TRANSITION');
  });

  it('accepts a timing difference, with its actor, role and reason', async () => {
    const id = byRef['FEE-10'];
    const res = await resolve(id, { action: 'timing_difference', reason: '手续费次日入账' }, s.r1, { 'idempotency-key': 'fee-10-timing' });
    expect(res.status).toBe(201);
    // Accepted, not resolved: the fee still explains the balance until the ledger records it.
    expect(res.body.exception.state).toBe('accepted');
    expect(res.body.resolution).toMatchObject({ action: 'timing_difference', reason: '手续费次日入账', actorRole: 'regulator', reversesId: null });
    const again = await resolve(id, { action: 'timing_difference', reason: '手续费次日入账' }, s.r1, { 'idempotency-key': 'fee-10-timing' });
    expect([again.status, again.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    expectError(await resolve(id, { action: 'timing_difference', reason: 'twice' }), 409, 'INVALID_EXCEPTION_TRANSITION');
    expect((await detail(id)).resolutions).toHaveLength(1);
  });

  it('matches by hand only the same money, then settles the exception', async () => {
    const id = byRef['LATE-30'];
    const wrong = await credit('NOTICE-31', '31.00');
    expectError(await resolve(id, { action: 'manual_match', reason: 'wrong amount', source: 'credit', recordId: wrong }), 422, 'RESOLUTION_NOT_APPLICABLE');
    const right = await credit('NOTICE-30', '30.00');
    const res = await resolve(id, { action: 'manual_match', reason: '银行流水号不同, 同一笔款', source: 'credit', recordId: right });
    expect(res.status).toBe(201);
    expect(res.body.exception.state).toBe('resolved');
    expect(res.body.resolution.matchGroupId).toEqual(expect.any(String));
    const d = await detail(id);
    expect(d.matches).toEqual([expect.objectContaining({ source: 'credit', recordId: right, statementId, line: 4, method: 'manual', bankAmount: '30.00', recordAmount: '30.00', difference: '0.00', reversedAt: null })]);
    // A line missing in the ledger is paired with a record, not with another line.
    expectError(await resolve(byRef['X-50'], { action: 'manual_match', reason: 'a line', statementId, line: 4 }), 400, 'VALIDATION_FAILED');
  });

  it('applies an unnotified credit through the normal credit path and matches it', async () => {
    const id = byRef['UN-200'];
    const res = await resolve(id, { action: 'apply_credit', reason: '银行未通知的家长缴费' });
    expect(res.status).toBe(201);
    expect(res.body.exception.state).toBe('resolved');
    const creditId = res.body.resolution.creditId;
    const [row] = await t.db.query<{ bank_transaction_id: string; amount: string; outcome: string; contract_id: string }>(
      `SELECT bank_transaction_id, amount::text, outcome, contract_id FROM bank_credits WHERE id = $1`,
      [creditId],
    );
    expect(row).toMatchObject({ amount: '200.00', outcome: 'applied', contract_id: contract2.id });
    expect(['UN-200', 'TX-UN-200']).toContain(row.bank_transaction_id);
    const contract = (await t.request('GET', `/contracts/${contract2.id}`, { key: s.instKey })).body;
    expect(contract).toMatchObject({ amountPaid: '200.00', state: 'active' });
    expect((await detail(id)).matches).toEqual([expect.objectContaining({ source: 'credit', recordId: creditId, line: 2, difference: '0.00' })]);
  });

  it('needs two different people for an adjustment: the API refuses the proposer and so does the database', async () => {
    const id = byRef['X-50'];
    const proposed = await resolve(id, { action: 'adjustment', reason: '银行多入账 50 元, 核对后调整' });
    expect(proposed.status).toBe(201);
    expect(proposed.body.exception.state).toBe('open');
    expect(proposed.body.resolution).toBeNull();
    const adjustment = proposed.body.adjustment;
    expect(adjustment).toMatchObject({ exceptionId: id, amount: '50.00', currency: 'CNY', state: 'proposed', approvedBy: null, ledgerTransactionId: null });
    expectError(await resolve(id, { action: 'adjustment', reason: 'a second one' }, s.r2), 409, 'ADJUSTMENT_PENDING');

    const approve = (key: string, headers?: Record<string, string>) => t.request('POST', `/reconciliation/adjustments/${adjustment.id}/approve`, { key, body: { reason: '复核同意' }, headers });
    expectError(await approve(s.r1), 409, 'ADJUSTMENT_SAME_PERSON');
    await expect(t.db.query(`UPDATE reconciliation_adjustments SET approved_by = proposed_by, approved_at = now() WHERE id = $1`, [adjustment.id])).rejects.toMatchObject({
      code: '23514',
      constraint: 'reconciliation_adjustments_two_people',
    });
    expectError(await approve(pudong), 404, 'ADJUSTMENT_NOT_FOUND');

    // Two different approvers at once: one wins, the other is told it is done.
    const [a, b] = await Promise.all([approve(s.r2), approve(admin2)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const ok = a.status === 200 ? a : b;
    expect(ok.body.exception.state).toBe('resolved');
    expect(ok.body.adjustment).toMatchObject({ state: 'approved', proposedBy: adjustment.proposedBy, ledgerTransactionId: expect.any(String) });
    expect(ok.body.adjustment.approvedBy).not.toBe(adjustment.proposedBy);
    expect(ok.body.resolution).toMatchObject({ action: 'adjustment', adjustmentId: adjustment.id });
    const txn = (await t.request('GET', `/ledger/transactions/${ok.body.adjustment.ledgerTransactionId}`)).body;
    expect(txn.type).toBe('adjustment');
    expect((await detail(id)).matches).toEqual([expect.objectContaining({ source: 'adjustment', recordId: adjustment.id, line: 3, bankAmount: '50.00', recordAmount: '50.00' })]);
  });

  it('counts the day reconciled once every exception is resolved, and the audit shows it', async () => {
    const open = await t.request('GET', `/reconciliation/exceptions?escrowAccountId=${s.escrow.id}&state=open&date=${D}`, { key: s.r1 });
    expect(open.body.items).toEqual([]);
    const summary = (await t.request('GET', `/reconciliation/districts/310117?date=${D}`, { key: s.r1 })).body;
    const mine = summary.accounts.find((a: { escrowAccountId: string }) => a.escrowAccountId === s.escrow.id);
    expect(['reconciled', 'reconciled_in_transit']).toContain(mine.status);
    expect(mine.openExceptions).toBe(0);
    expect(summary.totals[mine.status]).toEqual({ accounts: 1, bankClosing: { CNY: '1270.00' } });

    const audit = (await t.request('GET', '/audit/districts/310117', { key: s.r1 })).body;
    const row = (id: string) => audit.institutions.find((i: { institutionId: string }) => i.institutionId === id);
    expect(row(s.inst.id).lastReconciledDay).toBe(D);
    expect(row(other.inst.id).lastReconciledDay).toBeNull();
    expect((await t.request('GET', `/audit/institutions/${s.inst.id}`, { key: s.r1 })).body.institutions[0].lastReconciledDay).toBe(D);
    expect((await t.request('GET', '/audit/districts/310117?asOf=2026-11-22T12:00:00Z', { key: s.r1 })).body.institutions.every((i: { lastReconciledDay: string | null }) => i.lastReconciledDay === null)).toBe(true);
    const csv = await t.request('GET', '/audit/districts/310117?format=csv', { key: s.r1 });
    expect(csv.text).toContain(`,${D},0,0,0\n`);
  });

  it('reverses a resolution by a new one: the history stays, the exception reopens', async () => {
    const id = byRef['LATE-30'];
    const before = await detail(id);
    const manual = before.resolutions[0];
    const res = await resolve(id, { action: 'reversal', reason: '匹配错误', resolutionId: manual.id }, s.r2);
    expect(res.status).toBe(201);
    expect(res.body.exception.state).toBe('open');
    expect(res.body.resolution).toMatchObject({ action: 'reversal', reversesId: manual.id, matchGroupId: manual.matchGroupId });
    const after = await detail(id);
    expect(after.resolutions.map((r: { action: string }) => r.action)).toEqual(['manual_match', 'reversal']);
    expect(after.resolutions[0].reversedById).toBe(res.body.resolution.id);
    expect(after.matches).toEqual([expect.objectContaining({ groupId: manual.matchGroupId, reversedAt: expect.any(String), reversalReason: expect.stringContaining('匹配错误') })]);
    // Resolved again (differently), it cannot undo the reversed resolution a second time.
    expect((await resolve(id, { action: 'timing_difference', reason: '次日到账' })).status).toBe(201);
    expectError(await resolve(id, { action: 'reversal', reason: 'again', resolutionId: manual.id }), 409, 'RESOLUTION_ALREADY_REVERSED');
    expect((await dayOf(s.escrow.id)).status).toMatch(/^reconciled/);

    // The adjustment's reversal reverses its ledger transaction, and the exception is open again.
    const adj = await detail(byRef['X-50']);
    const approved = adj.resolutions.find((r: { action: string }) => r.action === 'adjustment');
    const undo = await resolve(byRef['X-50'], { action: 'reversal', reason: '调整有误', resolutionId: approved.id });
    expect(undo.status).toBe(201);
    expect(undo.body.exception.state).toBe('open');
    const [reversal] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_transactions WHERE type = 'reversal' AND reverses_id = $1`, [adj.adjustments[0].ledgerTransactionId]);
    expect(reversal.n).toBe(1);
    expect(await dayOf(s.escrow.id)).toMatchObject({ status: 'broken', openExceptions: 1 });
    // Evidence is never edited.
    await expect(t.db.query(`UPDATE reconciliation_resolutions SET reason = 'edited' WHERE id = $1`, [approved.id])).rejects.toThrow(/append-only/);
  });

  it('matches a record the bank never showed with a later line by hand, settling both sides’ exceptions', async () => {
    // A credit valued three working days before the bank books it under its own reference: out of the
    // 2-working-day window, so the run finds the record missing at the bank and the line missing in the
    // ledger. The statement's day is today (real time): the ledger posts at the database's clock, and a
    // record posted after the statement's day would count as in transit instead.
    const wd = await t.app.get(CalendarService).workingDays();
    let later = chinaDate(new Date());
    while (!wd.isWorkday(later)) later = addDaysTo(later, 1);
    let valued = later;
    for (let n = 0; n < 3; ) if (wd.isWorkday((valued = addDaysTo(valued, -1)))) n += 1;
    const notice = await credit('NOTICE-44', '44.00', undefined, valued);
    const file = camtDocument([camtStatement({ id: 'RECON-API-2', account: s.escrow.accountNumber, day: later, opening: '1270.00', closing: '1314.00', entries: [{ amount: '44.00', dir: 'CRDT', ref: 'BANK-44' }] })]);
    const upload = await t.request('POST', '/bank/statements', { key: bank.key, rawBody: file, headers: { 'content-type': 'application/xml', ...signed(file) } });
    const laterId = upload.body.statements[0].id;
    await eventually(async () => (await t.request('GET', `/reconciliation/runs/${laterId}`, { key: s.r1 })).status === 200, 30_000);
    const [atBank] = await t.db.query<{ id: string }>(`SELECT id FROM reconciliation_exceptions WHERE type = 'MISSING_AT_BANK' AND record_id = $1 AND state = 'open'`, [notice]);
    const [inLedger] = await t.db.query<{ id: string }>(`SELECT id FROM reconciliation_exceptions WHERE type = 'MISSING_IN_LEDGER' AND statement_id = $1 AND line = 1 AND state = 'open'`, [laterId]);
    expect([atBank?.id, inLedger?.id]).toEqual([expect.any(String), expect.any(String)]);

    expectError(await resolve(atBank.id, { action: 'manual_match', reason: 'no line named', source: 'credit', recordId: notice }), 400, 'VALIDATION_FAILED');
    const res = await resolve(atBank.id, { action: 'manual_match', reason: '银行记账延迟, 流水号不同', statementId: laterId, line: 1 });
    expect(res.status).toBe(201);
    expect(res.body.exception.state).toBe('resolved');
    const sibling = await detail(inLedger.id);
    expect(sibling.state).toBe('resolved');
    expect(sibling.resolutions).toEqual([expect.objectContaining({ action: 'manual_match', matchGroupId: res.body.resolution.matchGroupId })]);
    expect(sibling.matches).toEqual([expect.objectContaining({ source: 'credit', recordId: notice, statementId: laterId, line: 1, bankDate: later })]);

    // Reversing either side's resolution reopens both.
    const undo = await resolve(inLedger.id, { action: 'reversal', reason: '撤销', resolutionId: sibling.resolutions[0].id });
    expect(undo.status).toBe(201);
    expect((await detail(atBank.id)).state).toBe('open');
    expect((await detail(inLedger.id)).state).toBe('open');
  });
});
