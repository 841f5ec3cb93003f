import { writeCamt053, statementId } from './camt053-writer';
import { writeMt940 } from './mt940-writer';
import { totalsOf } from './statement-amounts';
import { chinaDay, StatementBook } from './statement-book';
import { applyFaults } from './statement-faults';
import { AppliedFault, DailyStatement, StatementFault, StatementFileFormat } from './statement-types';

export interface SendStatementsOptions {
  /** Business day (China time); today by default. */
  date?: string;
  format: StatementFileFormat;
  /** Escrow account numbers; every account of the book by default. */
  accounts?: string[];
  faults?: StatementFault[];
}

export interface SentStatement {
  accountNumber: string;
  reference: string;
  sequence: number;
  opening: string;
  /** As written (a fault may change it). */
  closing: string;
  entries: number;
  credits: string;
  debits: string;
  skipped: boolean;
  faults: AppliedFault[];
}

export interface StatementFile {
  date: string;
  format: StatementFileFormat;
  /** The file's text; null when every statement was skipped. */
  file: string | null;
  statements: SentStatement[];
  /** What the book records once the file is delivered (skipped statements included). */
  produced: DailyStatement[];
}

export const STATEMENT_FORMATS: StatementFileFormat[] = ['camt053', 'mt940'];
const FAULT_TYPES = ['drop-line', 'double-line', 'change-amount', 'skip-statement'];

/**
 * A day's statement file of some accounts with the faults asked for: the true statements from the
 * book, the faults applied, then the format's writer. Nothing is recorded here (`produced` is
 * committed by the caller once the bank delivered the file).
 */
export function statementFile(book: StatementBook, o: SendStatementsOptions, createdAt: Date): StatementFile {
  if (!STATEMENT_FORMATS.includes(o.format)) throw new Error(`format must be one of ${STATEMENT_FORMATS.join(', ')}`);
  const date = o.date ?? chinaDay(createdAt);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`date ${date} is not YYYY-MM-DD`);
  const known = book.accountNumbers();
  const accounts = o.accounts ?? known;
  const faults = o.faults ?? [];
  for (const a of accounts) if (!known.includes(a)) throw new Error(`the bank has no account ${a}`);
  for (const f of faults) {
    if (!FAULT_TYPES.includes(f.type)) throw new Error(`unknown fault ${String(f.type)} (one of ${FAULT_TYPES.join(', ')})`);
    if (!accounts.includes(f.account)) throw new Error(`fault ${f.type} names account ${f.account}, which is not in this file`);
  }
  const written: DailyStatement[] = [];
  const produced: DailyStatement[] = [];
  const statements: SentStatement[] = [];
  for (const account of accounts) {
    const truth = book.statement(account, date, createdAt);
    const { statement, applied } = applyFaults(truth, faults);
    const s = statement ?? truth;
    if (statement) written.push(statement);
    produced.push(s);
    statements.push({
      accountNumber: account,
      reference: statementId(s),
      sequence: s.sequence,
      opening: s.opening,
      closing: s.closing,
      entries: s.lines.length,
      credits: totalsOf(s.lines, s.currency, 'CRDT').sum,
      debits: totalsOf(s.lines, s.currency, 'DBIT').sum,
      skipped: statement === null,
      faults: applied,
    });
  }
  const file = written.length === 0 ? null : o.format === 'camt053' ? writeCamt053(written) : writeMt940(written);
  return { date, format: o.format, file, statements, produced };
}

/** The content type the service takes a statement file with (src/modules/statements/statement-body.ts). */
export const contentTypeOf = (format: StatementFileFormat): string => (format === 'camt053' ? 'application/xml' : 'text/plain');
