import { writeCamt053 } from '../../scripts/bank-simulator/camt053-writer';
import { narrative, writeMt940 } from '../../scripts/bank-simulator/mt940-writer';
import { chinaDay, StatementBook } from '../../scripts/bank-simulator/statement-book';
import { applyFaults } from '../../scripts/bank-simulator/statement-faults';
import { statementFile } from '../../scripts/bank-simulator/statement-files';
import { BookLine, DailyStatement } from '../../scripts/bank-simulator/statement-types';
import { parseText } from '../support/statement-fixtures';

/**
 * The simulated bank's statement writers are pure (records in, file text out): what they write
 * must read back through the service's own parsers with exactly the figures of the book.
 */
const at = (iso: string) => new Date(iso);

function line(o: Partial<BookLine> & Pick<BookLine, 'direction' | 'amount' | 'bankTransactionId'>): BookLine {
  return { endToEndRef: null, bookedAt: at('2026-12-02T03:00:00Z'), bookingDate: '2026-12-02', valueDate: '2026-12-02', details: 'PAYMENT HT1', counterparty: null, ...o };
}

const credit = line({ direction: 'CRDT', amount: '12345678.91', bankTransactionId: 'SC00000001AB0001', details: 'PAYMENT HT20261202A1B2', counterparty: { accountNumber: '6217000000000001', accountName: '陈 & <女士>' } });
const release = line({ direction: 'DBIT', amount: '231.48', bankTransactionId: 'SX00000002AB0002', endToEndRef: 'EM4K7Q0Z2B9XH1TD', details: 'RELEASE EM4K7Q0Z2B9XH1TD', counterparty: { accountNumber: '4567891230001', accountName: '松江启航编程培训' } });
const cent = line({ direction: 'DBIT', amount: '0.01', bankTransactionId: 'SX00000003AB0003', endToEndRef: 'EMZZZZZZZZZZZZZ1', details: 'REFUND EMZZZZZZZZZZZZZ1', bookedAt: at('2026-12-02T15:59:59Z'), bookingDate: '2026-12-02' });

const statement = (o: Partial<DailyStatement> = {}): DailyStatement => ({
  bankCode: 'ICBC-SH',
  accountNumber: 'ESC913101170000000001',
  accountName: '松江星光美术培训监管专户',
  currency: 'CNY',
  sequence: 3,
  date: '2026-12-02',
  openingDate: '2026-12-01',
  opening: '1000.10',
  closing: '12346447.52',
  lines: [credit, release, cent],
  createdAt: at('2026-12-02T16:30:00Z'),
  ...o,
});

describe('bank simulator statement writers', () => {
  it('camt.053 reads back through the service parser with the book’s exact figures and references', async () => {
    const other = statement({ accountNumber: 'ESC913101170000000002', sequence: 1, opening: '0.00', closing: '0.00', lines: [] });
    const { format, statements } = await parseText(writeCamt053([statement(), other]));
    expect(format).toBe('camt053');
    expect(statements).toHaveLength(2);
    const [s] = statements;
    expect(s.header).toMatchObject({ version: '053.001.08', reference: 'ST20261202000003', accountNumber: 'ESC913101170000000001', currency: 'CNY', sequence: '3', opening: { amount: '1000.10', direction: 'CRDT', date: '2026-12-02' } });
    expect(s.summary).toMatchObject({ statementDate: '2026-12-02', entries: 3, credits: '12345678.91', debits: '231.49', computedClosing: '12346447.52', consistent: true, closing: { amount: '12346447.52', direction: 'CRDT' } });
    expect(s.entries.map((e) => [e.amount, e.direction, e.status, e.bankReference, e.endToEndId, e.transactionId, e.valueDate, e.bookingDate])).toEqual([
      ['12345678.91', 'CRDT', 'BOOK', 'SC00000001AB0001', null, 'SC00000001AB0001', '2026-12-02', '2026-12-02'],
      ['231.48', 'DBIT', 'BOOK', 'SX00000002AB0002', 'EM4K7Q0Z2B9XH1TD', 'SX00000002AB0002', '2026-12-02', '2026-12-02'],
      ['0.01', 'DBIT', 'BOOK', 'SX00000003AB0003', 'EMZZZZZZZZZZZZZ1', 'SX00000003AB0003', '2026-12-02', '2026-12-02'],
    ]);
    expect(s.entries[1].details).toBe('RELEASE EM4K7Q0Z2B9XH1TD');
    expect(s.entries[0].transactions[0]).toMatchObject({ amount: '12345678.91', currency: 'CNY', direction: 'CRDT' });
    expect(statements[1].summary).toMatchObject({ entries: 0, credits: '0.00', debits: '0.00', consistent: true });
  });

  it('camt.053 escapes names and writes China time (a booking at 23:59:59 China time stays on its day)', () => {
    const xml = writeCamt053([statement()]);
    expect(xml).toContain('<Nm>陈 &amp; &lt;女士&gt;</Nm>');
    expect(xml).toContain('<BookgDt><DtTm>2026-12-02T23:59:59+08:00</DtTm></BookgDt>');
    expect(xml).toContain('<ElctrncSeqNb>3</ElctrncSeqNb>');
    expect(xml).toContain('<TtlCdtNtries><NbOfNtries>1</NbOfNtries><Sum>12345678.91</Sum></TtlCdtNtries>');
    expect(writeCamt053([statement()])).toBe(xml); // pure: same records, same file
  });

  it('MT940 reads back through the service parser: decimal comma, :28C: sequence, 16-character references', async () => {
    const text = writeMt940([statement(), statement({ accountNumber: 'ESC913101170000000002', sequence: 7, opening: '-5.00', closing: '-5.00', lines: [] })]);
    expect(text).toContain(':61:2612021202D231,48NTRFEM4K7Q0Z2B9XH1TD//SX00000002AB0002\r\n:86:RELEASE EM4K7Q0Z2B9XH1TD 4567891230001\r\n');
    expect(text).toContain(':61:2612021202C12345678,91NTRFSC00000001AB0001//SC00000001AB0001\r\n');
    expect(text).toContain(':60F:C261201CNY1000,10\r\n');
    expect(text).toContain(':60F:D261201CNY5,00\r\n');
    const { format, statements } = await parseText(text);
    expect(format).toBe('mt940');
    const [s, other] = statements;
    expect(s.header).toMatchObject({ reference: 'ST20261202000003', accountNumber: 'ESC913101170000000001', currency: 'CNY', sequence: '3', page: 1, opening: { amount: '1000.10', direction: 'CRDT', date: '2026-12-01' } });
    expect(s.summary).toMatchObject({ statementDate: '2026-12-02', entries: 3, credits: '12345678.91', debits: '231.49', consistent: true, closing: { amount: '12346447.52', direction: 'CRDT', date: '2026-12-02' } });
    expect(s.entries.map((e) => [e.amount, e.direction, e.customerReference, e.bankReference, e.valueDate, e.bookingDate])).toEqual([
      ['12345678.91', 'CRDT', 'SC00000001AB0001', 'SC00000001AB0001', '2026-12-02', '2026-12-02'],
      ['231.48', 'DBIT', 'EM4K7Q0Z2B9XH1TD', 'SX00000002AB0002', '2026-12-02', '2026-12-02'],
      ['0.01', 'DBIT', 'EMZZZZZZZZZZZZZ1', 'SX00000003AB0003', '2026-12-02', '2026-12-02'],
    ]);
    expect(other.summary).toMatchObject({ entries: 0, consistent: true, closing: { amount: '5.00', direction: 'DBIT' } });
  });

  it('MT940 amounts of a currency without minor units keep the trailing comma', async () => {
    const yen = line({ direction: 'CRDT', amount: '1500', bankTransactionId: 'SC0000000JPY0001' });
    const text = writeMt940([statement({ currency: 'JPY', opening: '0', closing: '1500', lines: [yen] })]);
    expect(text).toContain('C1500,NTRF');
    const { statements } = await parseText(text);
    expect(statements[0].summary).toMatchObject({ credits: '1500', consistent: true });
  });

  it(':86: text stays in the SWIFT character set and never reads as a field or the end of a message', () => {
    expect(narrative('付款 HT1 陈女士')).toEqual(['HT1']);
    const long = narrative(`${'A'.repeat(65)}-XXX:20:x`);
    expect(long).toEqual(['A'.repeat(65), '.-XXX:20:x']);
    expect(narrative(`${'B'.repeat(65)}:61:`)).toEqual(['B'.repeat(65), '.:61:']);
  });
});

describe('bank simulator faults', () => {
  const truth = statement();

  it('a dropped line: the statement stays consistent without it (or keeps the true closing and fails its own arithmetic)', async () => {
    const { statement: s, applied } = applyFaults(truth, [{ type: 'drop-line', account: truth.accountNumber, line: 2 }]);
    expect(s!.lines).toEqual([credit, cent]);
    expect(s!.closing).toBe('12346679.00');
    expect(applied).toEqual([expect.objectContaining({ type: 'drop-line', line: 2, direction: 'DBIT', endToEndRef: 'EM4K7Q0Z2B9XH1TD', bankTransactionId: 'SX00000002AB0002', amount: '231.48' })]);
    const kept = applyFaults(truth, [{ type: 'drop-line', account: truth.accountNumber, reference: 'EM4K7Q0Z2B9XH1TD', keepClosing: true }]).statement!;
    expect(kept.closing).toBe(truth.closing);
    const [parsed] = (await parseText(writeCamt053([kept]))).statements;
    expect(parsed.summary).toMatchObject({ consistent: false, computedClosing: '12346679.00' });
  });

  it('a doubled line, a changed amount (default +1.00), several faults on one account naming lines of the true statement', async () => {
    const { statement: s, applied } = applyFaults(truth, [
      { type: 'double-line', account: truth.accountNumber, line: 1 },
      { type: 'change-amount', account: truth.accountNumber, reference: 'SX00000002AB0002' },
      { type: 'change-amount', account: 'ESC-other', line: 1, amount: '5' },
    ]);
    expect(s!.lines.map((l) => [l.bankTransactionId, l.amount])).toEqual([
      ['SC00000001AB0001', '12345678.91'],
      ['SC00000001AB0001', '12345678.91'],
      ['SX00000002AB0002', '232.48'],
      ['SX00000003AB0003', '0.01'],
    ]);
    expect(applied.map((a) => [a.type, a.line, a.amount, a.writtenAmount])).toEqual([
      ['double-line', 1, '12345678.91', null],
      ['change-amount', 2, '231.48', '232.48'],
    ]);
    const [parsed] = (await parseText(writeMt940([s!]))).statements;
    expect(parsed.summary).toMatchObject({ entries: 4, credits: '24691357.82', debits: '232.49', consistent: true, closing: { amount: '24692125.43' } });
  });

  it('a skipped statement is not written; unknown lines and references are refused', () => {
    expect(applyFaults(truth, [{ type: 'skip-statement', account: truth.accountNumber }])).toMatchObject({ statement: null, applied: [{ type: 'skip-statement', line: null }] });
    expect(() => applyFaults(truth, [{ type: 'drop-line', account: truth.accountNumber, line: 4 }])).toThrow(/not a line/);
    expect(() => applyFaults(truth, [{ type: 'double-line', account: truth.accountNumber, reference: 'NOPE' }])).toThrow(/no line with reference/);
    expect(() => applyFaults(truth, [{ type: 'change-amount', account: truth.accountNumber, line: 3, amount: '0.01' }])).toThrow(/own amount/);
  });
});

describe('bank simulator book', () => {
  const day = (d: string, h = '03') => at(`${d}T${h}:00:00Z`);
  const book = () => {
    const b = new StatementBook('ICBC-SH');
    b.book('A1', 'CNY', line({ direction: 'CRDT', amount: '100.00', bankTransactionId: 'C1', bookedAt: day('2026-12-01'), bookingDate: '2026-12-01' }), '账户');
    b.book('A1', 'CNY', line({ direction: 'DBIT', amount: '30.25', bankTransactionId: 'X1', endToEndRef: 'E1', bookedAt: day('2026-12-02'), bookingDate: '2026-12-02' }));
    b.book('A1', 'CNY', line({ direction: 'CRDT', amount: '5.00', bankTransactionId: 'C2', bookedAt: day('2026-12-03'), bookingDate: '2026-12-03' }));
    return b;
  };

  it('chinaDay is the China-time day', () => {
    expect(chinaDay(at('2026-12-01T15:59:59Z'))).toBe('2026-12-01');
    expect(chinaDay(at('2026-12-01T16:00:00Z'))).toBe('2026-12-02');
  });

  it('opening = previous closing as written, the sequence increments, a skipped day keeps its number, the latest day may be sent again', () => {
    const b = book();
    const d1 = statementFile(b, { date: '2026-12-01', format: 'camt053', faults: [{ type: 'double-line', account: 'A1', line: 1 }] }, day('2026-12-01', '10'));
    expect(d1.statements[0]).toMatchObject({ sequence: 1, opening: '0.00', closing: '200.00', entries: 2, credits: '200.00', skipped: false });
    d1.produced.forEach((s) => b.commit(s));
    const d2 = statementFile(b, { date: '2026-12-02', format: 'mt940', faults: [{ type: 'skip-statement', account: 'A1' }] }, day('2026-12-02', '10'));
    expect(d2.file).toBeNull();
    expect(d2.statements[0]).toMatchObject({ sequence: 2, opening: '200.00', closing: '169.75', skipped: true });
    d2.produced.forEach((s) => b.commit(s));
    const d3 = statementFile(b, { date: '2026-12-03', format: 'mt940' }, day('2026-12-03', '10'));
    expect(d3.statements[0]).toMatchObject({ sequence: 3, opening: '169.75', closing: '174.75', entries: 1 });
    expect(d3.file).toContain(':28C:3\r\n:60F:C261202CNY169,75\r\n');
    d3.produced.forEach((s) => b.commit(s));
    expect(statementFile(b, { date: '2026-12-03', format: 'camt053' }, day('2026-12-03', '11')).statements[0]).toMatchObject({ sequence: 3, opening: '169.75' });
    expect(() => statementFile(b, { date: '2026-12-02', format: 'camt053' }, day('2026-12-03', '11'))).toThrow(/statements go forward/);
  });

  it('a first statement after days without one opens with what those days booked', () => {
    expect(statementFile(book(), { date: '2026-12-03', format: 'camt053' }, day('2026-12-03')).statements[0]).toMatchObject({ sequence: 1, opening: '69.75', closing: '74.75' });
  });

  it('refuses unknown accounts, formats and faults outside the file', () => {
    expect(() => statementFile(book(), { date: '2026-12-01', format: 'camt053', accounts: ['B9'] }, day('2026-12-01'))).toThrow(/no account B9/);
    expect(() => statementFile(book(), { date: '2026-12-01', format: 'csv' as never }, day('2026-12-01'))).toThrow(/format/);
    expect(() => statementFile(book(), { date: '2026-12-01', format: 'mt940', accounts: [], faults: [{ type: 'skip-statement', account: 'A1' }] }, day('2026-12-01'))).toThrow(/not in this file/);
  });
});
