import { MoneyMovementKind } from './money-movement-kind';
import { MovementRow } from './money-movement.types';

export interface BankAccountRef {
  bankCode: string | null;
  accountNumber: string | null;
  accountName: string | null;
}

/**
 * Both sides of a movement, by its direction: out of escrow, the escrow account pays the payee;
 * into escrow, the payee side pays the escrow account. Delivery and callbacks read the sides
 * from here, never from the kind's name.
 */
export function movementParties(row: MovementRow, kind: MoneyMovementKind): { from: BankAccountRef; to: BankAccountRef } {
  const escrow: BankAccountRef = { bankCode: row.escrow_bank_code, accountNumber: row.escrow_account_number, accountName: row.escrow_account_name };
  const payee: BankAccountRef = { bankCode: row.payee_bank, accountNumber: row.payee_account_number, accountName: row.payee_account_name };
  return kind.direction === 'out' ? { from: escrow, to: payee } : { from: payee, to: escrow };
}
