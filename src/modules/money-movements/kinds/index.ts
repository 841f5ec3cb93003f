import { DomainError } from '@common/errors/domain-error';
import { MoneyMovementKind, MoneyMovementKindName } from '../money-movement-kind';
import { debitKind } from './debit.kind';
import { deductionKind } from './deduction.kind';
import { refundKind } from './refund.kind';
import { releaseKind } from './release.kind';
import { returnKind } from './return.kind';
import { transferKind } from './transfer.kind';

/** The registry: the only place that lists the kinds. */
export const MONEY_MOVEMENT_KINDS: readonly MoneyMovementKind[] = [releaseKind, refundKind, returnKind, transferKind, deductionKind, debitKind];

const BY_NAME = new Map<string, MoneyMovementKind>(MONEY_MOVEMENT_KINDS.map((k) => [k.kind, k]));

export function isMoneyMovementKind(name: string): name is MoneyMovementKindName {
  return BY_NAME.has(name);
}

/** The kind of a stored movement (a row with an unknown kind is a programming error, not a 4xx). */
export function kindOf(name: string): MoneyMovementKind {
  const k = BY_NAME.get(name);
  if (!k) throw new DomainError('INTERNAL_ERROR', `Unknown money movement kind ${name}`);
  return k;
}

export type { MoneyMovementKind, MoneyMovementKindName } from '../money-movement-kind';
