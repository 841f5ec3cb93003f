import { BalanceOwner1763818000000 } from './1763818000000-balance-owner';
import { Contracts1763814400000 } from './1763814400000-contracts';
import { Foundation1763800000000 } from './1763800000000-foundation';
import { Ledger1763807200000 } from './1763807200000-ledger';
import { Lessons1763821600000 } from './1763821600000-lessons';
import { Register1763803600000 } from './1763803600000-register';
import { ReleaseCadences1763825200000 } from './1763825200000-release-cadences';
import { SettlementDelivery1763828800000 } from './1763828800000-settlement-delivery';
import { SettlementResults1763832400000 } from './1763832400000-settlement-results';
import { LedgerChart1763836000000 } from './1763836000000-ledger-chart';
import { MoneyMovements1763839600000 } from './1763839600000-money-movements';
import { BankSecrets1763843200000 } from './1763843200000-bank-secrets';
import { IdempotencyOwner1763850400000 } from './1763850400000-idempotency-owner';
import { ContractTerms1763854000000 } from './1763854000000-contract-terms';
import { RateLimits1763857600000 } from './1763857600000-rate-limits';
import { RefundMemoAccounts1763861200000 } from './1763861200000-refund-memo-accounts';
import { BankStatements1763864800000 } from './1763864800000-bank-statements';
import { BalanceCurrency1763868400000 } from './1763868400000-balance-currency';
import { Reconciliation1763872000000 } from './1763872000000-reconciliation';
import { ReconciliationPages1763875600000 } from './1763875600000-reconciliation-pages';
import { ReconciliationAccepted1763879200000 } from './1763879200000-reconciliation-accepted';
import { Refunds1763900000000 } from './1763900000000-refunds';
import { MovementReinstruction1763903600000 } from './1763903600000-movement-reinstruction';
import { SuspenseResolutions1763907200000 } from './1763907200000-suspense-resolutions';
import { Closures1763910800000 } from './1763910800000-closures';
import { LedgerDayBalances1763960000000 } from './1763960000000-ledger-day-balances';

/** Every migration, oldest first. Listed explicitly so compiled and ts-jest runs load the same set. */
export const ALL_MIGRATIONS = [Foundation1763800000000, Register1763803600000, Ledger1763807200000, Contracts1763814400000, BalanceOwner1763818000000, Lessons1763821600000, ReleaseCadences1763825200000, SettlementDelivery1763828800000, SettlementResults1763832400000, LedgerChart1763836000000, MoneyMovements1763839600000, BankSecrets1763843200000, IdempotencyOwner1763850400000, ContractTerms1763854000000, RateLimits1763857600000, RefundMemoAccounts1763861200000, BankStatements1763864800000, BalanceCurrency1763868400000, Reconciliation1763872000000, ReconciliationPages1763875600000, ReconciliationAccepted1763879200000, Refunds1763900000000, MovementReinstruction1763903600000, SuspenseResolutions1763907200000, Closures1763910800000, LedgerDayBalances1763960000000];
