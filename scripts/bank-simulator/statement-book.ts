import { closingOf } from './statement-amounts';
import { BookLine, DailyStatement } from './statement-types';

const SHANGHAI = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The China-time day of an instant: the bank's business day. */
export const chinaDay = (at: Date): string => SHANGHAI.format(at);

const dayBefore = (day: string): string => new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

interface Produced {
  date: string;
  sequence: number;
  openingDate: string;
  opening: string;
  /** The closing as the bank wrote it (faults included): the next statement opens with it. */
  closing: string;
}

interface Account {
  accountNumber: string;
  accountName: string | null;
  currency: string;
  lines: BookLine[];
  produced: Produced[];
}

/**
 * The simulated bank's book of its escrow accounts: every credit it notified and every movement it
 * executed, in booking order, and the statements it produced. A statement opens with the previous
 * one's closing (as written: a booking fault stays in the bank's balance until corrected) and takes
 * the next sequence number; a day not sent (skipped) still takes its number, as a bank that produced
 * it and failed to deliver it would. Producing the latest day again gives a corrected statement
 * (same sequence and opening).
 */
export class StatementBook {
  private readonly accounts = new Map<string, Account>();

  constructor(readonly bankCode: string) {}

  book(accountNumber: string, currency: string, line: BookLine, accountName: string | null = null): void {
    let a = this.accounts.get(accountNumber);
    if (!a) {
      a = { accountNumber, accountName, currency, lines: [], produced: [] };
      this.accounts.set(accountNumber, a);
    }
    if (a.currency !== currency) throw new Error(`account ${accountNumber} is in ${a.currency}, not ${currency}`);
    a.accountName ??= accountName;
    a.lines.push(line);
  }

  accountNumbers(): string[] {
    return [...this.accounts.keys()].sort();
  }

  /** The lines booked on an account on a day, in booking order. */
  lines(accountNumber: string, date: string): BookLine[] {
    return (this.accounts.get(accountNumber)?.lines ?? []).filter((l) => l.bookingDate === date);
  }

  /** The day's true statement of an account (nothing recorded until `commit`). */
  statement(accountNumber: string, date: string, createdAt: Date): DailyStatement {
    const a = this.accounts.get(accountNumber);
    if (!a) throw new Error(`the bank ${this.bankCode} has no account ${accountNumber}`);
    const last = a.produced[a.produced.length - 1];
    let base: Omit<Produced, 'closing' | 'date'>;
    if (last && last.date === date) base = last; // a correction of the latest day
    else if (last && last.date > date) throw new Error(`account ${accountNumber} already has a statement for ${last.date}: statements go forward (only the latest day can be sent again)`);
    else {
      // Days in between without a statement still moved the balance.
      const between = last ? a.lines.filter((l) => l.bookingDate > last.date && l.bookingDate < date) : a.lines.filter((l) => l.bookingDate < date);
      base = {
        sequence: (last?.sequence ?? 0) + 1,
        openingDate: last?.date ?? dayBefore(date),
        opening: closingOf(last?.closing ?? '0', between, a.currency),
      };
    }
    const lines = this.lines(accountNumber, date);
    return {
      bankCode: this.bankCode,
      accountNumber,
      accountName: a.accountName,
      currency: a.currency,
      sequence: base.sequence,
      date,
      openingDate: base.openingDate,
      opening: base.opening,
      closing: closingOf(base.opening, lines, a.currency),
      lines,
      createdAt,
    };
  }

  /** Records a produced statement (sent or skipped) with the closing it was written with. */
  commit(s: Pick<DailyStatement, 'accountNumber' | 'date' | 'sequence' | 'openingDate' | 'opening' | 'closing'>): void {
    const a = this.accounts.get(s.accountNumber)!;
    const last = a.produced[a.produced.length - 1];
    const row: Produced = { date: s.date, sequence: s.sequence, openingDate: s.openingDate, opening: s.opening, closing: s.closing };
    if (last && last.date === s.date) a.produced[a.produced.length - 1] = row;
    else a.produced.push(row);
  }
}
