/** Every queue the service uses. */
export enum QueueName {
  Maintenance = 'maintenance',
  Diagnostics = 'diagnostics',
  Supervision = 'supervision',
  Lessons = 'lessons',
  Settlement = 'settlement',
  Reconciliation = 'reconciliation',
}

/** Every job the service runs. Each must have exactly one registered handler (checked at boot). */
export enum JobName {
  IdempotencyCleanup = 'maintenance.idempotency-cleanup',
  OutboxCleanup = 'maintenance.outbox-cleanup',
  LedgerDayClose = 'maintenance.ledger-day-close',
  QueueProbe = 'diagnostics.queue-probe',
  DailySupervision = 'supervision.daily',
  SuspenseAging = 'supervision.suspense-aging',
  AlertEvaluation = 'supervision.alert-evaluation',
  DeliverAlert = 'supervision.alert-delivery',
  DeemedConfirmation = 'lessons.deemed-confirmation',
  ReleasePendingLessons = 'lessons.release-pending',
  WeeklySettlement = 'lessons.weekly-settlement',
  CompletionReleases = 'lessons.completion-releases',
  RefundDeadlines = 'lessons.refund-deadlines',
  ClosureRefunds = 'lessons.closure-refunds',
  PlannedClosures = 'lessons.planned-closures',
  DeductionsDue = 'lessons.deductions-due',
  InstalmentsDue = 'lessons.instalments-due',
  SettlementInstructionCreated = 'settlement.instruction-created',
  DeliverSettlementInstruction = 'settlement.deliver',
  ReconcileStatement = 'reconciliation.statement',
  StatementCheck = 'reconciliation.statement-check',
}

/** Typed payload of each job. */
export interface JobPayloads {
  [JobName.IdempotencyCleanup]: Record<string, never>;
  [JobName.OutboxCleanup]: Record<string, never>;
  /** Closes every China day before `today` (default: the day the job runs) not closed yet: end-of-day balances. */
  [JobName.LedgerDayClose]: { today?: string };
  [JobName.QueueProbe]: { probeId: string; holdMs: number };
  /** `today` (YYYY-MM-DD, China time) defaults to the day the job runs. */
  [JobName.DailySupervision]: { today?: string };
  /** Unresolved suspense items older than their policy's days, for `today` (China time). */
  [JobName.SuspenseAging]: { today?: string };
  /** Evaluates every alert rule now (issue 16). */
  [JobName.AlertEvaluation]: Record<string, never>;
  /** One delivery attempt of a new alert to a subscription (1-based), as settlement deliveries. */
  [JobName.DeliverAlert]: { deliveryId: string; attempt: number; round: string };
  [JobName.DeemedConfirmation]: { today?: string };
  [JobName.ReleasePendingLessons]: { institutionId: string };
  /** Nets releases made before `today`'s week (China time) into one instruction per institution and week. */
  [JobName.WeeklySettlement]: { today?: string };
  [JobName.CompletionReleases]: { today?: string };
  /** Deemed approval of refund requests past their response window, and overdue refunds, for `today` (China time). */
  [JobName.RefundDeadlines]: { today?: string };
  /** Refunds every open contract of a closed institution, resumable (each contract once). */
  [JobName.ClosureRefunds]: { closureId: string };
  /** Starts the planned closures whose date is `today` (China time) or earlier, each once. */
  [JobName.PlannedClosures]: { today?: string };
  /** Instructs every deduction period due by `today` (China time), missed days included, each once. */
  [JobName.DeductionsDue]: { today?: string };
  /** Pre-notifies and instructs every instalment debit due by `today` (China time), retries included, each once. */
  [JobName.InstalmentsDue]: { today?: string };
  [JobName.SettlementInstructionCreated]: { instructionId: string };
  /** One delivery attempt (1-based); scheduled by the previous attempt's outcome. */
  [JobName.DeliverSettlementInstruction]: { instructionId: string; attempt: number; round: string };
  /** Reconciles one imported statement against the ledger (enqueued by the import, one per statement). */
  [JobName.ReconcileStatement]: { statementId: string };
  /** Expects a statement per active escrow account for the working day before `today` (China time). */
  [JobName.StatementCheck]: { today?: string };
}

export interface JobSpec {
  queue: QueueName;
  attempts: number;
  /** Exponential backoff base delay (ms). */
  backoffMs: number;
}

/** Which queue carries each job, with its retry policy. */
export const JOB_SPECS: Record<JobName, JobSpec> = {
  [JobName.IdempotencyCleanup]: { queue: QueueName.Maintenance, attempts: 5, backoffMs: 60_000 },
  [JobName.OutboxCleanup]: { queue: QueueName.Maintenance, attempts: 5, backoffMs: 60_000 },
  [JobName.LedgerDayClose]: { queue: QueueName.Maintenance, attempts: 5, backoffMs: 60_000 },
  [JobName.QueueProbe]: { queue: QueueName.Diagnostics, attempts: 5, backoffMs: 1_000 },
  [JobName.DailySupervision]: { queue: QueueName.Supervision, attempts: 8, backoffMs: 60_000 },
  [JobName.SuspenseAging]: { queue: QueueName.Supervision, attempts: 8, backoffMs: 60_000 },
  [JobName.AlertEvaluation]: { queue: QueueName.Supervision, attempts: 3, backoffMs: 30_000 },
  // Crash retries only; the delivery schedule is the shared delivery machinery's.
  [JobName.DeliverAlert]: { queue: QueueName.Supervision, attempts: 5, backoffMs: 2_000 },
  [JobName.DeemedConfirmation]: { queue: QueueName.Lessons, attempts: 8, backoffMs: 30_000 },
  [JobName.ReleasePendingLessons]: { queue: QueueName.Lessons, attempts: 8, backoffMs: 5_000 },
  [JobName.WeeklySettlement]: { queue: QueueName.Lessons, attempts: 8, backoffMs: 60_000 },
  [JobName.CompletionReleases]: { queue: QueueName.Lessons, attempts: 8, backoffMs: 60_000 },
  [JobName.RefundDeadlines]: { queue: QueueName.Lessons, attempts: 8, backoffMs: 30_000 },
  [JobName.ClosureRefunds]: { queue: QueueName.Lessons, attempts: 20, backoffMs: 5_000 },
  [JobName.PlannedClosures]: { queue: QueueName.Lessons, attempts: 8, backoffMs: 60_000 },
  [JobName.DeductionsDue]: { queue: QueueName.Lessons, attempts: 8, backoffMs: 60_000 },
  [JobName.InstalmentsDue]: { queue: QueueName.Lessons, attempts: 8, backoffMs: 60_000 },
  [JobName.SettlementInstructionCreated]: { queue: QueueName.Settlement, attempts: 10, backoffMs: 5_000 },
  // Crash retries only (a worker died mid-attempt); the delivery schedule is the service's own.
  [JobName.DeliverSettlementInstruction]: { queue: QueueName.Settlement, attempts: 5, backoffMs: 2_000 },
  [JobName.ReconcileStatement]: { queue: QueueName.Reconciliation, attempts: 8, backoffMs: 5_000 },
  [JobName.StatementCheck]: { queue: QueueName.Reconciliation, attempts: 8, backoffMs: 60_000 },
};

/** Repeating jobs (BullMQ job schedulers); upserting them is idempotent. */
export const SCHEDULES: { id: string; job: JobName; pattern: string }[] = [
  { id: 'idempotency-cleanup-daily', job: JobName.IdempotencyCleanup, pattern: '17 3 * * *' },
  { id: 'outbox-cleanup-daily', job: JobName.OutboxCleanup, pattern: '27 3 * * *' },
  { id: 'ledger-day-close', job: JobName.LedgerDayClose, pattern: '*/5 * * * *' },
  { id: 'supervision-daily', job: JobName.DailySupervision, pattern: '5 0 * * *' },
  { id: 'suspense-aging-daily', job: JobName.SuspenseAging, pattern: '35 0 * * *' },
  { id: 'alerts-evaluation', job: JobName.AlertEvaluation, pattern: '*/5 * * * *' },
  { id: 'lessons-deemed-confirmation', job: JobName.DeemedConfirmation, pattern: '15 * * * *' },
  { id: 'lessons-weekly-settlement', job: JobName.WeeklySettlement, pattern: '0 1 * * 1' },
  { id: 'lessons-completion-releases', job: JobName.CompletionReleases, pattern: '20 0 * * *' },
  { id: 'reconciliation-statement-check', job: JobName.StatementCheck, pattern: '40 * * * *' },
  { id: 'refunds-deadlines', job: JobName.RefundDeadlines, pattern: '25 * * * *' },
  { id: 'closures-planned', job: JobName.PlannedClosures, pattern: '10 * * * *' },
  { id: 'deductions-due-daily', job: JobName.DeductionsDue, pattern: '45 0 * * *' },
  { id: 'instalments-due-daily', job: JobName.InstalmentsDue, pattern: '50 0 * * *' },
];

/** Finished jobs are kept this long so a re-added job id (outbox relay retry) is dropped. */
export const KEEP_COMPLETED_SECONDS = 7 * 24 * 3600;
export const KEEP_FAILED_SECONDS = 30 * 24 * 3600;

/** A deterministic job id from its parts (BullMQ forbids ':' in custom ids). */
export function jobId(...parts: string[]): string {
  return parts.map((p) => p.replace(/:/g, '_')).join('.');
}
