import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { mayAccessBank } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { movementParties } from '@modules/money-movements/movement-parties';
import { MoneyMovementsService, MovementContext } from '@modules/money-movements/money-movements.service';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { SettlementsRepository } from './settlements.repository';

export interface SettlementResult {
  instructionId: string;
  status: 'executed' | 'failed';
  amount: string;
  currency: string;
  fromAccountNumber: string;
  bankTransactionId?: string;
  reasonCode?: string;
}

type Problem = { field: string; expected: string | null; received: string };

/**
 * The bank reports each movement's result, for every kind alike: executed posts the kind's
 * executed legs, failed its failed legs (for releases and refunds none: nothing left escrow, the
 * money stays owed) and raises an exception. A result whose amount, currency or paying account
 * does not match the movement is refused and recorded as an exception. A repeated webhook id
 * is answered as the first time and changes nothing.
 */
@Injectable()
export class SettlementResultsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: SettlementsRepository,
    private readonly movements: MoneyMovementsService,
    private readonly events: SupervisionEventsService,
  ) {}

  async record(who: Principal, webhookId: string, r: SettlementResult): Promise<{ response: Record<string, unknown>; replayed: boolean }> {
    const outcome = await this.ds.transaction(async (m) => {
      const seen = await this.repo.receipt(m, who.bankCode!, webhookId);
      if (seen) return { replay: seen };
      const found = await this.movements.context(r.instructionId, m, true);
      // Read again under the movement's row lock: a twin of this message (same webhook-id) sent at the same moment has committed by now.
      const twin = found ? await this.repo.receipt(m, who.bankCode!, webhookId) : null;
      if (twin) return { replay: twin };
      // The bank rule: only the custody bank that keeps the movement's escrow account reports on it; to another, 404.
      const ctx = found && mayAccessBank(who, found.row.escrow_bank_code) ? found : null;
      if (!ctx) throw new DomainError('SETTLEMENT_INSTRUCTION_NOT_FOUND', `Settlement instruction ${r.instructionId} not found`);
      const problems = this.problems(ctx, r);
      if (problems.length) return { mismatch: { ctx: ctx, problems } };
      const response = r.status === 'executed' ? await this.executed(m, ctx, r) : await this.failed(m, ctx, r);
      await this.repo.saveReceipt(m, who.bankCode!, webhookId, response);
      return { response };
    });
    if ('replay' in outcome) return { response: outcome.replay!, replayed: true };
    if ('response' in outcome) return { response: outcome.response!, replayed: false };
    // Refused: recorded for the regulator in its own transaction (the refusal changes nothing else).
    const { ctx, problems } = outcome.mismatch!;
    await this.ds.transaction((m) => this.exception(m, ctx, 'SETTLEMENT_RESULT_MISMATCH', { problems, webhookId, reported: r }));
    throw new DomainError('SETTLEMENT_MISMATCH', 'The result does not match the instruction; it was refused and recorded', { problems });
  }

  private problems({ row, kind }: MovementContext, r: SettlementResult): Problem[] {
    const expected = this.movements.amountOf(row);
    const from = movementParties(row, kind).from.accountNumber;
    const sameAmount = r.currency === row.currency ? Money.parse(r.amount, r.currency).eq(expected) : false;
    return [
      ...(sameAmount ? [] : [{ field: 'amount', expected: expected.toString(), received: r.amount }]),
      ...(r.currency === row.currency ? [] : [{ field: 'currency', expected: row.currency, received: r.currency }]),
      ...(r.fromAccountNumber === from ? [] : [{ field: 'fromAccountNumber', expected: from, received: r.fromAccountNumber }]),
    ];
  }

  private async executed(m: EntityManager, ctx: MovementContext, r: SettlementResult) {
    const { movement, transactionId } = await this.movements.markExecuted(m, ctx.row.id, r.bankTransactionId ?? null);
    return { instructionId: movement.id, state: 'executed', ...(transactionId ? { settlementTransactionId: transactionId } : {}) };
  }

  private async failed(m: EntityManager, ctx: MovementContext, r: SettlementResult) {
    const { movement, replayed } = await this.movements.markFailed(m, ctx.row.id, r.reasonCode ?? 'UNSPECIFIED');
    if (!replayed) await this.exception(m, ctx, 'SETTLEMENT_FAILED', { reasonCode: r.reasonCode ?? null });
    return { instructionId: movement.id, state: 'failed', reasonCode: movement.failure_code ?? 'UNSPECIFIED' };
  }

  private async exception(m: EntityManager, { row }: MovementContext, type: string, details: Record<string, unknown>) {
    const all = { instructionId: row.id, kind: row.kind, endToEndRef: row.end_to_end_ref, ...details };
    await this.events.recordException(m, { escrowAccountId: row.escrow_account_id, institutionId: row.institution_id, type, amount: row.amount, currency: row.currency, details: all });
    await this.events.raise(m, {
      institutionId: row.institution_id,
      districtCode: row.district_code,
      type,
      severity: 'critical',
      message: `${type === 'SETTLEMENT_FAILED' ? 'Bank could not execute' : 'Mismatching result for'} ${row.kind} instruction ${row.id} (${row.amount} ${row.currency})`,
      details: all,
      dedupeKey: `${type}:${row.id}:${Date.now()}`,
    });
  }
}
