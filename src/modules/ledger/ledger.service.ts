import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { AccountKind, AccountSpec, accountCode, accountSpecFor, TransactionType } from './chart-of-accounts';
import { LedgerAccountCache } from './ledger-account-cache';
import { ledgerError, transactionNotFound } from './ledger.errors';
import { LedgerRepository, PostItem } from './ledger.repository';
import { ContractFunds, LedgerAccountRow, LedgerOwner, PostedTransaction, PostLegsCommand } from './ledger.types';

interface PostingInput {
  accountId: string;
  /** Signed: debit positive, credit negative. */
  amount: Money;
}

interface PostTransactionCommand {
  type: TransactionType;
  postings: PostingInput[];
  /** Unique when given: a retried posting with the same reference happens once. */
  externalRef?: string;
  reversesId?: string;
  actor?: string | null;
  memo?: string;
  metadata?: Record<string, unknown>;
}

/**
 * The only way money moves. Every transaction balances to zero per currency (checked here,
 * in `ledger_post`, and by a database trigger), is append-only, and is idempotent on its
 * external reference. Overdrawing an account that may not go negative is 422
 * INSUFFICIENT_FUNDS and changes nothing. Writes run in the caller's transaction (`m`), so a
 * posting commits or rolls back with the use case's other writes.
 */
@Injectable()
export class LedgerService {
  private readonly ids = new LedgerAccountCache();
  /** The credit stripe of each database transaction (see `stripeFor`). */
  private readonly stripes = new WeakMap<EntityManager, number>();
  private nextHint = Math.floor(Math.random() * 64);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: LedgerRepository,
  ) {}

  // ---- named operations -------------------------------------------------------------

  /** Payment received for a contract: bank cash → contract held. */
  fundContract(m: EntityManager, owner: LedgerOwner, amount: Money, externalRef: string, memo?: string): Promise<PostedTransaction> {
    return this.postLegs(m, { type: 'funding', owner, externalRef, memo, legs: [{ from: 'bank_cash', to: 'contract_held', amount }] });
  }

  /** Money received that matches nothing (yet): bank cash → suspense. */
  holdInSuspense(m: EntityManager, owner: LedgerOwner, amount: Money, externalRef: string, memo?: string): Promise<PostedTransaction> {
    return this.postLegs(m, { type: 'funding', owner, externalRef, memo, legs: [{ from: 'bank_cash', to: 'suspense', amount }] });
  }

  /** Lessons delivered: contract held → institution unsettled. */
  release(m: EntityManager, owner: LedgerOwner, amount: Money, externalRef: string, memo?: string): Promise<PostedTransaction> {
    return this.postLegs(m, { type: 'release', owner, externalRef, memo, legs: [{ from: 'contract_held', to: 'institution_unsettled', amount }] });
  }

  /** A refund approved: contract held → refund payable (paid out when the bank executes it). */
  reserveRefund(m: EntityManager, owner: LedgerOwner, amount: Money, externalRef: string, memo?: string): Promise<PostedTransaction> {
    return this.postLegs(m, { type: 'refund', owner, externalRef, memo, legs: [{ from: 'contract_held', to: 'refund_payable', amount }] });
  }

  /**
   * A reconciliation difference, corrected by a regulator. Positive: the bank holds more than
   * the ledger said (bank cash up); negative: less (bank cash down, never below zero).
   */
  adjust(m: EntityManager, owner: LedgerOwner, amount: Money, externalRef: string, memo: string, actor: string | null): Promise<PostedTransaction> {
    if (amount.isZero()) throw new DomainError('INVALID_AMOUNT', 'An adjustment must not be zero', { field: 'amount' });
    const leg = amount.isPositive() ? { from: 'bank_cash' as const, to: 'bank_adjustment' as const, amount } : { from: 'bank_adjustment' as const, to: 'bank_cash' as const, amount: amount.negate() };
    return this.postLegs(m, { type: 'adjustment', owner, externalRef, memo, actor, legs: [leg] });
  }

  /**
   * The generic posting: each leg debits `from` and credits `to` of the owner's accounts
   * (opened on first use, in the caller's transaction). Legs touching the same account are
   * netted, so a chain such as unsettled → cash, paid_out → settled is one transaction.
   */
  async postLegs(m: EntityManager, cmd: PostLegsCommand): Promise<PostedTransaction> {
    if (!cmd.externalRef) throw new Error('postLegs needs an externalRef (it is what makes a retry safe)');
    if (cmd.legs.length === 0) throw ledgerError('UNBALANCED_TRANSACTION', { reason: 'no legs' });
    const currency = cmd.owner.currency;
    for (const leg of cmd.legs) {
      if (!leg.amount.isPositive()) throw new DomainError('INVALID_AMOUNT', 'A transfer amount must be positive', { field: 'amount', amount: leg.amount.toString() });
      if (leg.amount.currency !== currency) throw ledgerError('CURRENCY_MISMATCH', { ownerCurrency: currency, amountCurrency: leg.amount.currency });
      if (leg.from === leg.to) throw ledgerError('UNBALANCED_TRANSACTION', { reason: `a leg moves money from ${leg.from} to itself` });
    }
    const kinds = [...new Set(cmd.legs.flatMap((l) => [l.from, l.to]))];
    const specs = new Map(kinds.map((k) => [k, accountSpecFor(k, cmd.owner)]));
    const codes = [...specs.values()].map(accountCode);
    for (let attempt = 1; ; attempt++) {
      const ids = await this.accountIds(m, [...specs.values()], attempt === 1);
      const net = new Map<AccountKind, Money>();
      for (const leg of cmd.legs) {
        net.set(leg.from, (net.get(leg.from) ?? Money.zero(currency)).plus(leg.amount));
        net.set(leg.to, (net.get(leg.to) ?? Money.zero(currency)).minus(leg.amount));
      }
      const postings = [...net].filter(([, a]) => !a.isZero()).map(([k, amount]) => ({ accountId: ids.get(k)!, amount }));
      if (postings.length < 2) throw ledgerError('UNBALANCED_TRANSACTION', { reason: 'the legs cancel out' });
      const item = this.toItem({ type: cmd.type, externalRef: cmd.externalRef, memo: cmd.memo, actor: cmd.actor, metadata: cmd.metadata, postings }, m);
      const [result] = await this.repo.post(m, [item]);
      if (result.ok) return { id: result.id, replayed: result.replayed };
      if (result.error === 'LEDGER_ACCOUNT_NOT_FOUND' && attempt === 1) {
        // A cached id whose opening rolled back: open again (ledger_post wrote nothing).
        this.ids.evict(codes);
        continue;
      }
      throw ledgerError(result.error, result.details);
    }
  }

  /**
   * Ids of the accounts (kind → id). All from the cache, or all opened in ONE statement: a
   * transaction that took some insert locks in one statement and waited for others in the
   * next could close a lock cycle with another opening the same accounts.
   */
  private async accountIds(m: EntityManager, specs: AccountSpec[], useCache: boolean): Promise<Map<AccountKind, string>> {
    const out = new Map<AccountKind, string>();
    if (useCache) {
      for (const s of specs) {
        const id = this.ids.get(accountCode(s));
        if (id) out.set(s.type, id);
      }
      if (out.size === specs.length) return out;
      out.clear();
    }
    for (const row of await this.repo.openAccounts(m, specs)) {
      this.ids.set(row.code, row.id);
      out.set(row.type, row.id);
    }
    return out;
  }

  // ---- reads --------------------------------------------------------------------------

  /** Normal-side balance of the owner's account of `kind` (zero when it was never opened). */
  async balanceOf(kind: AccountKind, owner: LedgerOwner, m: EntityManager = this.ds.manager, asOf?: Date): Promise<Money> {
    const account = await this.repo.findAccountByCode(m, accountCode(accountSpecFor(kind, owner)));
    return account ? Money.fromDb(await this.repo.balance(m, account, asOf), account.currency) : Money.zero(owner.currency);
  }

  /** A contract's money by purpose (owner with contractId); all zero before its account opens. */
  async contractFunds(owner: LedgerOwner, m: EntityManager = this.ds.manager, asOf?: Date): Promise<ContractFunds> {
    const account = await this.repo.findAccountByCode(m, accountCode(accountSpecFor('contract_held', owner)));
    if (!account) {
      const zero = Money.zero(owner.currency);
      return { paidIn: zero, released: zero, refunded: zero, other: zero, held: zero };
    }
    return this.accountFunds(account, asOf, m);
  }

  /** paid in = released + refunded + other + held, to the cent (held from the balance, the rest from postings). */
  private async accountFunds(account: LedgerAccountRow, asOf?: Date, m: EntityManager = this.ds.manager): Promise<ContractFunds> {
    const b = await this.repo.contractBreakdown(m, account.id, asOf);
    const c = account.currency;
    // Credits to a credit-normal account are negative postings: flip to read them as money.
    const paidIn = Money.fromDb(b.funding, c).negate();
    const released = Money.fromDb(b.release, c);
    const refunded = Money.fromDb(b.refund, c);
    const other = Money.fromDb(b.other, c).negate();
    const held = Money.fromDb(await this.repo.balance(m, account, asOf), c);
    return { paidIn, released, refunded, other, held };
  }

  /** An institution's money in one currency: held for its contracts, released-unsettled, settled. */
  async institutionFunds(institutionId: string, currency = 'CNY', m: EntityManager = this.ds.manager): Promise<{ held: Money; unsettled: Money; settled: Money }> {
    const spec = (type: AccountKind) => accountCode({ type, institutionId, currency });
    const read = async (type: AccountKind) => {
      const a = await this.repo.findAccountByCode(m, spec(type));
      return a ? Money.fromDb(await this.repo.balance(m, a), currency) : Money.zero(currency);
    };
    return {
      held: Money.fromDb(await this.repo.heldForInstitution(m, institutionId, currency), currency),
      unsettled: await read('institution_unsettled'),
      settled: await read('institution_settled'),
    };
  }

  findAccount(id: string): Promise<LedgerAccountRow | null> {
    return this.repo.findAccount(this.ds.manager, id);
  }

  async balance(account: LedgerAccountRow, asOf?: Date): Promise<Money> {
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

  // ---- corrections --------------------------------------------------------------------

  /** Corrects a mistake: a new transaction with every posting negated, pointing at the original. */
  async reverse(transactionId: string, reason: string, actor: string | null, m?: EntityManager): Promise<PostedTransaction> {
    if (!m) return this.ds.transaction((tm) => this.reverse(transactionId, reason, actor, tm));
    const original = await this.repo.transaction(m, transactionId);
    if (!original) throw transactionNotFound(transactionId);
    if (original.type === 'reversal') throw new DomainError('CONFLICT', 'A reversal is not reversed; post the correction instead');
    if (original.reversedBy) throw ledgerError('ALREADY_REVERSED', { transactionId, reversedBy: original.reversedBy });
    return this.post(
      {
        type: 'reversal',
        reversesId: transactionId,
        externalRef: `reversal.${transactionId}`,
        actor,
        memo: reason,
        postings: original.postings.map((p) => ({ accountId: p.account_id, amount: Money.fromDb(p.amount, p.currency).negate() })),
      },
      m,
    );
  }

  /** One journal transaction, in the caller's database transaction. */
  private async post(cmd: PostTransactionCommand, m: EntityManager): Promise<PostedTransaction> {
    const [result] = await this.repo.post(m, [this.toItem(cmd, m)]);
    if (!result.ok) throw ledgerError(result.error, result.details);
    return { id: result.id, replayed: result.replayed };
  }

  /**
   * The stripe every credit of one database transaction lands on (and its chain: hint % 64), the
   * same within it. A transaction posting twice (a credit and its excess to suspense, a job
   * releasing a batch of lessons) then holds one stripe of an account, never a second one that a
   * debit (locking all stripes in order) may hold: that was a lock cycle, a deadlock answered 500.
   * Successive transactions take successive hints (from a random start per process), not random
   * ones: 16 callers drawing at random among 64 chains and 16 stripes met on a chain head or a
   * stripe in most rounds (a birthday collision), and the loser waited for the winner's commit,
   * WAL flush included. Consecutive hints keep the transactions in flight apart.
   */
  private stripeFor(m: EntityManager): number {
    if (!m.queryRunner) return this.takeHint();
    let stripe = this.stripes.get(m);
    if (stripe === undefined) this.stripes.set(m, (stripe = this.takeHint()));
    return stripe;
  }

  private takeHint(): number {
    const hint = this.nextHint;
    this.nextHint = (hint + 1) % 64;
    return hint;
  }

  private toItem(cmd: PostTransactionCommand, m: EntityManager): PostItem {
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
      stripe_hint: this.stripeFor(m),
      postings,
    };
  }
}
