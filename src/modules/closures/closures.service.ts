import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireInstitutionAccess } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { Clock } from '@common/clock';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { OutboxService } from '@infra/outbox/outbox.service';
import { JobName, jobId } from '@infra/queues/queue.constants';
import { ContractsService } from '@modules/contracts/contracts.service';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { computationOf, RefundsService } from '@modules/refunds/refunds.service';
import { ClosureContractRow, ClosureRow, ClosuresRepository } from './closures.repository';

const closureNotFound = (id: string) => new DomainError('CLOSURE_NOT_FOUND', `Closure ${id} not found`);
/** Contracts a closure refunds: those that may still consume lessons or be paid into. */
const OPEN_STATES = ['awaiting_payment', 'active'] as const;

export interface ClosureProgress {
  closure: ClosureRow;
  open: number;
  processed: number;
  refunded: number;
  owed: number;
  nothing: number;
  refundedAmount: Money;
  owedAmount: Money;
}

/**
 * Immediate closures (absconded, revoked), first part: the regulator opens one; the institution
 * becomes `closing` (no new contract), its escrow account is frozen (no release), and a queued job
 * refunds every open contract, one transaction per contract, each recorded once in
 * `closure_contracts` together with its refund, so a worker killed in the middle leaves every
 * contract refunded exactly once and the job resumes where it stopped. A contract that cannot be
 * refunded (no payer account, less held than owed) is terminated and recorded as owed.
 */
@Injectable()
export class ClosuresService {
  private readonly logger = new Logger(ClosuresService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: ClosuresRepository,
    private readonly institutions: InstitutionsService,
    private readonly escrowAccounts: EscrowAccountsService,
    private readonly contracts: ContractsService,
    private readonly refunds: RefundsService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  async open(who: Principal, institutionId: string, reason: string): Promise<ClosureRow> {
    const inst = await this.institutions.getSupervised(who, institutionId);
    const existing = await this.repo.ofInstitution(this.ds.manager, inst.id);
    if (existing) throw new DomainError('CLOSURE_ALREADY_OPEN', 'This institution already has a closure', { closureId: existing.id });
    // First stop new contracts and releases, then refund: refunds rank before any release.
    await this.institutions.markClosing(who, inst.id, `closure: ${reason}`, this.clock.today());
    const escrow = await this.escrowAccounts.current(this.ds.manager, inst.id);
    if (escrow?.state === 'active') await this.escrowAccounts.change(who, escrow.id, 'freeze', `closure: ${reason}`);
    return this.ds.transaction(async (m) => {
      const closure = await this.repo.insert(m, { institutionId: inst.id, districtCode: inst.districtCode, reason, openedBy: who.id });
      if (!closure) throw new DomainError('CLOSURE_ALREADY_OPEN', 'This institution already has a closure');
      await this.outbox.enqueue(m, JobName.ClosureRefunds, { closureId: closure.id }, jobId('closure-refunds', closure.id));
      return closure;
    });
  }

  async get(who: Principal, id: string): Promise<ClosureRow> {
    const c = await this.repo.find(this.ds.manager, id);
    const inst = c ? await this.institutions.findById(this.ds.manager, c.institution_id) : null;
    requireInstitutionAccess(who, inst, 'read', () => closureNotFound(id));
    return c!;
  }

  async progress(who: Principal, id: string): Promise<ClosureProgress> {
    const closure = await this.get(who, id);
    const rows = await this.repo.report(this.ds.manager, id);
    const open = (await this.contracts.idsInStates(closure.institution_id, [...OPEN_STATES])).length;
    const sum = (outcome: string) => Money.sum(rows.filter((r) => r.outcome === outcome).map((r) => Money.fromDb(r.amount)));
    const count = (outcome: string) => rows.filter((r) => r.outcome === outcome).length;
    return { closure, open, processed: rows.length, refunded: count('refunded'), owed: count('owed'), nothing: count('nothing'), refundedAmount: sum('refunded'), owedAmount: sum('owed') };
  }

  async report(who: Principal, id: string): Promise<{ closure: ClosureRow; rows: ClosureContractRow[] }> {
    const closure = await this.get(who, id);
    return { closure, rows: await this.repo.report(this.ds.manager, id) };
  }

  /**
   * Refunds the open contracts not yet processed, each in its own transaction (at most `limit`,
   * for tests that stop a run in the middle). Returns how many it processed now.
   */
  async processRefunds(closureId: string, limit = Number.POSITIVE_INFINITY): Promise<{ processed: number; remaining: number }> {
    const closure = await this.repo.find(this.ds.manager, closureId);
    if (!closure || closure.state !== 'refunding') return { processed: 0, remaining: 0 };
    const done = await this.repo.processed(this.ds.manager, closureId);
    const todo = (await this.contracts.idsInStates(closure.institution_id, [...OPEN_STATES])).filter((id) => !done.has(id));
    let processed = 0;
    for (const contractId of todo) {
      if (processed >= limit) break;
      if (await this.processOne(closure, contractId)) processed += 1;
    }
    const remaining = todo.length - processed;
    if (remaining === 0) await this.repo.markRefundsDone(this.ds.manager, closureId);
    return { processed, remaining };
  }

  private async processOne(closure: ClosureRow, contractId: string): Promise<boolean> {
    const reason = `closure of the institution: ${closure.reason}`;
    try {
      return await this.ds.transaction(async (m) => {
        const refund = await this.refunds.refundForClosure(m, contractId, reason);
        const recorded = await this.repo.record(m, { closureId: closure.id, contractId, outcome: 'refunded', amount: refund.amount!, refundId: refund.id, note: null });
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
        const owed = computationOf(contract).refund;
        const outcome = err.code === 'NOTHING_TO_REFUND' ? 'nothing' : 'owed';
        const recorded = await this.repo.record(m, { closureId: closure.id, contractId, outcome, amount: owed.toString(), refundId: null, note: `${err.code}: ${err.message}`.slice(0, 500) });
        if (recorded) await this.contracts.terminate(m, contractId);
        else this.logger.warn(`Closure ${closure.id}: contract ${contractId} was processed by another run`);
        return recorded;
      });
    }
  }
}

class AlreadyProcessed extends Error {}
