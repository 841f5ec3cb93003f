import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { codeCovers, districtFilter } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { chinaDate, Clock } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { DomainError } from '@common/errors/domain-error';
import { MONEY_MOVEMENT_KINDS } from '@modules/money-movements/kinds';
import { PoliciesService } from '@modules/policies/policies.service';
import {
  AlertCandidate,
  AlertState,
  AppliedPolicy,
  balanceBelowFloor,
  canMove,
  coverageBelowOne,
  FOLDED_EVENT_TYPES,
  outflowAboveLimit,
  Position,
  singleMovementAbovePercent,
  weekStart,
} from './alert-rules';
import { AlertSubscriptionsService } from './alert-subscriptions.service';
import { AlertListFilter, AlertRow, AlertsRepository } from './alerts.repository';

/** Kinds of movement that take money out of escrow (read from the kinds, never named here). */
const OUTGOING_KINDS = MONEY_MOVEMENT_KINDS.filter((k) => k.direction === 'out').map((k) => k.kind);
/** The policies' amounts are yuan: the policy rules apply to CNY positions (coverage applies to every currency). */
const POLICY_CURRENCY = 'CNY';
/** How far back supervision events are folded into alerts (older ones were seen as events already). */
const EVENT_LOOKBACK_DAYS = 30;

export interface EvaluationResult {
  today: string;
  opened: string[];
}

const alertNotFound = (id: string) => new DomainError('ALERT_NOT_FOUND', 'Alert not found', { alertId: id });
const chinaMidnight = (day: string) => new Date(`${day}T00:00:00+08:00`);

/**
 * Risk alerts: evaluated from each jurisdiction's policy by a scheduled job (never on the money
 * path), one open alert per condition, states open → acknowledged → resolved with who and why.
 */
@Injectable()
export class AlertsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: AlertsRepository,
    private readonly policies: PoliciesService,
    private readonly clock: Clock,
    private readonly subscriptions: AlertSubscriptionsService,
  ) {}

  /**
   * One evaluation of every rule, in one transaction under an advisory lock (runs never overlap;
   * the unique index holds anyway). The new alerts' deliveries to subscriptions are queued through
   * the outbox in the same transaction.
   */
  evaluate(now: Date = this.clock.now()): Promise<EvaluationResult> {
    const today = chinaDate(now);
    return this.ds.transaction(async (m) => {
      await this.repo.lockEvaluation(m);
      const policyOf = this.policyCache(m, today);
      const candidates: (AlertCandidate & { once: boolean })[] = [];
      const add = (c: AlertCandidate | null, once: boolean) => c && candidates.push({ ...c, once });

      for (const r of await this.repo.positions(m)) {
        const p: Position = { institutionId: r.institution_id, districtCode: r.district_code, currency: r.currency, bankCash: r.bank_cash, obligations: r.held, registeredOn: r.registered_on };
        add(coverageBelowOne(p), false);
        const policy = r.currency === POLICY_CURRENCY ? await policyOf(r.district_code) : null;
        if (policy) add(balanceBelowFloor(p, policy, today), false);
      }

      // Last week and this one (China calendar), so a run just after midnight still sees yesterday.
      const since = chinaMidnight(addDaysTo(weekStart(today), -7));
      const weekly = new Map<string, { institutionId: string; districtCode: string; currency: string; period: string; total: Decimal }>();
      for (const d of await this.repo.dailyOutflows(m, OUTGOING_KINDS, since)) {
        if (d.currency !== POLICY_CURRENCY) continue;
        const policy = await policyOf(d.district_code);
        if (!policy) continue;
        add(outflowAboveLimit({ institutionId: d.institution_id, districtCode: d.district_code, currency: d.currency, period: d.day, total: d.total }, 'daily', policy), true);
        const key = `${d.institution_id}:${d.currency}:${weekStart(d.day)}`;
        const w = weekly.get(key) ?? { institutionId: d.institution_id, districtCode: d.district_code, currency: d.currency, period: weekStart(d.day), total: new Decimal(0) };
        w.total = w.total.plus(d.total);
        weekly.set(key, w);
      }
      for (const w of weekly.values()) {
        const policy = await policyOf(w.districtCode);
        if (policy) add(outflowAboveLimit({ ...w, total: w.total.toFixed(2) }, 'weekly', policy), true);
      }

      for (const mv of await this.repo.movementsToJudge(m, OUTGOING_KINDS, since)) {
        if (mv.currency !== POLICY_CURRENCY) continue;
        const policy = await policyOf(mv.district_code);
        if (!policy) continue;
        add(
          singleMovementAbovePercent(
            { movementId: mv.id, institutionId: mv.institution_id, districtCode: mv.district_code, currency: mv.currency, amount: mv.amount, balanceBefore: mv.balance_before },
            policy,
          ),
          true,
        );
      }

      const opened = [
        ...(await this.repo.open(m, candidates)),
        ...(await this.repo.foldEvents(m, FOLDED_EVENT_TYPES, new Date(now.getTime() - EVENT_LOOKBACK_DAYS * 86_400_000))),
      ];
      await this.subscriptions.enqueue(m, opened);
      return { today, opened };
    });
  }

  list(who: Principal, f: Omit<AlertListFilter, 'districtPatterns'>): Promise<AlertRow[]> {
    return this.repo.list(this.ds.manager, { ...f, districtPatterns: districtFilter(who).districtPatterns });
  }

  acknowledge(who: Principal, id: string, reason: string): Promise<AlertRow> {
    return this.move(who, id, 'acknowledged', (m) => this.repo.acknowledge(m, id, who.id, reason));
  }

  resolve(who: Principal, id: string, reason: string): Promise<AlertRow> {
    return this.move(who, id, 'resolved', (m) => this.repo.resolve(m, id, who.id, reason));
  }

  get(m: EntityManager, ids: string[]): Promise<AlertRow[]> {
    return this.repo.byIds(m, ids);
  }

  private move(who: Principal, id: string, to: AlertState, write: (m: EntityManager) => Promise<void>): Promise<AlertRow> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw alertNotFound(id);
    return this.ds.transaction(async (m) => {
      const alert = await this.repo.get(m, id, true);
      const visible = alert && (who.role === 'admin' || (who.role === 'regulator' && who.districts.some((c) => codeCovers(c, alert.district_code))));
      if (!alert || !visible) throw alertNotFound(id);
      if (!canMove(alert.state, to)) {
        throw new DomainError('INVALID_ALERT_TRANSITION', `An alert that is ${alert.state} cannot become ${to}`, { alertId: id, state: alert.state, to });
      }
      await write(m);
      return (await this.repo.get(m, id))!;
    });
  }

  /** The policy in force for each district today, resolved once per run (null when none is in force). */
  private policyCache(m: EntityManager, today: string): (district: string) => Promise<AppliedPolicy | null> {
    const cache = new Map<string, Promise<AppliedPolicy | null>>();
    return (district) => {
      let p = cache.get(district);
      if (!p) {
        p = this.policies.resolve(district, today, m).then(
          (row) => ({ code: row.code, version: row.version, alerts: row.rules.alerts }),
          (err: unknown) => {
            if (err instanceof DomainError && err.code === 'NOT_FOUND') return null;
            throw err;
          },
        );
        cache.set(district, p);
      }
      return p;
    };
  }
}
