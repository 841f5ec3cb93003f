import { amountOf, Balance, dayOf, Direction, StatementEntry, StatementEvent, StatementHeader, StatementTotals } from '../statement.model';
import { Line } from './line-reader';
import { StatementParseError } from './statement-parse-error';

/**
 * SWIFT MT940, read line by line. Our own adapter rather than `@centrapay/swift-parser`: that
 * library needs the whole file as one string (no streaming) and stops with a TypeError on a bank
 * envelope such as ING's (`0000 01INGBNL2AXXXX00001`, `940 00`, `XXX`). Here anything outside a
 * message (before `:20:`, after `-`, `-}`, `XXX`) is envelope and skipped; a field runs from its
 * `:tag:` to the next one (so `:86:` may span lines); a `:86:` right after a `:61:` belongs to
 * that entry, any other is statement information. Reversals: `RC` (reversal of a credit) is a
 * DEBIT and `RD` a CREDIT (mt940-js counts RC as a credit; that is wrong).
 */

const FIELD = /^:(\d{2}[A-Z]?):(.*)$/;
const END_OF_MESSAGE = /^(-|-\}.*|-?XXX|\{5:.*)$/;
const BALANCE = /^([CD])(\d{6})([A-Z]{3})(\d[\d,]*)$/;
const ENTRY = /^(\d{6})(\d{4})?(RC|RD|C|D)([A-Z])?(\d[\d,]*)([NSF][A-Z0-9]{3})(.*)$/;

interface Field {
  tag: string;
  value: string;
  line: number;
}

/** `100722` → `2010-07-22`, checked to be a real day. */
export function swiftDate(yymmdd: string, where: string): string {
  const yy = Number(yymmdd.slice(0, 2));
  const year = yy < 80 ? 2000 + yy : 1900 + yy;
  return calendarDate(year, yymmdd.slice(2, 4), yymmdd.slice(4, 6), where);
}

const calendarDate = (year: number, mm: string, dd: string, where: string): string => dayOf(`${year}-${mm}-${dd}`, where);

/** The entry date (MMDD) lies within a few days of the value date, possibly across a year end. */
function entryDate(valueDate: string, mmdd: string, where: string): string {
  const year = Number(valueDate.slice(0, 4));
  const valueMonth = Number(valueDate.slice(5, 7));
  const month = Number(mmdd.slice(0, 2));
  const y = valueMonth === 12 && month === 1 ? year + 1 : valueMonth === 1 && month === 12 ? year - 1 : year;
  return calendarDate(y, mmdd.slice(0, 2), mmdd.slice(2, 4), where);
}

/** SWIFT amounts have a decimal comma and may end with it (`300,`). */
function swiftAmount(raw: string, currency: string, where: string): string {
  if ((raw.match(/,/g) ?? []).length !== 1) throw new StatementParseError(`amount "${raw}" must have exactly one decimal comma`, where);
  return amountOf(raw.replace(/,$/, '').replace(',', '.'), currency, where);
}

function balance(f: Field, currency: string | null): { balance: Balance; currency: string } {
  const where = `line ${f.line} (:${f.tag}:)`;
  const m = BALANCE.exec(f.value.trim());
  if (!m) throw new StatementParseError(`balance "${f.value.slice(0, 40)}" is not D/C mark, YYMMDD date, currency and amount`, where);
  const [, mark, date, ccy, amount] = m;
  if (currency && ccy !== currency) throw new StatementParseError(`balance in ${ccy} in a statement in ${currency}`, where);
  return { currency: ccy, balance: { direction: mark === 'C' ? 'CRDT' : 'DBIT', date: swiftDate(date, where), amount: swiftAmount(amount, ccy, where) } };
}

const DIRECTION: Record<string, { direction: Direction; reversal: boolean }> = {
  C: { direction: 'CRDT', reversal: false },
  D: { direction: 'DBIT', reversal: false },
  RC: { direction: 'DBIT', reversal: true },
  RD: { direction: 'CRDT', reversal: true },
};

function entry(f: Field, currency: string, line: number): StatementEntry {
  const where = `line ${f.line} (:61:)`;
  const [first, ...more] = f.value.split('\n');
  const m = ENTRY.exec(first.trim());
  if (!m) throw new StatementParseError(`entry "${first.slice(0, 60)}" is not value date, D/C/RC/RD mark, amount, transaction type and reference`, where);
  const [, value, booked, mark, , amount, code, refs] = m;
  const valueDate = swiftDate(value, where);
  const cut = refs.indexOf('//');
  const customer = (cut >= 0 ? refs.slice(0, cut) : refs).trim();
  const bank = cut >= 0 ? refs.slice(cut + 2).trim() : '';
  return {
    line,
    amount: swiftAmount(amount, currency, where),
    ...DIRECTION[mark],
    status: 'BOOK',
    valueDate,
    bookingDate: booked ? entryDate(valueDate, booked, where) : valueDate,
    customerReference: customer || null,
    bankReference: bank || null,
    endToEndId: null,
    transactionId: null,
    transactionCode: code,
    details: more.join('\n').trim() || null,
    transactions: [],
  };
}

/** One MT940 message being read. */
class Message {
  reference: string | null = null;
  account: string | null = null;
  sequence: string | null = null;
  currency: string | null = null;
  totals: StatementTotals | null = null;
  entry: StatementEntry | null = null;
  closing: Balance | null = null;
  info: string[] = [];
  lastTag = '';
  constructor(readonly line: number) {}
}

export async function* parseMt940(batches: AsyncIterable<Line[]>): AsyncGenerator<StatementEvent[]> {
  let msg: Message | null = null;
  let field: Field | null = null;
  let position = 0;
  let out: StatementEvent[] = [];

  function apply(f: Field): void {
    const m = msg!;
    const where = `line ${f.line} (:${f.tag}:)`;
    if (m.entry && f.tag !== '86') {
      m.totals!.add(m.entry);
      out.push({ kind: 'entry', entry: m.entry });
      m.entry = null;
    }
    switch (f.tag) {
      case '20':
        m.reference = f.value.trim();
        break;
      case '25':
        m.account = f.value.trim();
        break;
      case '28':
      case '28C':
        m.sequence = f.value.trim();
        break;
      case '60F':
      case '60M': {
        if (!m.reference || !m.account) throw new StatementParseError('opening balance before :20: and :25:', where);
        const opening = balance(f, null);
        m.currency = opening.currency;
        const page = /\/(\d+)$/.exec(m.sequence ?? '');
        const header: StatementHeader = {
          format: 'mt940',
          version: null,
          position: ++position,
          reference: m.reference,
          accountNumber: m.account,
          currency: opening.currency,
          sequence: m.sequence,
          page: page ? Number(page[1]) : 1,
          opening: opening.balance,
          closing: null,
          at: `line ${m.line}`,
        };
        m.totals = new StatementTotals(header);
        out.push({ kind: 'start', header });
        break;
      }
      case '61':
        if (!m.totals || m.closing) throw new StatementParseError('entry outside the balances :60F: ... :62F:', where);
        m.entry = entry(f, m.currency!, m.totals.entries + 1);
        break;
      case '86':
        if (m.entry && m.lastTag === '61') m.entry.details = [m.entry.details, f.value.trim()].filter(Boolean).join('\n');
        else m.info.push(f.value.trim());
        break;
      case '62F':
      case '62M':
        if (!m.totals) throw new StatementParseError('closing balance without an opening balance :60F:', where);
        m.closing = balance(f, m.currency).balance;
        break;
      default:
        // :21:, :64:, :65:, :13D:, :34F:, :90C:/:90D: carry nothing the statement model keeps.
        break;
    }
    m.lastTag = f.tag;
  }

  function close(at: string): void {
    if (field) apply(field);
    field = null;
    const m = msg;
    msg = null;
    if (!m) return;
    if (!m.totals || !m.closing) throw new StatementParseError(`the statement starting at line ${m.line} has no ${m.totals ? 'closing balance :62F:' : 'opening balance :60F:'}`, at);
    out.push({ kind: 'end', summary: m.totals.finish(m.closing, m.info.join('\n') || null, `line ${m.line}`) });
  }

  for await (const lines of batches) {
    for (const { no, text } of lines) {
      const head = text.startsWith('{') ? text.replace(/^.*\{4:/, '') : text;
      const f = FIELD.exec(head);
      if (f) {
        if (f[1] === '20') {
          close(`line ${no}`);
          msg = new Message(no);
        }
        if (!msg) continue; // a field outside any message: envelope
        if (field) apply(field);
        field = { tag: f[1], value: f[2], line: no };
      } else if (msg && END_OF_MESSAGE.test(text.trim())) {
        close(`line ${no}`);
      } else if (field) {
        field.value += `\n${text}`;
      }
    }
    if (out.length) yield out;
    out = [];
  }
  close('end of file');
  if (out.length) yield out;
  if (position === 0) throw new StatementParseError('no MT940 statement (:20: ... :60F: ... :62F:) found', 'end of file');
}
