import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireInstitutionAccess } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { OutboxService } from '@infra/outbox/outbox.service';
import { JobName, jobId } from '@infra/queues/queue.constants';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { newEndToEndRef } from './end-to-end-ref';
import { kindOf } from './kinds';
import { MovementRow } from './money-movement.types';
import { MoneyMovementsRepository } from './money-movements.repository';
import type { PayeeAccount } from './money-movements.service';
import { MovementOutcomes } from './movement-outcomes';
import { movementNotFound } from './money-movements.errors';

export interface ReinstructCommand {
  reason: string;
  /** Only for a kind that pays the payer's original account: another account (default: the failed movement's). */
  payee?: PayeeAccount | null;
}


/** Failed movements sent again (issue 14, "Failed settlements"), for every kind alike. */
@Injectable()
export class MovementReinstructionService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: MoneyMovementsRepository,
    private readonly escrowAccounts: EscrowAccountsService,
    private readonly institutions: InstitutionsService,
    private readonly outbox: OutboxService,
    private readonly events: SupervisionEventsService,
    private readonly outcomes: MovementOutcomes,
  ) {}

  /**
   * Sends a failed movement again, after its cause is fixed (e.g. the institution's payout
   * account): a NEW movement linked to the failed one (`reinstructs_id`, source `<failed source>.again`),
   * never the same instruction twice. Nothing is posted: a kind whose failure posts nothing left the
   * money where the instruction put it (a release in the institution's unsettled account, a refund
   * in refund payable), and the new movement takes it from there. The payee is taken again: the
   * institution's current basic account, or for a payer's account the one given (default: the
   * same). The district's regulators and admins may do it; once per failed movement (a repeat
   * answers the same re-instruction). A kind that may not leave a frozen account waits for the unfreeze.
   */
  async reinstruct(who: Principal, id: string, cmd: ReinstructCommand): Promise<{ movement: MovementRow; created: boolean }> {
    return this.ds.transaction(async (m) => {
      const failed = await this.repo.find(m, id, true);
      requireInstitutionAccess(who, failed ? { id: failed.institution_id, districtCode: failed.district_code } : null, 'supervise', () => movementNotFound(id));
      const done = await this.repo.reinstructionOf(m, failed!.id);
      if (done) return { movement: done, created: false };
      const row = failed!;
      if (row.state !== 'failed') throw new DomainError('INVALID_SETTLEMENT_TRANSITION', `Only a failed movement is sent again; this one is ${row.state}`, { state: row.state });
      const kind = kindOf(row.kind);
      if (kind.postings.failed.length) throw new DomainError('REINSTRUCTION_NOT_POSSIBLE', `A failed ${kind.kind} moved its money back; instruct a new one instead`);
      if (cmd.payee && kind.payee !== 'payer_original_account') throw new DomainError('VALIDATION_FAILED', `A ${kind.kind} is paid to its own payee; payee is not given`, { fields: ['payee'] });
      const escrow = (await this.escrowAccounts.find(m, row.escrow_account_id))!;
      if (escrow.state !== 'active' && !kind.paysWhileFrozen) {
        throw new DomainError('ESCROW_ACCOUNT_FROZEN', `The escrow account is ${escrow.state}: a ${kind.kind} waits for it to be active`, { state: escrow.state });
      }
      await this.outcomes.checkReinstruction(m, row);
      const inst = (await this.institutions.findById(m, row.institution_id))!;
      const payee =
        kind.payee === 'institution_basic_account'
          ? { bank: inst.basicAccountBank, accountNumber: inst.basicAccountNumber, accountName: inst.name }
          : kind.payee === 'escrow_account'
            ? { bank: escrow.bankCode, accountNumber: escrow.accountNumber, accountName: escrow.accountName }
            : (cmd.payee ?? { bank: row.payee_bank, accountNumber: row.payee_account_number, accountName: row.payee_account_name });
      const { row: again, created } = await this.repo.insert(m, {
        kind: row.kind,
        amount: row.amount,
        currency: row.currency,
        endToEndRef: newEndToEndRef(),
        sourceRef: `${row.source_ref}.again`,
        escrowAccountId: row.escrow_account_id,
        institutionId: row.institution_id,
        contractId: row.contract_id,
        districtCode: row.district_code,
        escrowBankCode: escrow.bankCode,
        escrowAccountNumber: escrow.accountNumber,
        escrowAccountName: escrow.accountName,
        payeeBank: payee.bank ?? null,
        payeeAccountNumber: payee.accountNumber ?? null,
        payeeAccountName: payee.accountName ?? null,
        // The posting stays the failed movement's (one movement per posting); the link is reinstructs_id.
        ledgerTxnId: null,
        notBefore: null,
        reinstructs: { id: row.id, reason: cmd.reason, by: who.id },
      });
      if (!created) return { movement: again, created };
      await this.outbox.enqueue(m, JobName.SettlementInstructionCreated, { instructionId: again.id }, jobId('instruction', again.id));
      await this.events.raise(m, {
        institutionId: row.institution_id,
        districtCode: row.district_code,
        type: 'MOVEMENT_REINSTRUCTED',
        severity: 'info',
        message: `Failed ${row.kind} ${row.id} (${row.amount} ${row.currency}) sent again as ${again.id}: ${cmd.reason}`,
        details: { failedId: row.id, movementId: again.id, kind: row.kind, reason: cmd.reason, by: who.id },
        dedupeKey: `movement-reinstructed:${row.id}`,
      });
      await this.outcomes.notify(m, 'reinstructed', again);
      return { movement: again, created };
    });
  }

}
