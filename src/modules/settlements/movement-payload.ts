import { Money } from '@common/money/money';
import { movementParties } from '@modules/money-movements/movement-parties';
import { MovementContext } from '@modules/money-movements/money-movements.service';

/**
 * What the bank receives for a movement of any kind: the event type, both sides and the
 * reference come from the row and its kind (never from a branch on the kind), the amount is
 * written by `Money` with the currency's minor units (a JPY amount has none).
 */
export function movementPayload({ row, kind }: MovementContext, sequence: string): Record<string, unknown> {
  const { from, to } = movementParties(row, kind);
  return {
    type: kind.webhookEvent,
    instructionId: row.id,
    kind: row.kind,
    direction: kind.direction,
    endToEndRef: row.end_to_end_ref,
    sequence: Number(sequence),
    amount: Money.fromDb(row.amount, row.currency).toString(),
    currency: row.currency,
    from,
    to,
    remittanceInformation: `${kind.statementText} ${row.end_to_end_ref}`,
    institutionId: row.institution_id,
    contractId: row.contract_id,
    ledgerTransactionId: row.ledger_txn_id,
    notBefore: row.not_before,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
