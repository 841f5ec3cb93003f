import { statementId } from './camt053-writer';
import { money } from './statement-amounts';
import { BookLine, DailyStatement } from './statement-types';

/**
 * SWIFT MT940 (pure: statements in, text out), one message per statement, without a bank
 * envelope: `:20:` statement id, `:25:` account, `:28C:` the account's statement sequence,
 * `:60F:`/`:62F:` balances with D/C marks, and per line a `:61:` (value date, entry date, mark,
 * amount with a decimal comma, `NTRF`, the 16-character reference — the instruction's end-to-end
 * reference, or the bank transaction id for a credit — then `//` and the bank transaction id) and
 * its `:86:` details. Amounts are the book's decimal strings with the point turned into a comma.
 */

/** `2026-12-02` → `261202`. */
const yymmdd = (day: string): string => day.slice(2).replaceAll('-', '');

/** `231.48` → `231,48`; a currency without minor units keeps SWIFT's trailing comma (`1500,`). */
export const swiftAmount = (amount: string): string => (amount.includes('.') ? amount.replace('.', ',') : `${amount},`);

function balance(tagName: '60F' | '62F', signed: string, currency: string, day: string): string {
  const m = money(signed, currency);
  const mark = m.isNegative() ? 'D' : 'C';
  return `:${tagName}:${mark}${yymmdd(day)}${currency}${swiftAmount((m.isNegative() ? m.negate() : m).toString())}`;
}

/**
 * `:86:` text in the SWIFT x character set, at most 6 lines of 65. A line that would read as a
 * field (`:`) or as the end of a message (`-`, `XXX`) gets a leading dot.
 */
export function narrative(text: string): string[] {
  const clean = text.replace(/[^A-Za-z0-9/?:().,'+\- ]/g, ' ').replace(/\s+/g, ' ').trim();
  const lines: string[] = [];
  for (let i = 0; i < clean.length && lines.length < 6; i += 65) lines.push(clean.slice(i, i + 65));
  return lines.map((l) => (/^(:|-|-?XXX$)/.test(l.trim()) ? `.${l}`.slice(0, 65) : l));
}

/** The 16-character reference of a `:61:` line (SWIFT 16x). */
export const lineReference = (l: BookLine): string => (l.endToEndRef ?? l.bankTransactionId).slice(0, 16);

function line(l: BookLine): string[] {
  const mark = l.direction === 'CRDT' ? 'C' : 'D';
  const entryDate = l.bookingDate.slice(5).replace('-', '');
  const head = `:61:${yymmdd(l.valueDate)}${entryDate}${mark}${swiftAmount(l.amount)}NTRF${lineReference(l)}//${l.bankTransactionId.slice(0, 16)}`;
  const counterparty = l.counterparty?.accountNumber ? ` ${l.counterparty.accountNumber}` : '';
  const details = narrative(`${l.details}${counterparty}`);
  return details.length ? [head, `:86:${details[0]}`, ...details.slice(1)] : [head];
}

function message(s: DailyStatement): string {
  return [
    `:20:${statementId(s)}`,
    `:25:${s.accountNumber}`,
    `:28C:${s.sequence}`,
    balance('60F', s.opening, s.currency, s.openingDate),
    ...s.lines.flatMap(line),
    balance('62F', s.closing, s.currency, s.date),
    '-',
  ].join('\r\n');
}

/** An MT940 file holding one message per statement (CRLF line ends, as SWIFT files have). */
export function writeMt940(statements: DailyStatement[]): string {
  if (statements.length === 0) throw new Error('an MT940 file needs at least one statement');
  return `${statements.map(message).join('\r\n')}\r\n`;
}
