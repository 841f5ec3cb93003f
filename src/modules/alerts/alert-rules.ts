import Decimal from 'decimal.js';
import { addMonths } from '@common/dates';
import type { PolicyRules } from '@modules/policies/policy-rules';

export type AlertSeverity = 'info' | 'warning' | 'critical';
export type AlertState = 'open' | 'acknowledged' | 'resolved';

/** The alerts the evaluation computes itself; the others are supervision events folded in (FOLDED_EVENT_TYPES). */
export const RULE_TYPES = [
  'BALANCE_BELOW_FLOOR',
  'DAILY_OUTFLOW_ABOVE_LIMIT',
  'WEEKLY_OUTFLOW_ABOVE_LIMIT',
  'SINGLE_MOVEMENT_ABOVE_PERCENT',
  'COVERAGE_BELOW_ONE',
] as const;

/**
 * Supervision events that are alerts as they are (raised by the refunds, settlements, reconciliation
 * and daily supervision jobs): each becomes one alert of the same type and severity.
 */
export const FOLDED_EVENT_TYPES = [
  'REFUND_OVERDUE',
  'SETTLEMENT_DEAD_LETTERED',
  'SETTLEMENT_FAILED',
  'RECONCILIATION_BREAK',
  'STATEMENT_MISSING',
  'LICENCE_EXPIRING',
  'LICENCE_EXPIRED',
  'INSPECTION_OVERDUE',
] as const;

export const ALERT_TYPES = [...RULE_TYPES, ...FOLDED_EVENT_TYPES];

/** What a rule found: one alert to open unless one is open for the same condition. */
export interface AlertCandidate {
  type: string;
  severity: AlertSeverity;
  institutionId: string;
  districtCode: string;
  /** The condition: at most one alert open (or acknowledged) per key. */
  conditionKey: string;
  /** Each figure a decimal string or a date (never a JS number). */
  figures: Record<string, string>;
  policyCode: string | null;
  policyVersion: number | null;
}

/** The policy a rule applies, as resolved for the institution's district. */
export interface AppliedPolicy {
  code: string;
  version: number;
  alerts: PolicyRules['alerts'];
}

const DEFAULT_NEW_INSTITUTION_MONTHS = 12;
const policyOf = (p: AppliedPolicy) => ({ policyCode: p.code, policyVersion: p.version });

/** An institution's escrow position in one currency (amounts are decimal strings). */
export interface Position {
  institutionId: string;
  districtCode: string;
  currency: string;
  bankCash: string;
  obligations: string;
  /** Day (China time) it was registered. */
  registeredOn: string;
}

/**
 * Escrow balance below the policy's floor (strictly below: a balance equal to the floor is fine).
 * An institution registered less than `newInstitutionMonths` (default 12) ago has the lower floor.
 */
export function balanceBelowFloor(p: Position, policy: AppliedPolicy, today: string): AlertCandidate | null {
  const months = policy.alerts.newInstitutionMonths ?? DEFAULT_NEW_INSTITUTION_MONTHS;
  const isNew = addMonths(p.registeredOn, months) > today;
  const floor = isNew ? policy.alerts.newInstitutionBalanceFloor : policy.alerts.balanceFloor;
  if (!new Decimal(p.bankCash).lt(floor)) return null;
  return {
    type: 'BALANCE_BELOW_FLOOR',
    severity: 'warning',
    institutionId: p.institutionId,
    districtCode: p.districtCode,
    conditionKey: `BALANCE_BELOW_FLOOR:${p.institutionId}:${p.currency}`,
    figures: { currency: p.currency, balance: p.bankCash, floor: new Decimal(floor).toFixed(2), floorKind: isNew ? 'new_institution' : 'standard' },
    ...policyOf(policy),
  };
}

/** Coverage (bank cash / money held for undelivered lessons, as in the audit) below 1. */
export function coverageBelowOne(p: Position): AlertCandidate | null {
  const owed = new Decimal(p.obligations);
  if (owed.lte(0) || !new Decimal(p.bankCash).lt(owed)) return null;
  return {
    type: 'COVERAGE_BELOW_ONE',
    severity: 'critical',
    institutionId: p.institutionId,
    districtCode: p.districtCode,
    conditionKey: `COVERAGE_BELOW_ONE:${p.institutionId}:${p.currency}`,
    figures: {
      currency: p.currency,
      bankCash: p.bankCash,
      obligations: p.obligations,
      coverage: new Decimal(p.bankCash).div(owed).toDecimalPlaces(4, Decimal.ROUND_DOWN).toFixed(4),
      shortfall: owed.minus(p.bankCash).toFixed(2),
    },
    policyCode: null,
    policyVersion: null,
  };
}

/** Money out of an institution's escrow in one period (a China day, or a week from Monday). */
export interface Outflow {
  institutionId: string;
  districtCode: string;
  currency: string;
  /** The day, or the Monday the week starts on. */
  period: string;
  total: string;
}

/** Outflows strictly above the policy's daily or weekly limit. */
export function outflowAboveLimit(o: Outflow, period: 'daily' | 'weekly', policy: AppliedPolicy): AlertCandidate | null {
  const limit = period === 'daily' ? policy.alerts.dailyOutflow : policy.alerts.weeklyOutflow;
  if (!new Decimal(o.total).gt(limit)) return null;
  const type = period === 'daily' ? 'DAILY_OUTFLOW_ABOVE_LIMIT' : 'WEEKLY_OUTFLOW_ABOVE_LIMIT';
  return {
    type,
    severity: 'warning',
    institutionId: o.institutionId,
    districtCode: o.districtCode,
    conditionKey: `${type}:${o.institutionId}:${o.currency}:${o.period}`,
    figures: { currency: o.currency, [period === 'daily' ? 'day' : 'weekStarting']: o.period, outflow: o.total, limit: new Decimal(limit).toFixed(2) },
    ...policyOf(policy),
  };
}

/** One movement out of escrow and the escrow account's bank cash just before it. */
export interface Movement {
  movementId: string;
  institutionId: string;
  districtCode: string;
  currency: string;
  amount: string;
  balanceBefore: string;
}

/** A single movement strictly above the policy's percentage of the balance it left from. */
export function singleMovementAbovePercent(mv: Movement, policy: AppliedPolicy): AlertCandidate | null {
  const pct = policy.alerts.singleMovementPercent;
  const threshold = new Decimal(mv.balanceBefore).mul(pct).div(100);
  if (!new Decimal(mv.amount).gt(threshold)) return null;
  return {
    type: 'SINGLE_MOVEMENT_ABOVE_PERCENT',
    severity: 'warning',
    institutionId: mv.institutionId,
    districtCode: mv.districtCode,
    conditionKey: `SINGLE_MOVEMENT_ABOVE_PERCENT:${mv.movementId}`,
    figures: { currency: mv.currency, movementId: mv.movementId, amount: mv.amount, balanceBefore: mv.balanceBefore, percent: String(pct), threshold: threshold.toFixed(2) },
    ...policyOf(policy),
  };
}

/** The Monday (China calendar) of the week `day` is in. */
export function weekStart(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const back = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - back);
  return d.toISOString().slice(0, 10);
}

const NEXT: Record<AlertState, AlertState[]> = { open: ['acknowledged', 'resolved'], acknowledged: ['resolved'], resolved: [] };

/** open → acknowledged → resolved (an open alert may be resolved at once); nothing leaves resolved. */
export function canMove(from: AlertState, to: AlertState): boolean {
  return NEXT[from].includes(to);
}
