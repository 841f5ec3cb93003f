import { Money } from '@common/money/money';
import { BookLine } from './statement-types';

/** Exact amount arithmetic of the simulator's statements: `Money` (decimal.js), never a JS number. */
export const money = (amount: string, currency: string): Money => Money.fromDb(amount, currency);

export const signedLine = (l: BookLine, currency: string): Money => (l.direction === 'CRDT' ? money(l.amount, currency) : money(l.amount, currency).negate());

/** opening + signed lines, as the bank's closing balance. */
export function closingOf(opening: string, lines: BookLine[], currency: string): string {
  return lines.reduce((acc, l) => acc.plus(signedLine(l, currency)), money(opening, currency)).toString();
}

/** Count and sum (unsigned) of the lines of one direction, or of all lines. */
export function totalsOf(lines: BookLine[], currency: string, direction?: BookLine['direction']): { count: number; sum: string } {
  const chosen = direction ? lines.filter((l) => l.direction === direction) : lines;
  return { count: chosen.length, sum: Money.sum(chosen.map((l) => money(l.amount, currency)), currency).toString() };
}

/** An amount with the currency's minor units ("300" → "300.00"), checked as the API checks amounts. */
export const normalised = (amount: string, currency: string): string => Money.parse(amount, currency).toString();
