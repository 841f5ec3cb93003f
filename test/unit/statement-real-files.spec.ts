import { parseFile } from '../support/statement-fixtures';

/**
 * The statement parsers on real files written by banks (shared/fixtures/statements, see its README
 * for the figures computed independently): exact counts, sums as strings, balances and the
 * arithmetic check of every statement.
 */

const signedOf = (b: { amount: string; direction: string }) => `${b.direction === 'DBIT' ? '-' : ''}${b.amount}`;

describe('statement parsers on the shared real bank files', () => {
  it('camt053-postfinance-v4.xml: 1 statement, 13 entries (2 reversals), 32 transaction details, CHF, consistent', async () => {
    const { format, statements } = await parseFile('camt053-postfinance-v4.xml');
    expect(format).toBe('camt053');
    expect(statements).toHaveLength(1);
    const [s] = statements;
    expect(s.header).toMatchObject({ version: '053.001.04', reference: '20160430375204000008574', accountNumber: 'CH0309000000250090342', currency: 'CHF', sequence: '85' });
    expect(s.header.opening).toEqual({ amount: '322152.16', direction: 'CRDT', date: '2016-04-29' });
    expect(s.summary.closing).toEqual({ amount: '322689.77', direction: 'CRDT', date: '2016-04-30' });
    expect(s.entries).toHaveLength(13);
    expect(s.entries.reduce((n, e) => n + e.transactions.length, 0)).toBe(32);
    expect(s.summary).toMatchObject({ entries: 13, credits: '1810.56', debits: '1272.95', computedClosing: '322689.77', consistent: true, statementDate: '2016-04-30' });
    const reversals = s.entries.filter((e) => e.reversal);
    expect(reversals.map((e) => [e.amount, e.direction, e.endToEndId])).toEqual([
      ['6.00', 'DBIT', 'EndToEnd-2B6C-CHDDBB5'],
      ['15.53', 'DBIT', 'E2E-1-1-16030913'],
    ]);
    // Status as text (BOOK), dates, references and the bank transaction code are all mapped.
    expect(s.entries[0]).toMatchObject({ status: 'BOOK', bookingDate: '2016-04-30', valueDate: '2016-04-30', bankReference: '20160401001027080060699001000107', transactionCode: 'ACMT/ADOP/CHRG' });
    expect(s.entries[6].transactions).toHaveLength(10);
    expect(s.entries.every((e) => typeof e.amount === 'string')).toBe(true);
  });

  // [reference, :28C:, entries, credits, debits, opening, closing] per statement, signed balances.
  const BETTERPLACE: [string, string, number, string, string, string, string][] = [
    ['T089413946000001', '00004/00001', 7, '997241.96', '1000151.83', '-1234718.36', '-1237628.23'],
    ['T089413956000001', '00004/00001', 2, '15000.05', '500250.00', '-970499.90', '-1455749.85'],
    ['T089413966000001', '00004/00001', 5, '125180.81', '653219.32', '-1709296.34', '-2237334.85'],
    ['T089413976000001', '00004/00001', 3, '1050000.00', '0.00', '3192675.04', '4242675.04'],
    ['T089413986000001', '00004/00001', 5, '204.88', '726899.15', '-2368827.87', '-3095522.14'],
    ['T089413996000001', '00004/00001', 1, '50990.05', '0.00', '152970.15', '203960.20'],
    ['T089414006000001', '00004/00001', 4, '19990.05', '10061.68', '-40432.20', '-30503.83'],
    ['T089414006000002', '00004/00002', 4, '0.00', '70350.62', '-30503.83', '-100854.45'],
    ['T089414016000001', '00004/00001', 8, '201202.10', '7650.24', '-1552497.38', '-1358945.52'],
    ['T089414016000002', '00004/00002', 3, '0.00', '944525.59', '-1358945.52', '-2303471.11'],
    ['T089414026000001', '00004/00001', 6, '915646.88', '18163.85', '-3829477.87', '-2931994.84'],
    ['T089414026000002', '00004/00002', 6, '0.00', '2087703.12', '-2931994.84', '-5019697.96'],
    ['T089414036000001', '00004/00001', 6, '171052.00', '411579.81', '-5777585.57', '-6018113.38'],
    ['T089414036000002', '00004/00002', 3, '0.00', '2826312.00', '-6018113.38', '-8844425.38'],
    ['T089414046000001', '00003/00001', 1, '13990.05', '0.00', '13990.05', '27980.10'],
    ['T089414056000001', '00004/00001', 5, '0.00', '20066.02', '-3612519.02', '-3632585.04'],
    ['T089414056000002', '00004/00002', 5, '0.00', '182316.43', '-3632585.04', '-3814901.47'],
    ['T089414056000003', '00004/00003', 2, '0.00', '1298692.05', '-3814901.47', '-5113593.52'],
    ['T089414066000001', '00004/00001', 1, '50990.05', '0.00', '152970.15', '203960.20'],
    ['T089414076000001', '00004/00001', 3, '92990.19', '0.00', '145964.58', '238954.77'],
    ['T089414086000001', '00004/00001', 4, '360093.91', '1500.00', '766656.49', '1125250.40'],
    ['T089414096000001', '00004/00001', 7, '1070951.81', '3572569.03', '-1970431.87', '-4472049.09'],
    ['T089414106000001', '00004/00001', 3, '52900.10', '125300.10', '-324910.25', '-397310.25'],
    ['T089414116000001', '00004/00001', 1, '0.00', '150.00', '-450.00', '-600.00'],
    ['T089414126000001', '00004/00001', 1, '0.00', '150.00', '-450.00', '-600.00'],
    ['T089414136000001', '00001/00001', 1, '50.05', '0.00', '0.00', '50.05'],
  ];

  it('mt940-betterplace-sepa.sta: 26 statements, 97 entries, EUR, every statement consistent, exact sums', async () => {
    const { format, statements } = await parseFile('mt940-betterplace-sepa.sta');
    expect(format).toBe('mt940');
    expect(statements).toHaveLength(26);
    expect(statements.reduce((n, s) => n + s.entries.length, 0)).toBe(97);
    expect(statements.every((s) => s.header.currency === 'EUR' && s.summary.consistent)).toBe(true);
    expect(statements.map((s) => [s.header.reference, s.header.sequence, s.entries.length, s.summary.credits, s.summary.debits, signedOf(s.header.opening), signedOf(s.summary.closing)])).toEqual(BETTERPLACE);
    // Pages of one statement (:28C: 00004/00002) keep their page number.
    expect(statements[7].header.page).toBe(2);
    expect(statements[17].header.page).toBe(3);
  });

  it('mt940-betterplace-sepa.sta: RC (reversal of a credit) is a DEBIT, with its references and entry date', async () => {
    const { statements } = await parseFile('mt940-betterplace-sepa.sta');
    const rc = statements.flatMap((s) => s.entries).filter((e) => e.reversal);
    expect(rc).toHaveLength(2);
    expect(rc.every((e) => e.direction === 'DBIT' && e.amount === '204.88')).toBe(true);
    const first = statements[0].entries[0];
    expect(first).toMatchObject({ amount: '300.00', direction: 'CRDT', valueDate: '2007-09-04', bookingDate: '2007-09-04', transactionCode: 'NTRF', customerReference: 'TFNr 40005 MSGID', bankReference: '0724710345313905' });
    expect(first.details).toContain('RETOURE');
    expect(first.details).toContain('pezifizie'); // the :86: continuation line is kept
  });

  it('mt940-ing-1.mta: the ING envelope is skipped; 1 statement, 3 entries, EUR, consistent', async () => {
    const { format, statements } = await parseFile('mt940-ing-1.mta');
    expect(format).toBe('mt940');
    expect(statements).toHaveLength(1);
    const [s] = statements;
    expect(s.header).toMatchObject({ reference: 'INGEB', accountNumber: '0111111111', currency: 'EUR', sequence: '100' });
    expect(s.header.opening).toEqual({ amount: '44.89', direction: 'CRDT', date: '2010-07-22' });
    expect(s.summary).toMatchObject({ entries: 3, credits: '11.01', debits: '10000.99', computedClosing: '-9945.09', consistent: true, statementDate: '2010-07-23' });
    expect(s.summary.closing).toEqual({ amount: '9945.09', direction: 'DBIT', date: '2010-07-23' });
    expect(s.entries.map((e) => e.details?.split('\n').length)).toEqual([3, 5, 2]);
    // The :86: after :62F: is statement information, not a fourth entry's; the envelope's XXX is not kept.
    expect(s.summary.info).toBe('D000001C000002D10000,99C11,01\nING TESTREKENING');
  });

  it('mt940-ing-unbalanced.sta: 1 statement, 7 entries, EUR, flagged inconsistent (opening + entries is not the closing)', async () => {
    const { statements } = await parseFile('mt940-ing-unbalanced.sta');
    expect(statements).toHaveLength(1);
    const [s] = statements;
    expect(s.header.opening).toEqual({ amount: '0.00', direction: 'CRDT', date: '2010-07-22' });
    expect(s.summary).toMatchObject({ entries: 7, credits: '4.68', debits: '50.27', computedClosing: '-45.59', consistent: false });
    expect(s.summary.closing).toEqual({ amount: '3.47', direction: 'CRDT', date: '2010-07-23' });
  });
});
