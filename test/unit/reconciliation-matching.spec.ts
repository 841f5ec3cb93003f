import type { ExpectedLine } from '@common/money/expected-line';
import { MONEY_MOVEMENT_KINDS } from '@modules/money-movements/kinds';
import { toBankLine } from '@modules/reconciliation/bank-lines';
import { BankLine, Candidate, fromMinor, matchLines, normaliseRef, pairKey, residual, toMinor, WorkdayDistance } from '@modules/reconciliation/matching';
import type { EntryRow } from '@modules/statements/statements.service';

/** The pure matching rules of reconciliation (RECON-SPEC step 5) and the balance formula (step 7). */

const weekdays = (d: string) => ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay());
// 2026-12-02 is a Wednesday.
const wd = new WorkdayDistance(weekdays, '2026-12-02');
const distance = (a: string, b: string) => wd.distance(a, b);

let n = 0;
const record = (o: Omit<Partial<ExpectedLine>, 'amount'> & { amount: string }, matched = false): Candidate => {
  const expected: ExpectedLine = {
    source: 'movement',
    id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    escrowAccountId: 'acct',
    direction: 'DBIT',
    currency: 'CNY',
    references: [],
    valueDate: '2026-12-02',
    postedAt: new Date('2026-12-02T03:00:00Z'),
    ...o,
  };
  return { expected, amount: toMinor(expected.amount), matched };
};
const line = (o: Omit<Partial<BankLine>, 'amount'> & { amount: string }): BankLine => ({
  statementId: 'st',
  line: ++n,
  statementDate: '2026-12-02',
  direction: 'DBIT',
  date: '2026-12-02',
  reversal: false,
  reference: null,
  refs: [],
  detailRefs: [],
  ...o,
  amount: toMinor(o.amount),
});

describe('reconciliation matching rules', () => {
  it('amounts are exact minor units both ways (no JS number anywhere)', () => {
    expect(toMinor('0.10') + toMinor('0.20')).toBe(toMinor('0.30'));
    expect(fromMinor(toMinor('-1234567890123456.78'))).toBe('-1234567890123456.78');
    expect(fromMinor(toMinor('300'))).toBe('300.00');
    expect(fromMinor(-5n)).toBe('-0.05');
    expect(() => toMinor('1e3')).toThrow();
  });

  it('references are compared trimmed and upper-case; placeholders are no reference', () => {
    expect(normaliseRef(' em0001 ')).toBe('EM0001');
    for (const r of ['NONREF', 'NOTPROVIDED', '', null]) expect(normaliseRef(r)).toBeNull();
  });

  it('working-day distance counts the working days in between (Saturday → Monday is 1) and gives the window', () => {
    expect(distance('2026-12-04', '2026-12-07')).toBe(1); // Fri → Mon
    expect(distance('2026-12-05', '2026-12-07')).toBe(1); // Sat → Mon
    expect(distance('2026-12-02', '2026-12-02')).toBe(0);
    expect(distance('2026-12-07', '2026-12-02')).toBe(3);
    expect(wd.window('2026-12-07', 2)).toEqual({ from: '2026-12-03', to: '2026-12-09' }); // Thu … Wed around a Monday
    expect(wd.window('2026-12-03', 2)).toEqual({ from: '2026-12-01', to: '2026-12-07' }); // the weekend before Monday counts as Friday's
    const holiday = new WorkdayDistance((d) => weekdays(d) && d !== '2026-12-03', '2026-12-01');
    expect(holiday.distance('2026-12-02', '2026-12-04')).toBe(1);
  });

  it('by reference first: equal amount matches, unequal matches with the difference (a partial payment is not a silent full match)', () => {
    const a = record({ amount: '100.00', references: ['EMAAAA'] });
    const b = record({ amount: '50.00', references: ['EMBBBB'] });
    const r = matchLines([line({ amount: '100.00', refs: ['EMAAAA'] }), line({ amount: '40.00', refs: ['EMBBBB'] })], [a, b], distance, 2);
    expect(r.outcomes.map((o) => [o.kind, o.kind === 'match' ? [o.method, fromMinor(o.difference)] : null])).toEqual([
      ['match', ['reference', '0.00']],
      ['match', ['reference', '10.00']], // bank paid out 40 where the ledger says 50: the bank side is 10.00 higher
    ]);
    expect(r.unmatched).toEqual([]);
  });

  it('a reference to a record already matched (earlier, or by a line before) is a duplicate at bank', () => {
    const a = record({ amount: '100.00', references: ['EMAAAA'] });
    const old = record({ amount: '70.00', references: ['EMOLD'] }, true);
    const r = matchLines([line({ amount: '100.00', refs: ['EMAAAA'] }), line({ amount: '100.00', refs: ['EMAAAA'] }), line({ amount: '70.00', refs: ['EMOLD'] })], [a, old], distance, 2);
    expect(r.outcomes.map((o) => o.kind)).toEqual(['match', 'duplicate', 'duplicate']);
  });

  it('then by exact amount and direction within the window, only when exactly one record fits', () => {
    const one = record({ amount: '30.00', valueDate: '2026-11-30' });
    const far = record({ amount: '40.00', valueDate: '2026-11-20' });
    const twins = [record({ amount: '55.00' }), record({ amount: '55.00' })];
    const credit = record({ amount: '30.00', direction: 'CRDT' });
    const r = matchLines([line({ amount: '30.00' }), line({ amount: '40.00' }), line({ amount: '55.00' })], [one, far, ...twins, credit], distance, 2);
    expect(r.outcomes.map((o) => (o.kind === 'missing' ? `missing:${o.reason}` : `${o.kind}:${o.kind === 'match' ? o.method : ''}`))).toEqual([
      'match:amount_date',
      'missing:no_candidate',
      'missing:ambiguous',
    ]);
    expect(r.unmatched).toEqual(expect.arrayContaining([far, ...twins, credit]));
  });

  it('references are matched for every line before any amount: an unreferenced line never takes a record a later line names', () => {
    const a = record({ amount: '25.00', references: ['EMLATE'] });
    const r = matchLines([line({ amount: '25.00' }), line({ amount: '25.00', refs: ['EMLATE'] })], [a], distance, 2);
    expect(r.outcomes.map((o) => o.kind)).toEqual(['missing', 'match']);
  });

  it('a batch booking whose transaction details name several records is one match of several parts', () => {
    const parts = [record({ amount: '10.00', references: ['EM1'] }), record({ amount: '20.00', references: ['EM2'] }), record({ amount: '30.00', references: ['EM3'] })];
    const r = matchLines([line({ amount: '60.00', refs: ['BATCH-1'], detailRefs: [['EM1'], ['EM2'], ['EM3']] })], parts, distance, 2);
    expect(r.outcomes).toHaveLength(1);
    const o = r.outcomes[0];
    expect(o.kind === 'match' && [o.method, o.records.length, o.difference]).toEqual(['batch', 3, 0n]);
    const short = matchLines([line({ amount: '50.00', detailRefs: [['EM1'], ['EM2'], ['EM3']] })], parts.map((p) => ({ ...p })), distance, 2).outcomes[0];
    expect(short.kind === 'match' && fromMinor(short.difference)).toBe('10.00');
  });

  it('a reversal (RC) never matches by amount, nor counts as the credit it reverses: missing in ledger, naming what it reverses', () => {
    const credit = record({ amount: '80.00', direction: 'CRDT', references: ['T-1'] }, true);
    const release = record({ amount: '80.00', direction: 'DBIT' });
    const r = matchLines([line({ amount: '80.00', direction: 'DBIT', reversal: true, refs: ['T-1'] })], [credit, release], distance, 2);
    expect(r.outcomes[0]).toMatchObject({ kind: 'missing', reason: 'reversal', reverses: credit });
    expect(r.unmatched).toEqual([release]);
  });

  it('reads a stored entry: every reference of the entry and of its transaction details', () => {
    const e: EntryRow = {
      line: 3, amount: '12.30', direction: 'CRDT', reversal: false, status: 'BOOK', booking_date: '2026-12-01', value_date: null, bank_reference: 'abc',
      customer_reference: 'NONREF', end_to_end_id: null, transaction_id: 'T9', transaction_code: null, details: null,
      transactions: [{ endToEndId: 'em1', transactionId: null }, { endToEndId: 'EM2', transactionId: 'X' }],
    };
    expect(toBankLine(e, 'st', '2026-12-02')).toMatchObject({ amount: 1230n, date: '2026-12-01', reference: 'T9', refs: ['T9', 'ABC'], detailRefs: [['EM1'], ['X', 'EM2']] });
  });

  it('balance: the residual is what open exceptions, items in transit and late or early postings do not explain', () => {
    // Ledger 950 after a 200 release the bank has not booked yet; the bank 1200 with a credit of 50 the ledger lacks (open exception).
    expect(residual({ closing: toMinor('1200.00'), ledger: toMinor('950.00'), openEffects: toMinor('50.00'), inTransit: toMinor('-200.00'), lateRecords: 0n, earlyRecords: 0n })).toBe(0n);
    expect(residual({ closing: toMinor('1000.01'), ledger: toMinor('1000.00'), openEffects: 0n, inTransit: 0n, lateRecords: 0n, earlyRecords: 0n })).toBe(1n);
    // The bank booked a 30 credit by the day that the ledger posted the day after.
    expect(residual({ closing: toMinor('130.00'), ledger: toMinor('100.00'), openEffects: 0n, inTransit: 0n, lateRecords: toMinor('30.00'), earlyRecords: 0n })).toBe(0n);
  });

  it('every money movement kind declares its statement line in the direction it moves money', () => {
    for (const k of MONEY_MOVEMENT_KINDS) expect(k.statementDirection).toBe(k.direction === 'out' ? 'DBIT' : 'CRDT');
  });

  it('a pair a person unmatched is never matched again by the system, by reference or by amount (nor makes the line a duplicate)', () => {
    const r = record({ amount: '40.00', references: ['REF-40'] });
    const byRef = line({ amount: '40.00', refs: ['REF-40'] });
    const byAmount = line({ amount: '40.00' });
    const refused = new Set([pairKey(byRef, r.expected), pairKey(byAmount, r.expected)]);
    const out = matchLines([byRef, byAmount], [r], distance, 2, refused);
    expect(out.outcomes.map((o) => [o.kind, o.kind === 'missing' ? o.reason : null])).toEqual([
      ['missing', 'no_candidate'],
      ['missing', 'no_candidate'],
    ]);
    expect(out.unmatched).toEqual([r]);
    // Another line naming it is matched as before.
    expect(matchLines([line({ amount: '40.00', refs: ['REF-40'] })], [r], distance, 2, refused).outcomes[0]).toMatchObject({ kind: 'match', method: 'reference' });
  });
});
