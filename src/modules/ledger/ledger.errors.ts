import { DomainError } from '@common/errors/domain-error';
import { ErrorCode } from '@common/errors/error-codes';

const MESSAGES: Record<string, string> = {
  INSUFFICIENT_FUNDS: 'The account does not hold enough money for this',
  UNBALANCED_TRANSACTION: 'The postings of a transaction must sum to zero per currency',
  CURRENCY_MISMATCH: 'A posting is in another currency than its account',
  LEDGER_ACCOUNT_NOT_FOUND: 'Ledger account not found',
  EXTERNAL_REF_CONFLICT: 'This external reference was already used for a different transaction',
  ALREADY_REVERSED: 'This transaction has already been reversed',
};

/** Maps a `ledger_post` item error to the domain error with its stable code. */
export function ledgerError(code: string, details?: unknown): DomainError {
  return new DomainError((code in MESSAGES ? code : 'INTERNAL_ERROR') as ErrorCode, MESSAGES[code] ?? 'Ledger error', details);
}

export const transactionNotFound = (id: string) => new DomainError('LEDGER_TRANSACTION_NOT_FOUND', `Ledger transaction ${id} not found`);
/** Names nothing: a 404 must not tell an out-of-scope caller which accounts (or codes) exist. */
export const accountNotFound = () => new DomainError('LEDGER_ACCOUNT_NOT_FOUND', 'Ledger account not found');
