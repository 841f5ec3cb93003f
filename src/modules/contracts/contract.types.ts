import type { ReleaseCadence } from '@modules/policies/policy-rules';
import type { ContractState } from './contract-state-machine';

/** Contract shapes other modules receive from ContractsService (they never import the repository). */

export interface ContractRow {
  id: string;
  reference: string;
  institution_id: string;
  course_id: string;
  escrow_account_id: string;
  payer_name: string;
  payer_phone: string;
  student_name: string;
  lessons: number;
  start_date: string;
  end_date: string;
  total_price: string;
  amount_paid: string;
  currency: string;
  policy_id: string;
  policy_version: number;
  policy_code: string;
  /** Terms of the policy version, fixed at signing (a later version never changes them). */
  deemed_confirmation_days: number;
  release_cadence: ReleaseCadence;
  /** Refund terms of the policy version, fixed at signing: working days to answer, days to pay before / after the start. */
  refund_response_working_days: number;
  refund_days_before_start: number;
  refund_days_after_start: number;
  model_contract_version: string;
  state: ContractState;
  lessons_consumed: number;
  amount_consumed: string;
  payer_token_revoked_at: Date | null;
  created_at: Date;
  activated_at: Date | null;
  completed_at: Date | null;
}

/** A contract locked for consuming lessons, with the terms it was signed under. */
export interface ContractForConsumption {
  id: string;
  institution_id: string;
  course_id: string;
  escrow_account_id: string;
  state: ContractState;
  lessons: number;
  lessons_consumed: number;
  total_price: string;
  amount_consumed: string;
  /** What was paid in: a lesson beyond it is not consumed (a contract paid in instalments). */
  amount_paid: string;
  currency: string;
  start_date: string;
  deemed_days: number;
  cadence: string;
}

/** What releasing a contract's money needs: its owner ids, price and the release cadence it was signed under. */
export interface ReleaseTerms {
  contract_id: string;
  institution_id: string;
  escrow_account_id: string;
  currency: string;
  lessons: number;
  lessons_consumed: number;
  total_price: string;
  state: ContractState;
  cadence: ReleaseCadence;
}

/** A contract under the after-completion cadence whose lessons are all consumed, not yet completed. */
export interface CompletionTerms {
  id: string;
  working_days: number;
}
