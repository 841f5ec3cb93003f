import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import { Money } from '../../common/money/money';
import { AccountSpec, TransactionType } from './ledger-account-types';
import { LedgerBatcher } from './ledger-batcher';
import { accountNotFound, ledgerError, transactionNotFound } from './ledger.errors';
import { AccountRow, LedgerRepository, PostItem } from './ledger.repository';

export interface PostingInput {
  accountId: string;
  /** Signed: debit positive, credit negative. */
  amount: Money;
}

export interface PostTransactionCommand {
  type: TransactionType;
  postings: PostingInput[];
  /** Unique when given: a retried posting with the same reference happens once. */
  externalRef?: string;
  reversesId?: string;
  actor?: string | null;
  memo?: string;
  metadata?: Record<string, unknown>;
}

export interface PostedTransaction {
  id: string;
  replayed: boolean;
}

/** A transfer of a positive amount: debit `from`, credit `to`. */
export function transfer(from: string, to: string, amount: Money): PostingInput[] {
  return [
    { accountId: from, amount },
    { accountId: to, amount: amount.negate() },
  ];
}

/**
 * The only way money moves. Every transaction balances to zero per currency (checked here,
 * in `ledger_post`, and by a database trigger), is append-only, and is idempotent on its
 * external reference. Overdrawing an account that may not go negative is 422
 * INSUFFICIENT_FUNDS and changes nothing.
 */
@Injectable()
export class LedgerService {
  private readonly batcher: LedgerBatcher;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: LedgerRepository,
  ) {
    // Two batches in flight measured best on 2 cores (see README, ledger benchmark).
    this.batcher = new LedgerBatcher(ds, repo, 200, 2);
  }

  openAccounts(m: EntityManager, specs: AccountSpec[]): Promise<AccountRow[]> {
    return this.repo.openAccounts(m, specs);
  }

  async openAccount(m: EntityManager, spec: AccountSpec): Promise<AccountRow> {
    return (await this.repo.openAccounts(m, [spec]))[0];
  }

  private toItem(cmd: PostTransactionCommand): PostItem {
    if (cmd.postings.length < 2) throw ledgerError('UNBALANCED_TRANSACTION', { reason: 'fewer than two postings' });
    const sums = new Map<string, Money>();
    for (const p of cmd.postings) {
      if (p.amount.isZero()) throw new DomainError('INVALID_AMOUNT', 'A posting amount must not be zero');
      sums.set(p.amount.currency, (sums.get(p.amount.currency) ?? Money.zero(p.amount.currency)).plus(p.amount));
    }
    for (const [currency, sum] of sums) {
      if (!sum.isZero()) throw ledgerError('UNBALANCED_TRANSACTION', { currency, sum: sum.toString() });
    }
    // Lock order: postings sorted by account id, so parallel transfers cannot deadlock.
    const postings = [...cmd.postings]
      .sort((a, b) => (BigInt(a.accountId) < BigInt(b.accountId) ? -1 : BigInt(a.accountId) > BigInt(b.accountId) ? 1 : 0))
      .map((p) => ({ account_id: p.accountId, amount: p.amount.toString(), currency: p.amount.currency }));
    const requestHash = createHash('sha256')
      .update(JSON.stringify([cmd.type, cmd.reversesId ?? null, postings]))
      .digest('hex');
    return {
      type: cmd.type,
      external_ref: cmd.externalRef ?? null,
      request_hash: requestHash,
      reverses_id: cmd.reversesId ?? null,
      actor: cmd.actor ?? null,
      memo: cmd.memo ?? null,
      metadata: cmd.metadata ?? {},
      stripe_hint: 0,
      postings,
    };
  }

  /**
   * Posts inside the caller's database transaction (so the posting commits with the use
   * case's other writes, e.g. an outbox row), or on its own through the group-commit batcher.
   */
  async post(cmd: PostTransactionCommand, m?: EntityManager): Promise<PostedTransaction> {
    const item = this.toItem(cmd);
    const result = m ? (await this.repo.post(m, [{ ...item, stripe_hint: Math.floor(Math.random() * 64) }]))[0] : await this.batcher.submit(item);
    if (!result.ok) throw ledgerError(result.error, result.details);
    return { id: result.id, replayed: result.replayed };
  }

  /** Corrects a mistake: a new transaction with every posting negated, pointing at the original. */
  async reverse(transactionId: string, reason: string, actor: string | null): Promise<PostedTransaction> {
    const original = await this.repo.transaction(this.ds.manager, transactionId);
    if (!original) throw transactionNotFound(transactionId);
    if (original.type === 'reversal') throw new DomainError('CONFLICT', 'A reversal is not reversed; post the correction instead');
    if (original.reversedBy) throw ledgerError('ALREADY_REVERSED', { transactionId, reversedBy: original.reversedBy });
    return this.post({
      type: 'reversal',
      reversesId: transactionId,
      externalRef: `reversal.${transactionId}`,
      actor,
      memo: reason,
      postings: original.postings.map((p) => ({ accountId: p.account_id, amount: Money.fromDb(p.amount, p.currency).negate() })),
    });
  }

  async account(id: string): Promise<AccountRow> {
    const a = await this.repo.findAccount(this.ds.manager, id);
    if (!a) throw accountNotFound(id);
    return a;
  }

  async balance(account: AccountRow, asOf?: Date): Promise<Money> {
    return Money.fromDb(await this.repo.balance(this.ds.manager, account, asOf), account.currency);
  }

  postings(accountId: string, beforeId: string | null, limit: number) {
    return this.repo.postings(this.ds.manager, accountId, beforeId, limit);
  }

  async transaction(id: string) {
    const t = await this.repo.transaction(this.ds.manager, id);
    if (!t) throw transactionNotFound(id);
    return t;
  }

  /** paid in = released + refunded + held, to the cent (held from the balance, the rest from postings). */
  async contractBalance(account: AccountRow, asOf?: Date) {
    const b = await this.repo.contractBreakdown(this.ds.manager, account.id, asOf);
    const c = account.currency;
    // Credits to a credit-normal account are negative postings: flip to read them as money.
    const paidIn = Money.fromDb(b.funding, c).negate();
    const released = Money.fromDb(b.release, c);
    const refunded = Money.fromDb(b.refund, c);
    const other = Money.fromDb(b.other, c).negate();
    const held = await this.balance(account, asOf);
    return { paidIn, released, refunded, other, held };
  }

  async institutionBalances(institutionId: string) {
    const accounts = await this.repo.accountsOfInstitution(this.ds.manager, institutionId);
    const pick = async (type: string) => {
      const a = accounts.find((x) => x.type === type);
      return a ? this.balance(a) : Money.zero();
    };
    return {
      held: Money.fromDb(await this.repo.heldForInstitution(this.ds.manager, institutionId)),
      unsettled: await pick('institution_unsettled'),
      settled: await pick('institution_settled'),
      accounts,
    };
  }
}
