import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { mayAccessBank, requireInstitutionAccess } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { OutboxService } from '@infra/outbox/outbox.service';
import { JobName, jobId } from '@infra/queues/queue.constants';
import { BanksService } from '@modules/banks/banks.service';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { bufferStream, openStatementStream, StatementParseError, StatementStream } from './parsers';
import { signed, StatementEntry, StatementHeader, StatementSummary } from './statement.model';
import { EntryRow, StatementRow, StatementsRepository } from './statements.repository';
export type { EntryRow, StatementRow } from './statements.repository';
import { statementNotFound, toImportResult, toStatementView, type ImportResult, type StatementView } from './statements.views';

/** Who delivers a file: a bank's key over HTTP, or an admin with the CLI naming the bank. */
export interface StatementSource {
  bankCode: string;
  receivedBy: string;
}

/** The bytes of a file, readable as often as needed (a buffer, or a file on disk). */
interface StatementBytes {
  size: number;
  open(): Readable;
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of stream) hash.update(piece as Buffer);
  return hash.digest('hex');
}

/** The stream re-cut into pieces of exactly `size` bytes (the last one shorter). */
async function* inPieces(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  for await (const piece of stream) {
    let rest = piece as Buffer;
    while (heldBytes + rest.length >= size) {
      const take = size - heldBytes;
      yield Buffer.concat([...held, rest.subarray(0, take)]);
      rest = rest.subarray(take);
      held = [];
      heldBytes = 0;
    }
    if (rest.length) {
      held.push(rest);
      heldBytes += rest.length;
    }
  }
  if (heldBytes) yield Buffer.concat(held);
}

/** Entries are written in batches of this many rows, or fewer when their text is long (memory stays flat). */
const ENTRY_BATCH = 2000;
const ENTRY_BATCH_BYTES = 4 * 1024 * 1024;
/** The raw file is kept in pieces of this size. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Statements in (issue 13): a bank's file is parsed as a stream and stored with its raw bytes and
 * SHA-256, all in one transaction, so a refusal (unreadable file, an account that is not an
 * escrow account of this bank, another currency) stores nothing. The same file again answers with
 * what the first import stored; a statement for an account, day and page that already has one
 * supersedes it (both stay). A statement whose own arithmetic fails is stored and flagged
 * STATEMENT_INCONSISTENT.
 */
@Injectable()
export class StatementsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: StatementsRepository,
    private readonly escrow: EscrowAccountsService,
    private readonly institutions: InstitutionsService,
    private readonly banks: BanksService,
    private readonly outbox: OutboxService,
  ) {}

  async import(source: StatementSource, body: Buffer): Promise<{ result: ImportResult; replayed: boolean }> {
    return this.importBytes(source, { size: body.length, open: () => bufferStream(body) });
  }

  /**
   * A file on disk (the CLI): read as a stream three times (its SHA-256, its raw chunks, its statements),
   * so a 200 MB file never sits in memory whole.
   */
  async importFile(source: StatementSource, path: string): Promise<{ result: ImportResult; replayed: boolean }> {
    return this.importBytes(source, { size: (await stat(path)).size, open: () => createReadStream(path, { highWaterMark: 256 * 1024 }) });
  }

  private async importBytes(source: StatementSource, bytes: StatementBytes): Promise<{ result: ImportResult; replayed: boolean }> {
    if (!(await this.banks.exists(source.bankCode))) throw new DomainError('BANK_NOT_FOUND', `Bank ${source.bankCode} is not registered`, { bankCode: source.bankCode });
    if (bytes.size === 0) throw new StatementParseError('the file is empty', 'line 1').toDomainError(null);
    const sha256 = await sha256Of(bytes.open());
    return this.ds.transaction(async (m) => {
      await this.repo.lockBank(m, source.bankCode);
      const first = await this.repo.findFile(m, source.bankCode, sha256);
      if (first) return { result: toImportResult(first, await this.repo.statementsOfFile(m, first.id)), replayed: true };
      let stream: StatementStream | null = null;
      try {
        stream = await openStatementStream(bytes.open());
        const chunks = Math.ceil(bytes.size / CHUNK_BYTES);
        const fileId = await this.repo.insertFile(m, { bankCode: source.bankCode, sha256, format: stream.format, byteSize: bytes.size, chunks, receivedBy: source.receivedBy });
        let seq = 0;
        for await (const chunk of inPieces(bytes.open(), CHUNK_BYTES)) await this.repo.insertChunk(m, fileId, seq++, chunk);
        // The file changed between the passes (a file on disk being rewritten): refuse rather than keep a mismatch.
        if (seq !== chunks) throw new DomainError('STATEMENT_UNREADABLE', 'The file changed while it was being imported', { at: 'file' });
        await this.store(m, source.bankCode, fileId, stream);
        const file = (await this.repo.findFile(m, source.bankCode, sha256))!;
        return { result: toImportResult(file, await this.repo.statementsOfFile(m, fileId)), replayed: false };
      } catch (err) {
        if (err instanceof StatementParseError) throw err.toDomainError(stream?.format ?? null);
        throw err;
      }
    });
  }

  private async store(m: EntityManager, bankCode: string, fileId: string, stream: StatementStream): Promise<void> {
    let current: { id: string; escrowAccountId: string; header: StatementHeader; pending: StatementEntry[]; pendingBytes: number } | null = null;
    for await (const events of stream.events) {
      for (const ev of events) {
        if (ev.kind === 'start') {
          current = { id: randomUUID(), escrowAccountId: await this.account(m, bankCode, ev.header), header: ev.header, pending: [], pendingBytes: 0 };
        } else if (ev.kind === 'entry') {
          current!.pending.push(ev.entry);
          current!.pendingBytes += (ev.entry.details?.length ?? 0) + 200;
          if (current!.pending.length >= ENTRY_BATCH || current!.pendingBytes >= ENTRY_BATCH_BYTES) {
            await this.repo.insertEntries(m, current!.id, current!.pending);
            current!.pending = [];
            current!.pendingBytes = 0;
          }
        } else {
          const c = current!;
          await this.repo.insertEntries(m, c.id, c.pending);
          await this.finish(m, bankCode, fileId, c, ev.summary);
          current = null;
        }
      }
    }
  }

  private async finish(m: EntityManager, bankCode: string, fileId: string, c: { id: string; escrowAccountId: string; header: StatementHeader }, summary: StatementSummary): Promise<void> {
    const supersedesId = await this.repo.current(m, c.escrowAccountId, summary.statementDate, c.header.page);
    await this.repo.insertStatement(m, {
      id: c.id,
      fileId,
      bankCode,
      escrowAccountId: c.escrowAccountId,
      header: c.header,
      summary,
      opening: signed(c.header.opening, c.header.currency).toString(),
      closing: signed(summary.closing, c.header.currency).toString(),
      supersedesId,
    });
    // Reconciled by a queued job, which exists if and only if the statement commits.
    await this.outbox.enqueue(m, JobName.ReconcileStatement, { statementId: c.id }, jobId('reconcile', c.id));
  }

  /** The escrow account a statement is for: one of this bank's, in the statement's currency. */
  private async account(m: EntityManager, bankCode: string, h: StatementHeader): Promise<string> {
    const account = await this.escrow.findByBankAccount(m, bankCode, h.accountNumber);
    if (!account) {
      throw new DomainError('ESCROW_ACCOUNT_NOT_FOUND', `Statement ${h.position} (${h.at}) is for account ${h.accountNumber}, which is not an escrow account at bank ${bankCode}`, {
        statement: h.position,
        accountNumber: h.accountNumber,
      });
    }
    if (account.currency !== h.currency) {
      throw new DomainError('STATEMENT_CURRENCY_MISMATCH', `Statement ${h.position} (${h.at}) is in ${h.currency}; escrow account ${h.accountNumber} is in ${account.currency}`, {
        statement: h.position,
        accountNumber: h.accountNumber,
        statementCurrency: h.currency,
        accountCurrency: account.currency,
      });
    }
    return account.id;
  }

  // ---- reads for reconciliation (internal, no caller scope) ----------------------------

  find(m: EntityManager, id: string): Promise<StatementRow | null> {
    return this.repo.findStatement(m, id);
  }

  /** A page of a statement's entries after `afterLine`, in line order. */
  entries(m: EntityManager, statementId: string, afterLine: number, limit: number): Promise<EntryRow[]> {
    return this.repo.entries(m, statementId, afterLine, limit);
  }

  entriesAt(m: EntityManager, keys: { statementId: string; line: number }[]): Promise<(EntryRow & { statement_id: string })[]> {
    return this.repo.entriesAt(m, keys);
  }

  /** The statement before this one on the account (the latest current one before its day and page). */
  previous(m: EntityManager, escrowAccountId: string, day: string, page: number): Promise<StatementRow | null> {
    return this.repo.previous(m, escrowAccountId, day, page);
  }

  accountsWithStatement(m: EntityManager, escrowAccountIds: string[], day: string): Promise<string[]> {
    return escrowAccountIds.length === 0 ? Promise.resolve([]) : this.repo.accountsWithStatement(m, escrowAccountIds, day);
  }

  /** One statement with a page of its entries: the bank that sent it, admins, and the regulators of the account's district. */
  async get(who: Principal, id: string, afterLine = 0, limit = 1000): Promise<StatementView> {
    const m = this.ds.manager;
    const row = await this.repo.findStatement(m, id);
    if (!row || !(await this.visible(who, row, m))) throw statementNotFound(id);
    const entries: EntryRow[] = await this.repo.entries(m, id, afterLine, limit);
    return toStatementView(row, entries, limit);
  }

  private async visible(who: Principal, row: StatementRow, m: EntityManager): Promise<boolean> {
    if (who.role === 'bank' || who.role === 'institution') return mayAccessBank(who, row.bank_code);
    const account = await this.escrow.find(m, row.escrow_account_id);
    const institution = account ? await this.institutions.findById(m, account.institutionId) : null;
    try {
      requireInstitutionAccess(who, institution, 'read');
      return true;
    } catch {
      return false;
    }
  }
}
