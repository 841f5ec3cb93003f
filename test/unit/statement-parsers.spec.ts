import { StatementParseError } from '@modules/statements/parsers';
import { camtDocument, camtStatement, mt940Message, parseText } from '../support/statement-fixtures';

/** Generated files: several statements, each camt version, namespace prefixes, reversals, the CSV layout, and bad files. */

const failure = async (text: string): Promise<StatementParseError> => {
  const err = await parseText(text).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof StatementParseError)) throw new Error(`expected a StatementParseError, got ${String(err)}`);
  return err;
};

describe('camt.053', () => {
  const three = (prefix = '', version = '08') =>
    camtDocument(
      [
        camtStatement({ prefix, id: 'S1', account: 'ACC-1', opening: '100.00', closing: '150.50', entries: [{ amount: '60.50', dir: 'CRDT', ref: 'R1', e2e: 'EMABCDEFGHIJKLMN' }, { amount: '10.00', dir: 'DBIT', ref: 'R2' }] }),
        camtStatement({ prefix, id: 'S2', account: 'ACC-2', opening: '0.00', closing: '5.00', closingDir: 'DBIT', entries: [{ amount: '5.00', dir: 'DBIT', reversal: true, status: 'text' }] }),
        camtStatement({ prefix, id: 'S3', account: 'ACC-3', opening: '1.00', closing: '1.00', entries: [] }),
      ],
      version,
      prefix,
    );

  it.each(['02', '03', '04', '05', '06', '07', '08'])('reads a file of 3 statements, version .001.%s, with a namespace prefix', async (version) => {
    const { format, statements } = await parseText(three('ns2', version));
    expect(format).toBe('camt053');
    expect(statements.map((s) => [s.header.reference, s.header.accountNumber, s.header.version, s.entries.length, s.summary.credits, s.summary.debits, s.summary.consistent])).toEqual([
      ['S1', 'ACC-1', `053.001.${version}`, 2, '60.50', '10.00', true],
      ['S2', 'ACC-2', `053.001.${version}`, 1, '0.00', '5.00', true],
      ['S3', 'ACC-3', `053.001.${version}`, 0, '0.00', '0.00', true],
    ]);
    expect(statements[0].entries[0]).toMatchObject({ endToEndId: 'EMABCDEFGHIJKLMN', transactionId: 'TX-R1', bankReference: 'R1', bookingDate: '2026-11-22', status: 'BOOK' });
    expect(statements[1].entries[0]).toMatchObject({ reversal: true, direction: 'DBIT', status: 'BOOK', endToEndId: null });
  });

  it('flags a statement whose entries do not add up to the closing balance', async () => {
    const doc = camtDocument([camtStatement({ id: 'S1', account: 'A', opening: '100.00', closing: '150.00', entries: [{ amount: '49.99', dir: 'CRDT' }] })]);
    const [s] = (await parseText(doc)).statements;
    expect(s.summary).toMatchObject({ consistent: false, computedClosing: '149.99', credits: '49.99' });
  });

  it.each([
    ['a float-looking amount with three decimals', camtStatement({ id: 'S', account: 'A', opening: '1.005', closing: '1.00', entries: [] }), /Stmt\[1\]\/Bal\[1\]\/Amt/],
    ['a wrong CdtDbtInd', camtStatement({ id: 'S', account: 'A', opening: '1.00', closing: '2.00', entries: [{ amount: '1.00', dir: 'CRDX' as 'CRDT' }] }), /Stmt\[1\]\/Ntry\[1\] \(line \d+\)\/CdtDbtInd/],
    ['a broken entry', camtStatement({ id: 'S', account: 'A', opening: '1.00', closing: '2.00', entries: [{ amount: '1.00', dir: 'CRDT' }] }).replace(/<\/Amt>(?![\s\S]*<\/Amt>)/, '</Amtx>'), /malformed XML.*Stmt\[1\]\/Ntry\[1\] \(line \d+\)/],
    ['an entry in another currency', camtStatement({ id: 'S', account: 'A', opening: '1.00', closing: '4.00', entries: [{ amount: '3.00', dir: 'CRDT' }] }).replace('<Amt Ccy="CNY">3.00', '<Amt Ccy="EUR">3.00'), /EUR in a statement in CNY.*Ntry\[1\]/],
    ['a statement without account', camtStatement({ id: 'S', account: 'A', opening: '1.00', closing: '1.00', entries: [] }).replace(/<Acct>.*<\/Acct>/, ''), /no account.*Stmt\[1\]\/Acct/],
  ])('refuses %s, naming the element where it stopped', async (_what, stmt, where) => {
    const err = await failure(camtDocument([stmt]));
    expect(err.message).toMatch(where);
  });

  it('refuses other XML, an unsupported version, a DOCTYPE, and a file cut inside a statement', async () => {
    expect((await failure('<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><Stmt></Stmt></Document>')).message).toMatch(/not a camt\.053 document/);
    expect((await failure(camtDocument([camtStatement({ id: 'S', account: 'A', opening: '1.00', closing: '1.00', entries: [] })], '01'))).message).toMatch(/camt\.053\.001\.01 is not supported/);
    expect((await failure('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><Stmt></Stmt></Document>')).message).toMatch(/DOCTYPE/);
    const doc = camtDocument([camtStatement({ id: 'S', account: 'A', opening: '1.00', closing: '2.00', entries: [{ amount: '1.00', dir: 'CRDT' }] })]);
    expect((await failure(doc.slice(0, doc.indexOf('</Ntry>')))).message).toMatch(/ends inside Stmt\[1\]/);
  });
});

describe('MT940', () => {
  it('reads several messages in a SWIFT envelope; RD (reversal of a debit) is a CREDIT, RC a DEBIT', async () => {
    const file = [
      '{1:F01ICBKCNBJAXXX0000000000}{2:O9401200261122ICBKCNBJAXXX00000000002611221200N}{4:',
      mt940Message({ ref: 'STMT1', account: 'ESC-1', opening: '1000,00', closing: '1104,50', entries: [':61:2611221122RD5,50NTRFNONREF//B1', ':86:reversal of a debit', ':61:261122C99,NTRFEMABCDEFGHIJKLMN//B2', ':86:RELEASE EMABCDEFGHIJKLMN', 'second line'] }).replace(/\n-$/, '\n-}'),
      '{1:F01ICBKCNBJAXXX0000000000}{2:O9401200261122ICBKCNBJAXXX00000000002611221200N}{4:',
      mt940Message({ ref: 'STMT2', account: 'ESC-2', opening: '10,00', closing: '0,00', entries: [':61:261122RC10,NMSCNONREF'] }).replace(/\n-$/, '\n-}'),
    ].join('\r\n');
    const { format, statements } = await parseText(file);
    expect(format).toBe('mt940');
    expect(statements.map((s) => [s.header.reference, s.header.currency, s.summary.credits, s.summary.debits, s.summary.consistent])).toEqual([
      ['STMT1', 'CNY', '104.50', '0.00', true],
      ['STMT2', 'CNY', '0.00', '10.00', true],
    ]);
    expect(statements[0].entries[0]).toMatchObject({ direction: 'CRDT', reversal: true, amount: '5.50', bookingDate: '2026-11-22', bankReference: 'B1', customerReference: 'NONREF' });
    expect(statements[0].entries[1]).toMatchObject({ customerReference: 'EMABCDEFGHIJKLMN', details: 'RELEASE EMABCDEFGHIJKLMN\nsecond line' });
    expect(statements[1].entries[0]).toMatchObject({ direction: 'DBIT', reversal: true });
  });

  it('takes the entry date across a year end', async () => {
    const [s] = (await parseText(mt940Message({ ref: 'Y', account: 'A', opening: '0,', closing: '1,', entries: [':61:2612310102C1,NTRFNONREF'] }))).statements;
    expect(s.entries[0]).toMatchObject({ valueDate: '2026-12-31', bookingDate: '2027-01-02' });
  });

  it.each([
    ['an amount with a decimal point', ':61:261122C1.00NTRFNONREF', /entry "261122C1.00NTRFNONREF" is not value date.*line 5/],
    ['an amount with two commas', ':61:261122C1,0,0NTRFNONREF', /exactly one decimal comma.*line 5/],
    ['an unknown mark', ':61:261122X1,00NTRFNONREF', /entry ".*" is not value date.*line 5/],
    ['an impossible date', ':61:261131C1,00NTRFNONREF', /2026-11-31.* is not a date.*line 5/],
    ['too many decimals', ':61:261122C1,001NTRFNONREF', /at most 2 decimals.*line 5/],
  ])('refuses %s with its line', async (_what, line, where) => {
    const err = await failure(mt940Message({ ref: 'X', account: 'A', opening: '0,', closing: '1,', entries: [line] }));
    expect(err.message).toMatch(where);
  });

  it('refuses a statement without closing balance and a balance in another currency', async () => {
    expect((await failure(':20:X\n:25:A\n:28C:1\n:60F:C261121CNY1,00\n:61:261122C1,00NTRFNONREF\n-\n')).message).toMatch(/no closing balance :62F:.*line 6/);
    expect((await failure(':20:X\n:25:A\n:28C:1\n:60F:C261121CNY1,00\n:62F:C261122EUR1,00\n-\n')).message).toMatch(/balance in EUR in a statement in CNY.*line 5/);
  });
});

describe('CSV layout and format detection', () => {
  const header = 'record_type,statement_id,account,currency,date,amount,direction,reversal,value_date,bank_ref,end_to_end_id,details';

  it('reads statements of OPBD, NTRY and CLBD rows, quoted fields included', async () => {
    const csv = [
      header,
      'OPBD,S1,ESC-1,CNY,2026-11-21,1000.00,CRDT,,,,,',
      'NTRY,S1,ESC-1,CNY,2026-11-22,300.00,CRDT,false,2026-11-22,B1,EMABCDEFGHIJKLMN,"RELEASE, ""quoted"""',
      'NTRY,S1,,,2026-11-22,50.00,DBIT,true,,B2,,',
      'CLBD,S1,ESC-1,CNY,2026-11-22,1250.00,CRDT,,,,,',
      '',
      'OPBD,S2,ESC-2,CNY,2026-11-21,0.00,CRDT,,,,,',
      'CLBD,S2,ESC-2,CNY,2026-11-22,0.01,CRDT,,,,,',
    ].join('\r\n');
    const { format, statements } = await parseText(csv);
    expect(format).toBe('csv');
    expect(statements.map((s) => [s.header.reference, s.entries.length, s.summary.credits, s.summary.debits, s.summary.consistent, s.summary.statementDate])).toEqual([
      ['S1', 2, '300.00', '50.00', true, '2026-11-22'],
      ['S2', 0, '0.00', '0.00', false, '2026-11-22'],
    ]);
    expect(statements[0].entries[0]).toMatchObject({ endToEndId: 'EMABCDEFGHIJKLMN', details: 'RELEASE, "quoted"', bankReference: 'B1' });
    expect(statements[0].entries[1]).toMatchObject({ reversal: true, direction: 'DBIT', valueDate: '2026-11-22' });
  });

  it.each([
    ['a bad header', 'record_type,account\nOPBD,A', /bad CSV header.*line 1/],
    ['an amount with a comma', `${header}\nOPBD,S1,A,CNY,2026-11-21,"1,00",CRDT,,,,,`, /amount.*line 2/],
    ['an entry outside a statement', `${header}\nNTRY,S1,A,CNY,2026-11-21,1.00,CRDT,,,,,`, /outside a statement.*line 2/],
    ['another account inside a statement', `${header}\nOPBD,S1,A,CNY,2026-11-21,1.00,CRDT,,,,,\nNTRY,S1,B,CNY,2026-11-21,1.00,CRDT,,,,,`, /account B differs.*line 3/],
    ['a missing CLBD', `${header}\nOPBD,S1,A,CNY,2026-11-21,1.00,CRDT,,,,,`, /no CLBD row/],
    ['a wrong field count', `${header}\nOPBD,S1,A,CNY`, /4 fields where the header has 12.*line 2/],
  ])('refuses %s with its line', async (_what, csv, where) => {
    expect((await failure(csv)).message).toMatch(where);
  });

  it('refuses a file that is none of the formats, an empty file and a binary one, at line 1', async () => {
    expect((await failure('hello,world\n1,2\n')).message).toMatch(/not a statement.*line 1/);
    expect((await failure('')).message).toMatch(/empty.*line 1/);
    expect((await failure('\u0000\u0001\u0002')).message).toMatch(/binary.*line 1/);
  });
});
