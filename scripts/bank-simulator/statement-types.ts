/**
 * What the simulated bank knows about its escrow accounts and what it writes on a statement. The
 * writers (camt053-writer.ts, mt940-writer.ts) and the faults (statement-faults.ts) are pure
 * functions of these records; only the book (statement-book.ts) keeps state.
 */
export type StatementDirection = 'CRDT' | 'DBIT';
export type StatementFileFormat = 'camt053' | 'mt940';

/** One booking on an escrow account, as the bank sees it. Amounts are exact decimal strings. */
export interface BookLine {
  direction: StatementDirection;
  /** Unsigned, written with the currency's minor units ("231.48"). */
  amount: string;
  /** The bank's own id (16 characters at most: MT940's `//` reference and camt's `AcctSvcrRef`). */
  bankTransactionId: string;
  /** The instruction's end-to-end reference; null for a credit (a payment in, no instruction). */
  endToEndRef: string | null;
  bookedAt: Date;
  /** China-time day of `bookedAt`: the statement the line belongs to. */
  bookingDate: string;
  valueDate: string;
  /** Remittance text (`:86:`, `AddtlNtryInf`), e.g. the instruction's remittanceInformation. */
  details: string;
  counterparty: { bank?: string; accountNumber?: string | null; accountName?: string } | null;
}

/** A day's statement of one account. `opening` and `closing` are signed (credit positive). */
export interface DailyStatement {
  bankCode: string;
  accountNumber: string;
  accountName: string | null;
  currency: string;
  sequence: number;
  /** The business day (China time) of the bookings, also the closing balance date. */
  date: string;
  /** Date of the opening balance: the previous statement's day. */
  openingDate: string;
  opening: string;
  closing: string;
  lines: BookLine[];
  createdAt: Date;
}

/**
 * Faults a test or the demo injects on purpose. `line` is 1-based in the day's true statement
 * (default: its last line); `reference` (bank transaction id or end-to-end ref) picks a line
 * instead. The statement stays consistent (its closing is recomputed from the lines written, as
 * a bank that booked it so would write it) unless `keepClosing` keeps the true closing, which
 * makes the statement's own arithmetic fail.
 */
export type StatementFault =
  | { type: 'drop-line'; account: string; line?: number; reference?: string; keepClosing?: boolean }
  | { type: 'double-line'; account: string; line?: number; reference?: string; keepClosing?: boolean }
  | { type: 'change-amount'; account: string; line?: number; reference?: string; keepClosing?: boolean; amount?: string }
  | { type: 'skip-statement'; account: string };

export type StatementFaultType = StatementFault['type'];

/** What a fault did, so a caller can tell what the reconciliation must find. */
export interface AppliedFault {
  type: StatementFaultType;
  account: string;
  /** Line of the true statement it hit (null for a skipped statement). */
  line: number | null;
  direction: StatementDirection | null;
  bankTransactionId: string | null;
  endToEndRef: string | null;
  /** The true amount of the line. */
  amount: string | null;
  /** The amount written instead (change-amount). */
  writtenAmount: string | null;
  keepClosing: boolean;
}
