import type { MovementState } from './movement-state-machine';

/** One money movement (table `settlement_instructions`, the name it was born with). */
export interface MovementRow {
  id: string;
  kind: string;
  state: MovementState;
  amount: string;
  currency: string;
  end_to_end_ref: string;
  source_ref: string;
  escrow_account_id: string;
  institution_id: string;
  contract_id: string | null;
  district_code: string;
  escrow_bank_code: string;
  escrow_account_number: string;
  escrow_account_name: string;
  payee_bank: string | null;
  payee_account_number: string | null;
  payee_account_name: string | null;
  sequence: string | null;
  not_before: string | null;
  ledger_txn_id: string | null;
  settlement_txn_id: string | null;
  failure_txn_id: string | null;
  bank_transaction_id: string | null;
  failure_code: string | null;
  attempts: number;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  dead_lettered_at: Date | null;
  executed_at: Date | null;
  /** A re-instruction: the failed movement it sends again, why, and who asked. */
  reinstructs_id: string | null;
  reinstruct_reason: string | null;
  reinstructed_by: string | null;
  created_at: Date;
  updated_at: Date;
}
