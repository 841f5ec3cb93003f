import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { StatementEntry, StatementFormat, StatementHeader, StatementSummary } from './statement.model';

export interface NewStatementFile {
  bankCode: string;
  sha256: string;
  format: StatementFormat;
  byteSize: number;
  chunks: number;
  receivedBy: string;
}

export interface NewStatement {
  id: string;
  fileId: string;
  bankCode: string;
  escrowAccountId: string;
  header: StatementHeader;
  summary: StatementSummary;
  opening: string;
  closing: string;
  supersedesId: string | null;
}

export interface StatementFileRow {
  id: string;
  bank_code: string;
  sha256: string;
  format: StatementFormat;
  byte_size: string;
  received_at: Date;
}

export interface StatementRow {
  id: string;
  file_id: string;
  position: number;
  bank_code: string;
  escrow_account_id: string;
  account_number: string;
  currency: string;
  format: StatementFormat;
  version: string | null;
  reference: string;
  sequence: string | null;
  page: number;
  statement_date: string;
  opening_balance: string;
  opening_date: string | null;
  closing_balance: string;
  closing_date: string | null;
  credits: string;
  debits: string;
  computed_closing: string;
  entry_count: number;
  consistent: boolean;
  flag: string | null;
  info: string | null;
  supersedes_id: string | null;
  superseded_by_id: string | null;
  sha256: string;
  created_at: Date;
}

export interface EntryRow {
  line: number;
  amount: string;
  direction: 'CRDT' | 'DBIT';
  reversal: boolean;
  status: string;
  booking_date: string | null;
  value_date: string | null;
  bank_reference: string | null;
  customer_reference: string | null;
  end_to_end_id: string | null;
  transaction_id: string | null;
  transaction_code: string | null;
  details: string | null;
  transactions: unknown[];
}

const ENTRY_COLUMNS = `e.line, e.amount::text, e.direction, e.reversal, e.status, e.booking_date::text, e.value_date::text, e.bank_reference,
  e.customer_reference, e.end_to_end_id, e.transaction_id, e.transaction_code, e.details, e.transactions`;

const STATEMENT_COLUMNS = `s.id, s.file_id, s.position, s.bank_code, s.escrow_account_id, s.account_number, s.currency, s.format, s.version, s.reference,
  s.sequence, s.page, s.statement_date::text, s.opening_balance::text, s.opening_date::text, s.closing_balance::text, s.closing_date::text,
  s.credits::text, s.debits::text, s.computed_closing::text, s.entry_count, s.consistent, s.flag, s.info, s.supersedes_id,
  (SELECT n.id FROM bank_statements n WHERE n.supersedes_id = s.id) AS superseded_by_id, f.sha256, s.created_at`;

/** The only writer of `bank_statement_files`, `bank_statement_file_chunks`, `bank_statements` and `bank_statement_entries`. */
@Injectable()
export class StatementsRepository {
  /**
   * One import per bank at a time (until commit): a repeat of a file then finds the first one, and
   * two corrections of one account-day cannot both supersede it. Per bank rather than per
   * account-day, because a streamed file meets its accounts in its own order (no deadlocks).
   */
  async lockBank(m: EntityManager, bankCode: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('bank-statements:' || $1, 0))`, [bankCode]);
  }

  async findFile(m: EntityManager, bankCode: string, sha256: string): Promise<StatementFileRow | null> {
    const rows: StatementFileRow[] = await m.query(`SELECT id, bank_code, sha256, format, byte_size::text, received_at FROM bank_statement_files WHERE bank_code = $1 AND sha256 = $2`, [bankCode, sha256]);
    return rows[0] ?? null;
  }

  async insertFile(m: EntityManager, f: NewStatementFile): Promise<string> {
    const rows: { id: string }[] = await m.query(
      `INSERT INTO bank_statement_files (bank_code, sha256, format, byte_size, chunks, received_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [f.bankCode, f.sha256, f.format, f.byteSize, f.chunks, f.receivedBy],
    );
    return rows[0].id;
  }

  async insertChunk(m: EntityManager, fileId: string, seq: number, bytes: Buffer): Promise<void> {
    await m.query(`INSERT INTO bank_statement_file_chunks (file_id, seq, bytes) VALUES ($1, $2, $3)`, [fileId, seq, bytes]);
  }

  /** The statement of that account, day and page that nothing has superseded yet. */
  async current(m: EntityManager, escrowAccountId: string, day: string, page: number): Promise<string | null> {
    const rows: { id: string }[] = await m.query(
      `SELECT s.id FROM bank_statements s WHERE s.escrow_account_id = $1 AND s.statement_date = $2 AND s.page = $3
         AND NOT EXISTS (SELECT 1 FROM bank_statements n WHERE n.supersedes_id = s.id)`,
      [escrowAccountId, day, page],
    );
    return rows[0]?.id ?? null;
  }

  /** Entries in one statement per batch (arrays unnested), before their statement row: the key is deferred to commit. */
  async insertEntries(m: EntityManager, statementId: string, entries: StatementEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const col = <T>(f: (e: StatementEntry) => T) => entries.map(f);
    await m.query(
      `INSERT INTO bank_statement_entries (statement_id, line, amount, direction, reversal, status, booking_date, value_date, bank_reference,
         customer_reference, end_to_end_id, transaction_id, transaction_code, details, transactions)
       SELECT $1, * FROM unnest($2::int[], $3::numeric[], $4::text[], $5::boolean[], $6::text[], $7::date[], $8::date[], $9::text[],
         $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::jsonb[])`,
      [
        statementId,
        col((e) => e.line),
        col((e) => e.amount),
        col((e) => e.direction),
        col((e) => e.reversal),
        col((e) => e.status),
        col((e) => e.bookingDate),
        col((e) => e.valueDate),
        col((e) => e.bankReference),
        col((e) => e.customerReference),
        col((e) => e.endToEndId),
        col((e) => e.transactionId),
        col((e) => e.transactionCode),
        col((e) => e.details),
        col((e) => JSON.stringify(e.transactions)),
      ],
    );
  }

  async insertStatement(m: EntityManager, s: NewStatement): Promise<void> {
    const h = s.header;
    const sum = s.summary;
    await m.query(
      `INSERT INTO bank_statements (id, file_id, position, bank_code, escrow_account_id, account_number, currency, format, version, reference, sequence, page,
         statement_date, opening_balance, opening_date, closing_balance, closing_date, credits, debits, computed_closing, entry_count, consistent, flag, info, supersedes_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)`,
      [
        s.id, s.fileId, h.position, s.bankCode, s.escrowAccountId, h.accountNumber, h.currency, h.format, h.version, h.reference, h.sequence, h.page,
        sum.statementDate, s.opening, h.opening.date, s.closing, sum.closing.date, sum.credits, sum.debits, sum.computedClosing, sum.entries, sum.consistent,
        sum.consistent ? null : 'STATEMENT_INCONSISTENT', sum.info, s.supersedesId,
      ],
    );
  }

  async statementsOfFile(m: EntityManager, fileId: string): Promise<StatementRow[]> {
    return m.query(`SELECT ${STATEMENT_COLUMNS} FROM bank_statements s JOIN bank_statement_files f ON f.id = s.file_id WHERE s.file_id = $1 ORDER BY s.position`, [fileId]);
  }

  async findStatement(m: EntityManager, id: string): Promise<StatementRow | null> {
    const rows: StatementRow[] = await m.query(`SELECT ${STATEMENT_COLUMNS} FROM bank_statements s JOIN bank_statement_files f ON f.id = s.file_id WHERE s.id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** Entries named by (statement, line), in one query (reconciliation retries earlier unmatched lines). */
  async entriesAt(m: EntityManager, keys: { statementId: string; line: number }[]): Promise<(EntryRow & { statement_id: string })[]> {
    if (keys.length === 0) return [];
    return m.query(
      `SELECT e.statement_id, ${ENTRY_COLUMNS}
         FROM unnest($1::uuid[], $2::int[]) AS k(statement_id, line)
         JOIN bank_statement_entries e ON e.statement_id = k.statement_id AND e.line = k.line`,
      [keys.map((k) => k.statementId), keys.map((k) => k.line)],
    );
  }

  /** The latest statement of the account before (day, page) that nothing has superseded. */
  async previous(m: EntityManager, escrowAccountId: string, day: string, page: number): Promise<StatementRow | null> {
    const rows: StatementRow[] = await m.query(
      `SELECT ${STATEMENT_COLUMNS} FROM bank_statements s JOIN bank_statement_files f ON f.id = s.file_id
        WHERE s.escrow_account_id = $1 AND (s.statement_date, s.page) < ($2::date, $3::int)
          AND NOT EXISTS (SELECT 1 FROM bank_statements n WHERE n.supersedes_id = s.id)
        ORDER BY s.statement_date DESC, s.page DESC LIMIT 1`,
      [escrowAccountId, day, page],
    );
    return rows[0] ?? null;
  }

  /** Escrow accounts (of those given) that have a statement for the day. */
  async accountsWithStatement(m: EntityManager, escrowAccountIds: string[], day: string): Promise<string[]> {
    const rows: { id: string }[] = await m.query(
      `SELECT DISTINCT escrow_account_id AS id FROM bank_statements WHERE escrow_account_id = ANY($1::uuid[]) AND statement_date = $2`,
      [escrowAccountIds, day],
    );
    return rows.map((r) => r.id);
  }

  async entries(m: EntityManager, statementId: string, afterLine: number, limit: number): Promise<EntryRow[]> {
    return m.query(
      `SELECT line, amount::text, direction, reversal, status, booking_date::text, value_date::text, bank_reference, customer_reference, end_to_end_id,
         transaction_id, transaction_code, details, transactions
       FROM bank_statement_entries WHERE statement_id = $1 AND line > $2 ORDER BY line LIMIT $3`,
      [statementId, afterLine, limit],
    );
  }
}
