import { DomainError } from '@common/errors/domain-error';
import { StatementDto, StatementEntryDto, StatementImportDto, StatementSummaryDto } from './dto/statement.dto';
import { EntryRow, StatementFileRow, StatementRow } from './statements.repository';

export type ImportResult = StatementImportDto;
export type StatementView = StatementDto;

export const statementNotFound = (id: string) => new DomainError('STATEMENT_NOT_FOUND', `Statement ${id} not found`, { id });

/**
 * The answer to an import, built from the stored rows only (never from what was parsed), so a
 * repeat of the file answers exactly the same. Nothing that changes later (a successor) is in it.
 */
function summary(r: StatementRow): StatementSummaryDto {
  return {
    id: r.id,
    position: r.position,
    escrowAccountId: r.escrow_account_id,
    accountNumber: r.account_number,
    currency: r.currency,
    reference: r.reference,
    sequence: r.sequence,
    page: r.page,
    statementDate: r.statement_date,
    openingBalance: r.opening_balance,
    closingBalance: r.closing_balance,
    credits: r.credits,
    debits: r.debits,
    computedClosing: r.computed_closing,
    entries: r.entry_count,
    consistent: r.consistent,
    flag: r.flag,
    supersedesId: r.supersedes_id,
  };
}

export function toImportResult(file: StatementFileRow, rows: StatementRow[]): ImportResult {
  return { fileId: file.id, sha256: file.sha256, format: file.format, bytes: Number(file.byte_size), statements: rows.map(summary) };
}

function entry(e: EntryRow): StatementEntryDto {
  return {
    line: e.line,
    amount: e.amount,
    direction: e.direction,
    reversal: e.reversal,
    status: e.status,
    bookingDate: e.booking_date,
    valueDate: e.value_date,
    bankReference: e.bank_reference,
    customerReference: e.customer_reference,
    endToEndId: e.end_to_end_id,
    transactionId: e.transaction_id,
    transactionCode: e.transaction_code,
    details: e.details,
    transactions: e.transactions,
  };
}

export function toStatementView(r: StatementRow, entries: EntryRow[], limit: number): StatementView {
  return {
    ...summary(r),
    fileId: r.file_id,
    sha256: r.sha256,
    format: r.format,
    version: r.version,
    supersededById: r.superseded_by_id,
    info: r.info,
    receivedAt: r.created_at.toISOString(),
    entryPage: entries.map(entry),
    nextAfterLine: entries.length === limit ? entries[entries.length - 1].line : null,
  };
}
