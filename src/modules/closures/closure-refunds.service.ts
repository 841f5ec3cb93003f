import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { ContractsService } from '@modules/contracts/contracts.service';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LedgerOwner } from '@modules/ledger/ledger.types';
import { MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { RefundsService } from '@modules/refunds/refunds.service';
import { ClosureRow, ClosuresRepository, PlanRow } from './closures.repository';
import { ClosureTransfersRepository } from './closure-transfers.repository';
import { proRata } from './pro-rata';

/** Contracts a closure refunds: those that may still consume lessons or be paid into. */
export const OPEN_STATES = ['awaiting_payment', 'active'] as const;

class AlreadyProcessed extends Error {}

/**
 * The bulk refunds of a closure. The first run writes the **refund plan** once: each open
 * contract's claim (its lessons not delivered, computed as for any refund) and what it is paid.
 * The money available to payers is the escrow account's bank cash less what is already owed to
 * others (refunds and transfers instructed, suspense) and less releases on their way out; refunds
 * rank before the institution, so money released but not paid out (institution unsettled, failed
 * releases included) is part of it. When it covers every claim, each payer gets the whole claim;
 * otherwise each gets an exact pro rata share (`proRata`) and the rest is recorded as owed.
 * Each contract is then refunded in its own transaction, recorded once in `closure_contracts`.
 */
@Injectable()
export class ClosureRefundsService {
  private readonly logger = new Logger(ClosureRefundsService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: ClosuresRepository,
    private readonly transfers: ClosureTransfersRepository,
    private readonly escrowAccounts: EscrowAccountsService,
    private readonly contracts: ContractsService,
    private readonly refunds: RefundsService,
    private readonly ledger: LedgerService,
    private readonly movements: MoneyMovementsService,
  ) {}

  /**
   * Refunds the open contracts not yet processed, each in its own transaction (at most `limit`,
   * for tests that stop a run in the middle). A contract whose transfer is under way waits for it.
   */
  async processRefunds(closureId: string, limit = Number.POSITIVE_INFINITY): Promise<{ processed: number; remaining: number }> {
    const closure = await this.repo.find(this.ds.manager, closureId);
    if (!closure || closure.state !== 'refunding') return { processed: 0, remaining: 0 };
    const plan = await this.ensurePlan(closure);
    const planned = (await this.repo.find(this.ds.manager, closureId))!;
    const done = await this.repo.processed(this.ds.manager, closureId);
    const transferring = await this.transfers.openContractIds(this.ds.manager, closureId);
    const open = new Set(await this.contracts.idsInStates(closure.institution_id, [...OPEN_STATES]));
    // The plan's order first (contracts giving money to the pool before those taking from it), then any other.
    const byContract = new Map(plan.map((p) => [p.contract_id, p]));
    const ordered = [...plan.map((p) => p.contract_id).filter((id) => open.has(id)), ...[...open].filter((id) => !byContract.has(id))];
    const todo = ordered.filter((id) => !done.has(id) && !transferring.has(id));
    let processed = 0;
    for (const contractId of todo) {
      if (processed >= limit) break;
      if (await this.processOne(planned, contractId, byContract.get(contractId) ?? null)) processed += 1;
    }
    const remaining = todo.length - processed + transferring.size;
    if (remaining === 0) await this.repo.markRefundsDone(this.ds.manager, closureId);
    return { processed, remaining };
  }

  /** The plan, written once under the closure's row lock (a second run reads the first one's). */
  private async ensurePlan(closure: ClosureRow): Promise<PlanRow[]> {
    return this.ds.transaction(async (m) => {
      const locked = (await this.repo.find(m, closure.id, true))!;
      if (locked.pool !== null) return this.repo.plan(m, closure.id);
      const escrow = await this.escrowAccounts.current(m, closure.institution_id);
      const currency = escrow?.currency ?? 'CNY';
      const done = await this.repo.processed(m, closure.id);
      const transferring = await this.transfers.openContractIds(m, closure.id);
      const ids = (await this.contracts.idsInStates(closure.institution_id, [...OPEN_STATES], m)).filter((id) => !done.has(id) && !transferring.has(id));
      const rows: { id: string; claim: Money; held: Money }[] = [];
      for (const id of ids) {
        const c = (await this.contracts.lockForUpdate(m, id))!;
        const claim = (await this.refunds.computation(m, c)).refund;
        rows.push({ id, claim: claim.isPositive() ? claim : Money.zero(currency), held: await this.ledger.balanceOf('contract_held', ownerOf(c), m) });
      }
      // What the refunds can reach: the contracts' held money and the institution's unsettled money not on its way out, within the cash.
      const reachable = Money.sum([...rows.map((r) => r.held), await this.freeUnsettled(m, closure.institution_id, escrow?.id ?? null, currency)], currency);
      const cash = escrow ? await this.available(m, escrow.id, closure.institution_id, currency) : Money.zero(currency);
      const pool = cash.lt(reachable) ? cash : reachable;
      const shares = proRata(pool, rows.map((r) => ({ key: r.id, claim: r.claim })));
      const claims = Money.sum(rows.map((r) => r.claim), currency);
      // Contracts that give money to the pool (held above their share) are refunded before those that take from it.
      const plan = rows
        .map((r, i) => ({ contract_id: r.id, claim: r.claim.toString(), payable: shares[i].payable.toString(), held: r.held.toString(), surplus: r.held.minus(shares[i].payable) }))
        .sort((a, b) => b.surplus.cmp(a.surplus) || (a.contract_id < b.contract_id ? -1 : 1))
        .map(({ surplus: _s, ...p }, rank) => ({ ...p, rank }));
      await this.repo.insertPlan(m, closure.id, pool.toString(), claims.toString(), plan);
      if (pool.lt(claims)) this.logger.warn(`Closure ${closure.id}: ${pool} ${currency} for ${claims} owed to payers, refunds paid pro rata`);
      return this.repo.plan(m, closure.id);
    });
  }

  /** Bank cash less what others are owed already and releases on their way out (never below zero). */
  async available(m: EntityManager, escrowAccountId: string, institutionId: string, currency: string): Promise<Money> {
    const owner = { escrowAccountId, institutionId, currency };
    const cash = await this.ledger.balanceOf('bank_cash', owner, m);
    const reserved = Money.sum(
      [
        await this.ledger.balanceOf('refund_payable', owner, m),
        await this.ledger.balanceOf('transfer_payable', owner, m),
        await this.ledger.balanceOf('suspense', owner, m),
        await this.movements.unreservedInFlight(m, escrowAccountId, currency),
      ],
      currency,
    );
    const left = cash.minus(reserved);
    return left.isNegative() ? Money.zero(currency) : left;
  }

  /** The institution's unsettled money less releases on their way out (those must still find it when the bank executes them). */
  private async freeUnsettled(m: EntityManager, institutionId: string, escrowAccountId: string | null, currency: string): Promise<Money> {
    if (!escrowAccountId) return Money.zero(currency);
    const unsettled = await this.ledger.balanceOf('institution_unsettled', { escrowAccountId, institutionId, currency }, m);
    const free = unsettled.minus(await this.movements.unreservedInFlight(m, escrowAccountId, currency));
    return free.isNegative() ? Money.zero(currency) : free;
  }

  private async processOne(closure: ClosureRow, contractId: string, plan: PlanRow | null): Promise<boolean> {
    const reason = `closure of the institution: ${closure.reason}`;
    const shortfall = closure.pool !== null && closure.claims !== null && Money.fromDb(closure.pool).lt(Money.fromDb(closure.claims));
    try {
      return await this.ds.transaction(async (m) => {
        const contract = (await this.contracts.lockForUpdate(m, contractId))!;
        const claim = (await this.refunds.computation(m, contract)).refund;
        // A contract without a plan line (its transfer failed after the plan was made) gets its whole claim unless cash is short.
        const share = plan ? Money.fromDb(plan.payable, contract.currency) : shortfall ? Money.zero(contract.currency) : claim;
        const payable = share.gt(claim) ? claim : share;
        const paid = await this.balanceHeld(m, closure, contract.id, ownerOf(contract), payable, shortfall);
        if (claim.isPositive() && !paid.isPositive()) throw new DomainError('REFUND_EXCEEDS_HELD', 'No money is left in escrow for this contract', { claim: claim.toString() });
        const refund = await this.refunds.refundForClosure(m, contractId, reason, paid);
        const owed = claim.minus(Money.fromDb(refund.amount!, contract.currency));
        const recorded = await this.repo.record(m, { closureId: closure.id, contractId, outcome: 'refunded', amount: refund.amount!, owed: owed.toString(), refundId: refund.id, note: owed.isPositive() ? `pro rata: ${owed} short` : null });
        // Recorded by another run meanwhile: roll this one back (its refund too), nothing twice.
        if (!recorded) throw new AlreadyProcessed();
        return true;
      });
    } catch (err) {
      if (err instanceof AlreadyProcessed) return false;
      if (!(err instanceof DomainError)) throw err;
      // Not refundable now: the contract ends all the same (the institution is closed) and the payer is owed.
      return this.ds.transaction(async (m) => {
        const contract = await this.contracts.lockForUpdate(m, contractId);
        if (!contract || !(OPEN_STATES as readonly string[]).includes(contract.state)) return false;
        const owed = (await this.refunds.computation(m, contract)).refund;
        const outcome = err.code === 'NOTHING_TO_REFUND' ? 'nothing' : 'owed';
        const recorded = await this.repo.record(m, { closureId: closure.id, contractId, outcome, amount: owed.toString(), owed: owed.toString(), refundId: null, note: `${err.code}: ${err.message}`.slice(0, 500) });
        if (recorded) await this.contracts.terminate(m, contractId);
        else this.logger.warn(`Closure ${closure.id}: contract ${contractId} was processed by another run`);
        return recorded;
      });
    }
  }

  /**
   * Makes the contract hold exactly what its refund pays: a contract holding less (released ahead
   * of delivery, or a pro rata share above what it holds) takes from the closure's pool, then from
   * the institution's unsettled money (refunds rank first); when cash is short, what a contract
   * holds above its share goes to the pool for the payers after it (the plan's order).
   * Without a shortfall what it holds above the refund is the institution's (lessons consumed, not
   * released yet) and stays held, released after the closure.
   */
  private async balanceHeld(m: EntityManager, closure: ClosureRow, contractId: string, owner: LedgerOwner, payable: Money, shortfall: boolean): Promise<Money> {
    const held = await this.ledger.balanceOf('contract_held', owner, m);
    const ref = `closure.${closure.id}.pool.${contractId}`;
    if (held.lt(payable)) {
      // First what earlier contracts pooled, then money released to the institution and not paid out (refunds rank first).
      const pooled = await this.ledger.balanceOf('closure_pool', owner, m);
      const wanted = payable.minus(held);
      const fromPool = wanted.gt(pooled) ? pooled : wanted;
      const free = await this.freeUnsettled(m, owner.institutionId, owner.escrowAccountId, owner.currency);
      const fromInstitution = wanted.minus(fromPool).gt(free) ? free : wanted.minus(fromPool);
      const legs = [
        ...(fromPool.isPositive() ? [{ from: 'closure_pool' as const, to: 'contract_held' as const, amount: fromPool }] : []),
        ...(fromInstitution.isPositive() ? [{ from: 'institution_unsettled' as const, to: 'contract_held' as const, amount: fromInstitution }] : []),
      ];
      if (legs.length) await this.ledger.postLegs(m, { type: 'transfer', owner, legs, externalRef: ref, memo: `closure ${closure.id}: refunds rank before the institution` });
      return held.plus(fromPool).plus(fromInstitution);
    }
    if (shortfall && held.gt(payable)) {
      await this.ledger.postLegs(m, { type: 'transfer', owner, legs: [{ from: 'contract_held', to: 'closure_pool', amount: held.minus(payable) }], externalRef: ref, memo: `closure ${closure.id}: held above the pro rata share, pooled for the payers` });
    }
    return payable;
  }
}

function ownerOf(c: { escrow_account_id: string; institution_id: string; id: string; currency: string }): LedgerOwner {
  return { escrowAccountId: c.escrow_account_id, institutionId: c.institution_id, contractId: c.id, currency: c.currency };
}
