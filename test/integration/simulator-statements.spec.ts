import { chinaDate, Clock } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { Money } from '@common/money/money';
import { jobId, JobName } from '@infra/queues/queue.constants';
import { QueueService } from '@infra/queues/queue.service';
import { CalendarService } from '@modules/calendar/calendar.service';
import { Simulator, startBankSimulator, StatementsSent } from '../../scripts/bank-simulator';
import { BookLine } from '../../scripts/bank-simulator/statement-types';
import { school } from '../support/contract-fixtures';
import { ensureBank } from '../support/register-fixtures';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * CNY statements produced by the bank simulator (issue 13): a real world (contracts paid by the
 * simulator's signed credits, lessons confirmed, releases executed by the simulator), then the
 * day's statements of every escrow account, camt.053 for some and MT940 for others, with faults
 * injected on purpose. They import through the service's own parsers with the book's exact
 * figures, and the reconciliation finds each fault and nothing else.
 */
const DISTRICT = '310117';
const NAMES = ['clean camt', 'clean mt940', 'dropped line', 'doubled line', 'wrong amount', 'skipped', 'inconsistent'] as const;
type Name = (typeof NAMES)[number];

describe('statements written by the bank simulator', () => {
  let t: TestApp;
  let sim: Simulator;
  let day: string;
  const acct: Record<Name, { id: string; number: string; institutionId: string }> = {} as never;
  let camt: StatementsSent;
  let mt940: StatementsSent;

  const lines = (n: Name, direction?: BookLine['direction']): BookLine[] => sim.book.lines(acct[n].number, day).filter((l) => !direction || l.direction === direction);
  const statementOf = (n: Name) => [...camt.response.statements, ...mt940.response.statements].find((s: { accountNumber: string }) => s.accountNumber === acct[n].number);

  beforeAll(async () => {
    t = await startTestApp({ env: { SETTLEMENT_RETRY_DELAYS_MS: '0,100,100', SETTLEMENT_RETRY_JITTER: '0', RECONCILIATION_STATEMENT_CUTOFF: '00:00' } });
    const secret = await ensureBank(t, 'ICBC-SH');
    sim = await startBankSimulator({ port: 0, serviceUrl: t.baseUrl, bankApiKey: await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' }), secret, bankCode: 'ICBC-SH', failureRate: 0, callbackDelayMs: 5 });
    expect((await t.request('PATCH', '/admin/banks/ICBC-SH', { body: { webhookUrl: `${sim.url}/webhooks` } })).status).toBe(200);

    const today = chinaDate(new Date());
    const dates = { startDate: addDaysTo(today, -7), endDate: addDaysTo(today, 60) };
    let session = 0;
    for (const name of NAMES) {
      const s = await school(t);
      acct[name] = { id: s.escrow.id, number: s.escrow.accountNumber, institutionId: s.inst.id };
      const contracts = [await s.contract(3, '301.47', dates, false), await s.contract(3, '250.05', dates, false)];
      for (const [i, c] of contracts.entries()) {
        const paid = await fetch(`${sim.url}/simulate/credits`, {
          method: 'POST',
          body: JSON.stringify({ escrowAccountNumber: s.escrow.accountNumber, amount: i === 0 ? '301.47' : '250.05', payerReference: c.reference, payerAccount: { bank: 'BOC-SH', accountNumber: `621700000000${i}`, accountName: '陈女士' } }),
        });
        expect(paid.status).toBe(201);
      }
      const sessionOf = async (attendees: string[]) =>
        (
          await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
            key: s.instKey,
            body: { sessionKey: `sim-${++session}`, courseId: s.course.id, startsAt: `${addDaysTo(today, -1)}T0${session % 9}:00:00Z`, endsAt: `${addDaysTo(today, -1)}T0${session % 9}:50:00Z`, teacher: '刘', location: '1', attendees },
          })
        ).body.lessons as { id: string; contractId: string }[];
      const lessons = [...(await sessionOf(contracts.map((c) => c.id))), ...(await sessionOf([contracts[0].id]))];
      for (const l of lessons) {
        const token = contracts.find((c) => c.id === l.contractId)!.payerToken;
        expect((await t.request('POST', `/payer/lessons/${l.id}/confirm`, { key: null, headers: { 'payer-token': token } })).body.release).toBe('released');
      }
    }
    // 3 releases per account (100.49, 83.35, 100.49), executed by the simulator and called back.
    await eventually(async () => sim.stats.executed === NAMES.length * 3, 60_000);
    day = chinaDate(new Date());
    const days = new Set(NAMES.flatMap((n) => sim.book.lines(acct[n].number, day).map((l) => l.bookingDate)));
    if (days.size !== 1 || sim.book.accountNumbers().some((a) => sim.book.lines(a, day).length !== 5)) throw new Error('the world was booked across China midnight: run the test again');

    const firstRelease = (n: Name) => lines(n, 'DBIT')[0].endToEndRef!;
    camt = await sim.sendStatements({
      date: day,
      format: 'camt053',
      accounts: (['clean camt', 'dropped line', 'wrong amount', 'inconsistent'] as Name[]).map((n) => acct[n].number),
      faults: [
        { type: 'drop-line', account: acct['dropped line'].number, reference: firstRelease('dropped line') },
        { type: 'change-amount', account: acct['wrong amount'].number, reference: firstRelease('wrong amount') },
        { type: 'drop-line', account: acct.inconsistent.number, reference: firstRelease('inconsistent'), keepClosing: true },
      ],
    });
    mt940 = await sim.sendStatements({
      date: day,
      format: 'mt940',
      accounts: (['clean mt940', 'doubled line', 'skipped'] as Name[]).map((n) => acct[n].number),
      faults: [
        { type: 'double-line', account: acct['doubled line'].number, line: 1 },
        { type: 'skip-statement', account: acct.skipped.number },
      ],
    });
  }, 300_000);

  afterAll(async () => {
    await sim?.close();
    await t?.close();
  });

  it('imports the camt.053 and MT940 files with the book’s exact figures, and the clean closings are the ledger’s bank cash', async () => {
    expect([camt.status, camt.response.format, camt.response.statements.length]).toEqual([201, 'camt053', 4]);
    expect([mt940.status, mt940.response.format, mt940.response.statements.length]).toEqual([201, 'mt940', 2]); // one statement skipped
    expect(mt940.statements.find((s) => s.accountNumber === acct.skipped.number)).toMatchObject({ skipped: true, sequence: 1 });
    expect(statementOf('skipped')).toBeUndefined();

    const audit = (await t.request('GET', `/audit/districts/${DISTRICT}`)).body.institutions as { institutionId: string; bankCash: string }[];
    for (const name of NAMES.filter((n) => n !== 'skipped')) {
      const sent = [...camt.statements, ...mt940.statements].find((s) => s.accountNumber === acct[name].number)!;
      const stored = (await t.request('GET', `/bank/statements/${statementOf(name).id}`)).body;
      expect({ name, ...stored }).toMatchObject({
        name,
        escrowAccountId: acct[name].id,
        currency: 'CNY',
        statementDate: day,
        sequence: '1',
        openingBalance: '0.00',
        closingBalance: sent.closing,
        credits: sent.credits,
        debits: sent.debits,
        entries: sent.entries,
        consistent: name !== 'inconsistent',
        flag: name === 'inconsistent' ? 'STATEMENT_INCONSISTENT' : null,
      });
      if (name === 'clean camt' || name === 'clean mt940') {
        expect([stored.credits, stored.debits, stored.closingBalance, stored.entries]).toEqual(['551.52', '284.33', '267.19', 5]);
        expect(audit.find((i) => i.institutionId === acct[name].institutionId)!.bankCash).toBe('267.19');
        // Every line carries the platform's references: bank transaction ids, and the instruction's end-to-end ref on each release.
        const movements = await t.db.query<{ end_to_end_ref: string; bank_transaction_id: string; amount: string }>(
          `SELECT end_to_end_ref, bank_transaction_id, amount::text FROM settlement_instructions WHERE escrow_account_id = $1 AND state = 'executed' ORDER BY end_to_end_ref`,
          [acct[name].id],
        );
        const credits = await t.db.query<{ bank_transaction_id: string; amount: string }>(`SELECT bank_transaction_id, amount::text FROM bank_credits WHERE escrow_account_id = $1 ORDER BY bank_transaction_id`, [acct[name].id]);
        const e2e = (e: { endToEndId: string | null; customerReference: string | null }) => (stored.format === 'camt053' ? e.endToEndId : e.customerReference);
        const entries = stored.entryPage as { direction: string; amount: string; bankReference: string; endToEndId: string | null; customerReference: string | null }[];
        expect(entries.filter((e) => e.direction === 'DBIT').map((e) => ({ end_to_end_ref: e2e(e), bank_transaction_id: e.bankReference, amount: e.amount })).sort((a, b) => a.end_to_end_ref!.localeCompare(b.end_to_end_ref!))).toEqual(movements);
        expect(entries.filter((e) => e.direction === 'CRDT').map((e) => ({ bank_transaction_id: e.bankReference, amount: e.amount })).sort((a, b) => a.bank_transaction_id.localeCompare(b.bank_transaction_id))).toEqual(credits);
      }
    }
    expect((await t.request('GET', `/bank/statements/${statementOf('doubled line').id}`)).body).toMatchObject({ entries: 6, credits: '852.99', closingBalance: '568.66', consistent: true });
    const notWritten = lines('inconsistent', 'DBIT')[0].amount; // dropped, while the closing stays the true one
    expect((await t.request('GET', `/bank/statements/${statementOf('inconsistent').id}`)).body).toMatchObject({ closingBalance: '267.19', computedClosing: Money.fromDb('267.19').plus(Money.fromDb(notWritten)).toString() });
  });

  /** Reconciliation (RECON-SPEC): each imported statement is reconciled by a queued job. */
  const reconciled = async () => {
    for (const s of [...camt.response.statements, ...mt940.response.statements]) {
      await eventually(async () => (await t.request('GET', `/reconciliation/runs/${s.id}`)).status === 200, 60_000);
    }
  };
  const exceptionsOf = async (query: string) => (await t.request('GET', `/reconciliation/exceptions?districtCode=${DISTRICT}&limit=100&${query}`)).body.items as Record<string, any>[];

  it('reconciles the clean days, and finds exactly the injected faults: in transit, duplicate, amount mismatch, inconsistent, missing', async () => {
    await reconciled();
    const summary = (await t.request('GET', `/reconciliation/districts/${DISTRICT}?date=${day}`)).body;
    const of = (n: Name) => summary.accounts.find((a: { escrowAccountId: string }) => a.escrowAccountId === acct[n].id);
    const dropped = lines('dropped line', 'DBIT')[0];
    expect(of('clean camt')).toMatchObject({ status: 'reconciled', bankClosing: '267.19', ledgerBalance: '267.19', difference: '0.00', openExceptions: 0 });
    expect(of('clean mt940')).toMatchObject({ status: 'reconciled', bankClosing: '267.19', ledgerBalance: '267.19', difference: '0.00', openExceptions: 0 });
    // A line the bank has not booked yet is in transit until the window closes (then MISSING_AT_BANK).
    expect(of('dropped line')).toMatchObject({ status: 'reconciled_in_transit', inTransit: `-${dropped.amount}`, openExceptions: 0 });
    expect(of('doubled line')).toMatchObject({ status: 'broken', openExceptions: 1 });
    expect(of('wrong amount')).toMatchObject({ status: 'broken', openExceptions: 1 });
    expect(of('inconsistent')).toMatchObject({ status: 'broken', openExceptions: 1 });
    expect(of('skipped')).toMatchObject({ status: 'missing', bankClosing: null });
    expect(summary.totals).toMatchObject({ reconciled: { accounts: 2 }, reconciled_in_transit: { accounts: 1 }, broken: { accounts: 3 }, missing: { accounts: 1 } });

    const found = await exceptionsOf(`date=${day}`);
    const byType = (type: string) => found.filter((e) => e.type === type);
    expect(found.map((e) => [e.type, e.escrowAccountId]).sort()).toEqual(
      [
        ['AMOUNT_MISMATCH', acct['wrong amount'].id],
        ['DUPLICATE_AT_BANK', acct['doubled line'].id],
        ['STATEMENT_INCONSISTENT', acct.inconsistent.id],
      ].sort(),
    );
    const doubled = lines('doubled line')[0];
    expect(byType('DUPLICATE_AT_BANK')[0]).toMatchObject({ state: 'open', amount: doubled.amount, effect: doubled.amount, currency: 'CNY', statementId: statementOf('doubled line').id, line: 2 });
    const changed = lines('wrong amount', 'DBIT')[0];
    const [movement] = await t.db.query<{ id: string }>(`SELECT id FROM settlement_instructions WHERE end_to_end_ref = $1`, [changed.endToEndRef]);
    expect(byType('AMOUNT_MISMATCH')[0]).toMatchObject({ state: 'open', effect: '-1.00', source: 'movement', recordId: movement.id, statementId: statementOf('wrong amount').id });
    expect(byType('STATEMENT_INCONSISTENT')[0]).toMatchObject({ state: 'open', statementId: statementOf('inconsistent').id });
  });

  it('the scheduled statement check raises STATEMENT_MISSING for the skipped statement only', async () => {
    await reconciled();
    const workingDays = await t.app.get(CalendarService).workingDays();
    // The check looks at the working day before `today`; a weekend statement day is not expected.
    if (!workingDays.isWorkday(day)) return;
    // The next working day, after the cut-off (the check refuses a day that has not come yet).
    const next = workingDays.add(day, 1);
    const clock = t.app.get(Clock);
    clock.travelTo(new Date(`${next}T04:00:00Z`));
    let missing: Record<string, any>[];
    try {
      await t.app.get(QueueService).add(JobName.StatementCheck, { today: next }, jobId('test-statement-check', next));
      missing = await eventually(async () => {
        const items = await exceptionsOf(`date=${day}&type=STATEMENT_MISSING`);
        return items.length ? items : null;
      }, 30_000);
    } finally {
      clock.travelTo(new Date());
    }
    expect(missing.map((e) => e.escrowAccountId)).toEqual([acct.skipped.id]);
    expect((await t.request('GET', `/reconciliation/districts/${DISTRICT}?date=${day}`)).body.accounts.find((a: { escrowAccountId: string }) => a.escrowAccountId === acct.skipped.id)).toMatchObject({ status: 'missing' });
  });

  it('a statement after a day not sent is a STATEMENT_GAP (its sequence jumps)', async () => {
    await reconciled();
    const clean = acct['clean mt940'];
    const skipped = await sim.sendStatements({ date: addDaysTo(day, 1), format: 'mt940', accounts: [clean.number], faults: [{ type: 'skip-statement', account: clean.number }] });
    expect(skipped).toMatchObject({ file: null, status: null, statements: [{ sequence: 2, skipped: true }] });
    const after = await sim.sendStatements({ date: addDaysTo(day, 2), format: 'mt940', accounts: [clean.number] });
    expect(after.status).toBe(201);
    expect(after.response.statements[0]).toMatchObject({ sequence: '3', openingBalance: '267.19', closingBalance: '267.19', entries: 0 });
    const gap = await eventually(async () => {
      const items = await exceptionsOf(`escrowAccountId=${clean.id}&type=STATEMENT_GAP`);
      return items.length ? items : null;
    }, 30_000);
    expect(gap).toEqual([expect.objectContaining({ businessDate: addDaysTo(day, 2), statementId: after.response.statements[0].id })]);
  });
});
