import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { codeCovers } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { AppConfig } from '@config/app-config';
import { OutboxService } from '@infra/outbox/outbox.service';
import { JobName, jobId } from '@infra/queues/queue.constants';
import { QueueService } from '@infra/queues/queue.service';
import { BANK_SECRET_BOX, newWebhookSecret } from '@modules/banks/banks.service';
import { SecretBox } from '@modules/banks/secret-box';
import { AttemptOutcome, DeliveryPort, scheduleOf, WebhookAttempt, WebhookDelivery, WebhookMessage } from '@modules/settlements/webhook-delivery';
import { alertView } from './alert-view';
import { AlertSubscriptionsRepository, SubscriptionRow } from './alert-subscriptions.repository';
import { AlertsRepository } from './alerts.repository';

/** The sealed secret opens only on its own subscription row. */
const context = (id: string) => `alert-subscription:${id}`;
const notFound = (id: string) => new DomainError('ALERT_SUBSCRIPTION_NOT_FOUND', 'Alert subscription not found', { subscriptionId: id });

export interface SubscriptionView {
  id: string;
  url: string;
  districtCodes: string[];
  createdAt: string;
  disabledAt: string | null;
  disabledReason: string | null;
}

const view = (r: SubscriptionRow): SubscriptionView => ({
  id: r.id,
  url: r.url,
  districtCodes: r.district_codes,
  createdAt: new Date(r.created_at).toISOString(),
  disabledAt: r.disabled_at ? new Date(r.disabled_at).toISOString() : null,
  disabledReason: r.disabled_reason,
});

/**
 * Alert subscriptions (issue 16): every new alert of a subscription's districts is delivered to its
 * endpoint as a Standard Webhook by the machinery that delivers settlement instructions (the same
 * signature, retry schedule, 410 and Retry-After rules, dead letter), each attempt recorded. This
 * class is the alerts' port: the webhook id is the delivery id (one per subscription and alert).
 */
@Injectable()
export class AlertSubscriptionsService implements DeliveryPort {
  private readonly logger = new Logger(AlertSubscriptionsService.name);
  private readonly delivery: WebhookDelivery;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: AlertSubscriptionsRepository,
    private readonly alerts: AlertsRepository,
    private readonly outbox: OutboxService,
    private readonly queues: QueueService,
    @Inject(BANK_SECRET_BOX) private readonly box: SecretBox,
    config: AppConfig,
  ) {
    this.delivery = new WebhookDelivery(scheduleOf(config));
  }

  /** Registers an endpoint for some (default: all) of the caller's districts; the secret is shown once. */
  async create(who: Principal, url: string, districtCodes: string[] | undefined): Promise<SubscriptionView & { secret: string }> {
    const codes = [...new Set(districtCodes ?? (who.role === 'regulator' ? who.districts : []))];
    if (codes.length === 0) throw new DomainError('VALIDATION_FAILED', 'districtCodes: name the districts to subscribe to', { field: 'districtCodes' });
    for (const c of codes) {
      if (who.role !== 'admin' && !who.districts.some((mine) => codeCovers(mine, c))) throw new DomainError('DISTRICT_NOT_FOUND', `District ${c} not found`, { districtCode: c });
    }
    const secret = newWebhookSecret();
    // The id is drawn here: the seal is bound to it.
    const id = randomUUID();
    const row = await this.repo.create(this.ds.manager, id, who.id, url, codes, this.box.seal(secret, context(id)));
    return { ...view(row), secret };
  }

  async list(who: Principal): Promise<SubscriptionView[]> {
    return (await this.repo.list(this.ds.manager, who.role === 'admin' ? null : who.id)).map(view);
  }

  /** Stops deliveries to it (kept, with what it received). */
  async disable(who: Principal, id: string): Promise<SubscriptionView> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw notFound(id);
    const row = await this.repo.get(this.ds.manager, id);
    if (!row || (who.role !== 'admin' && row.created_by !== who.id)) throw notFound(id);
    await this.repo.disable(this.ds.manager, id, `disabled by ${who.id}`);
    return view((await this.repo.get(this.ds.manager, id))!);
  }

  /** In the transaction that opened the alerts: one delivery per subscription covering each, queued through the outbox. */
  async enqueue(m: EntityManager, alertIds: string[]): Promise<void> {
    if (alertIds.length === 0) return;
    for (const d of await this.repo.createDeliveries(m, alertIds)) {
      await this.outbox.enqueue(m, JobName.DeliverAlert, { deliveryId: d.id, attempt: 1, round: 'r0' }, jobId('alert-delivery', d.id, 'r0', '1'));
    }
  }

  attempt(deliveryId: string, attempt: number, round: string): Promise<AttemptOutcome> {
    return this.delivery.attempt(this, deliveryId, attempt, round);
  }

  async prepare(deliveryId: string): Promise<WebhookMessage | 'done' | 'waiting'> {
    const d = await this.repo.delivery(this.ds.manager, deliveryId);
    if (!d || d.state === 'delivered' || d.dead_lettered_at || d.disabled_at) return 'done';
    const [alert] = await this.alerts.byIds(this.ds.manager, [d.alert_id]);
    const secret = this.box.open(d.sealed_secret, context(d.subscription_id));
    return { webhookId: d.id, url: d.url, secrets: [secret], body: JSON.stringify({ type: 'alert.opened', subscriptionId: d.subscription_id, alert: alertView(alert) }) };
  }

  recordAttempt(deliveryId: string, accepted: boolean, a: WebhookAttempt): Promise<void> {
    return this.repo.recordAttempt(this.ds.manager, deliveryId, accepted, a);
  }

  async endpointGone(deliveryId: string, reason: string): Promise<void> {
    const d = await this.repo.delivery(this.ds.manager, deliveryId);
    if (d) await this.repo.disable(this.ds.manager, d.subscription_id, reason);
    this.logger.error(`Alert subscription ${d?.subscription_id} disabled: ${reason}`);
  }

  async deadLetter(deliveryId: string, status: number | null, error: string | null, attempts: number): Promise<void> {
    await this.repo.deadLetter(this.ds.manager, deliveryId);
    this.logger.error(`Alert delivery ${deliveryId} dead-lettered after ${attempts} attempts (last ${status ?? error})`);
  }

  async schedule(deliveryId: string, attempt: number, delayMs: number, round: string): Promise<void> {
    await this.repo.scheduleNext(this.ds.manager, deliveryId, delayMs);
    await this.queues.add(JobName.DeliverAlert, { deliveryId, attempt, round }, jobId('alert-delivery', deliveryId, round, String(attempt)), { delay: delayMs });
  }
}
