import { checkAmount } from '@common/money/amount-format';
import { minorUnits } from '@common/money/currency';
import { Money } from '@common/money/money';
import { StatementParseError } from './parsers/statement-parse-error';

/**
 * The one statement model every format maps to (camt.053, MT940, CSV). Amounts are decimal
 * strings from the file to the database: they are checked and normalised by `Money` (never a JS
 * number), balances are signed (credit positive), entry amounts are unsigned with a direction.
 */
export type StatementFormat = 'camt053' | 'mt940' | 'csv';
export type Direction = 'CRDT' | 'DBIT';

export interface Balance {
  /** Unsigned, as written in the file (normalised to the currency's minor units). */
  amount: string;
  direction: Direction;
  date: string | null;
}

export interface StatementHeader {
  format: StatementFormat;
  /** camt.053 message version, e.g. `053.001.04`; null for MT940 and CSV. */
  version: string | null;
  /** 1-based position of the statement in its file. */
  position: number;
  /** The bank's statement reference: camt `Stmt/Id`, MT940 `:20:`, CSV `statement_id`. */
  reference: string;
  accountNumber: string;
  currency: string;
  /** camt `ElctrncSeqNb`/`LglSeqNb`, MT940 `:28C:` as written. */
  sequence: string | null;
  /** Page of a statement split over several messages (MT940 `:28C:` after `/`, camt `MsgPgntn/PgNb`); 1 otherwise. */
  page: number;
  opening: Balance;
  /** Known from the start in camt.053 (balances precede entries); MT940 and CSV give it at the end. */
  closing: Balance | null;
  /** Where the statement starts, for messages: `line 12` or `Stmt[2]`. */
  at: string;
}

export interface TransactionDetail {
  amount: string | null;
  currency: string | null;
  direction: Direction | null;
  bankReference: string | null;
  endToEndId: string | null;
  transactionId: string | null;
  details: string | null;
}

export interface StatementEntry {
  /** 1-based within its statement. */
  line: number;
  amount: string;
  /** Direction of the booking: a reversal of a credit (MT940 `RC`) is a debit. */
  direction: Direction;
  reversal: boolean;
  /** `BOOK` (booked), `PDNG`, `INFO`: only booked entries count in the balance. */
  status: string;
  bookingDate: string | null;
  valueDate: string | null;
  bankReference: string | null;
  customerReference: string | null;
  endToEndId: string | null;
  transactionId: string | null;
  transactionCode: string | null;
  details: string | null;
  transactions: TransactionDetail[];
}

export interface StatementSummary {
  closing: Balance;
  /** The statement's business day: the closing balance date (or the last entry's). */
  statementDate: string;
  entries: number;
  /** Sums of booked credits and debits (unsigned). */
  credits: string;
  debits: string;
  /** opening + credits - debits, signed. */
  computedClosing: string;
  consistent: boolean;
  info: string | null;
}

export type StatementEvent =
  | { kind: 'start'; header: StatementHeader }
  | { kind: 'entry'; entry: StatementEntry }
  | { kind: 'end'; summary: StatementSummary };

export interface ParsedStatement {
  header: StatementHeader;
  entries: StatementEntry[];
  summary: StatementSummary;
}

/**
 * An amount of the file, checked by the one amount format (`checkAmount`, the check behind
 * `Money.parse`) and written with the currency's minor units ("300" → "300.00") by string
 * operations: exact, and cheap enough for a million lines (a Decimal per line was not).
 */
export function amountOf(raw: string, currency: string, where: string): string {
  // Leading zeros ("0012.00", MT940 pads some) are padding the API format refuses; they mean nothing here.
  const value = raw.trim().replace(/^0+(?=\d)/, '');
  const problem = checkAmount(value, 'amount', { currency });
  if (problem) throw new StatementParseError(`amount "${raw.slice(0, 40)}" is not a valid ${currency} amount: ${problem.message}`, where);
  const units = minorUnits(currency);
  const [integer, decimals = ''] = value.split('.');
  return units === 0 ? integer : `${integer}.${decimals.padEnd(units, '0')}`;
}

/** Minor units of an amount written by `amountOf` (or a balance), as a BigInt: sums stay exact and fast. */
const minorOf = (amount: string): bigint => BigInt(amount.replace('.', ''));

/** A `YYYY-MM-DD` day that exists (PostgreSQL would refuse 2026-02-30 with a 500 otherwise). */
const knownDays = new Set<string>();
export function dayOf(iso: string, where: string): string {
  // A statement repeats a handful of days a million times: each distinct one is checked once.
  if (knownDays.has(iso)) return iso;
  const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T00:00:00Z`) : null;
  if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== iso) throw new StatementParseError(`"${iso.slice(0, 40)}" is not a date`, where);
  if (knownDays.size > 10_000) knownDays.clear();
  knownDays.add(iso);
  return iso;
}

export function signed(b: Balance, currency: string): Money {
  const m = Money.fromMinor(minorOf(b.amount), currency);
  return b.direction === 'DBIT' ? m.negate() : m;
}

/**
 * Adds a statement up as it streams by: every parser uses it, so the arithmetic check
 * (opening + signed booked entries = closing) is written once.
 */
export class StatementTotals {
  private credits = 0n;
  private debits = 0n;
  private count = 0;
  private lastDate: string | null = null;

  constructor(readonly header: StatementHeader) {}

  get entries(): number {
    return this.count;
  }

  add(e: StatementEntry): void {
    this.count += 1;
    this.lastDate = e.bookingDate ?? e.valueDate ?? this.lastDate;
    if (e.status !== 'BOOK') return;
    if (e.direction === 'CRDT') this.credits += minorOf(e.amount);
    else this.debits += minorOf(e.amount);
  }

  finish(closing: Balance, info: string | null, where: string): StatementSummary {
    const currency = this.header.currency;
    const credits = Money.fromMinor(this.credits, currency);
    const debits = Money.fromMinor(this.debits, currency);
    const computed = signed(this.header.opening, currency).plus(credits).minus(debits);
    const statementDate = closing.date ?? this.lastDate ?? this.header.opening.date;
    if (!statementDate) throw new StatementParseError('the statement has no date (no closing balance date, entry or opening date)', where);
    return {
      closing,
      statementDate,
      entries: this.count,
      credits: credits.toString(),
      debits: debits.toString(),
      computedClosing: computed.toString(),
      consistent: computed.eq(signed(closing, currency)),
      info,
    };
  }
}

/** Gathers the events of a parser into whole statements (tests and small files; imports stream). */
export async function collectStatements(batches: AsyncIterable<StatementEvent[]>): Promise<ParsedStatement[]> {
  const out: ParsedStatement[] = [];
  let current: { header: StatementHeader; entries: StatementEntry[] } | null = null;
  for await (const events of batches) {
    for (const ev of events) {
      if (ev.kind === 'start') current = { header: ev.header, entries: [] };
      else if (ev.kind === 'entry') current!.entries.push(ev.entry);
      else {
        out.push({ ...current!, summary: ev.summary });
        current = null;
      }
    }
  }
  return out;
}
