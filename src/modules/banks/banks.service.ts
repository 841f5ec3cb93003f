import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '@common/errors/domain-error';
import { BankRow, BanksRepository, StoredSecret } from './banks.repository';
import { SecretBox, SecretBoxError } from './secret-box';
import { verifyWebhook } from './webhook-signature';

export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** What the API and other modules see of a bank: never a secret, only how many and since when. */
export interface Bank {
  code: string;
  name: string;
  webhookUrl: string | null;
  secretCount: number;
  /** Oldest first; null for a secret added before secrets were sealed at rest. */
  secretsCreatedAt: (string | null)[];
  disabledAt: Date | null;
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface BankDeliveryTarget {
  code: string;
  webhookUrl: string | null;
  /** Decrypted, oldest first: a delivery is signed with each so a rotation overlaps. */
  secrets: string[];
  disabledAt: Date | null;
}

export interface SealReport {
  banks: number;
  /** Rows whose plaintext secrets were sealed now. */
  sealed: number;
  /** Rows re-sealed under the first key of the ring. */
  resealed: number;
  keyId: string;
}

/** Thrown at boot when stored secrets cannot be opened with the configured key ring. */
export class BankKeyRingError extends Error {
  override name = 'BankKeyRingError';
}

export const BANK_SECRET_BOX = Symbol('BANK_SECRET_BOX');

type Headers = Record<string, string | string[] | undefined>;

/**
 * Custody banks and their Standard Webhooks signing secrets. Secrets rotate with an overlap (a
 * new one is added, all verify until the oldest is retired) and are stored sealed with the key
 * ring (BANK_SECRET_KEYS): a dump of the database cannot sign instructions or credits.
 */
@Injectable()
export class BanksService implements OnModuleInit {
  private readonly logger = new Logger(BanksService.name);
  /**
   * Delivery targets read a moment ago: every webhook attempt needs its bank's URL and secrets, and
   * reading and opening them each time cost a round trip and a decryption per delivery. Changes made
   * through this process clear the entry at once; another process's change is seen within the TTL.
   */
  private readonly targets = new Map<string, { value: BankDeliveryTarget | null; until: number }>();
  private static readonly TARGET_TTL_MS = 2000;
  /** The outcome of this process's boot pass (the CLI prints it). */
  lastSeal: SealReport | null = null;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: BanksRepository,
    @Inject(BANK_SECRET_BOX) private readonly box: SecretBox,
  ) {}

  /** Before any request or job: every stored secret must open, and plaintext or old-key rows get (re)sealed. */
  async onModuleInit(): Promise<void> {
    this.lastSeal = await this.sealAtRest();
    if (this.lastSeal.sealed || this.lastSeal.resealed) {
      this.logger.log(`Bank secrets: sealed ${this.lastSeal.sealed} and re-sealed ${this.lastSeal.resealed} bank(s) under key ${this.lastSeal.keyId}`);
    }
  }

  async register(code: string, name: string, webhookUrl: string | null, actor: string | null = null): Promise<{ bank: Bank; secret: string }> {
    this.targets.delete(code);
    const secret = newWebhookSecret();
    return this.ds.transaction(async (m) => {
      const row = await this.repo.insert(m, code, name, webhookUrl, [this.sealNew(code, secret)]);
      if (!row) throw new DomainError('CONFLICT', `Bank ${code} is already registered`);
      await this.repo.recordEvent(m, code, 'registered', actor, { name, webhookUrl });
      return { bank: toBank(row), secret };
    });
  }

  /** Adds a signing secret; the old ones keep verifying until retired. */
  async rotate(code: string, actor: string | null = null): Promise<{ bank: Bank; secret: string }> {
    this.targets.delete(code);
    const secret = newWebhookSecret();
    return this.ds.transaction(async (m) => {
      const row = await this.lockOrThrow(m, code);
      const updated = await this.repo.setSecrets(m, code, [...this.sealedOf(row), this.sealNew(code, secret)]);
      await this.repo.recordEvent(m, code, 'secret_added', actor, { secrets: updated.sealed_secrets.length });
      return { bank: toBank(updated), secret };
    });
  }

  /** Retires the oldest secret once the bank signs with the new one; the last one stays. */
  async retireOldest(code: string, actor: string | null = null): Promise<Bank> {
    this.targets.delete(code);
    return this.ds.transaction(async (m) => {
      const row = await this.lockOrThrow(m, code);
      const sealed = this.sealedOf(row);
      if (sealed.length < 2) throw new DomainError('CONFLICT', `Bank ${code} has a single secret left`);
      const updated = await this.repo.setSecrets(m, code, sealed.slice(1));
      await this.repo.recordEvent(m, code, 'secret_retired', actor, { secrets: updated.sealed_secrets.length });
      return toBank(updated);
    });
  }

  async find(code: string): Promise<Bank | null> {
    const row = await this.repo.find(this.ds.manager, code);
    return row ? toBank(row) : null;
  }

  /** A bank with its history (who changed what, when); 404 when unknown. */
  async get(code: string): Promise<{ bank: Bank; history: { action: string; actorId: string | null; details: Record<string, unknown>; at: Date }[] }> {
    const row = await this.repo.find(this.ds.manager, code);
    if (!row) throw notFound(code);
    const events = await this.repo.events(this.ds.manager, code);
    return { bank: toBank(row), history: events.map((e) => ({ action: e.action, actorId: e.actor_id, details: e.details, at: e.at })) };
  }

  async list(): Promise<Bank[]> {
    return (await this.repo.list(this.ds.manager)).map(toBank);
  }

  exists(code: string, m: EntityManager = this.ds.manager): Promise<boolean> {
    return this.repo.exists(m, code);
  }

  async update(code: string, patch: { name?: string; webhookUrl?: string }, actor: string | null = null): Promise<Bank> {
    this.targets.delete(code);
    if (patch.name === undefined && patch.webhookUrl === undefined) throw new DomainError('VALIDATION_FAILED', 'Give name or webhookUrl (or both)');
    return this.ds.transaction(async (m) => {
      const row = await this.lockOrThrow(m, code);
      const updated = await this.repo.updateSettings(m, code, patch.name ?? row.name, patch.webhookUrl ?? row.webhook_url);
      await this.repo.recordEvent(m, code, 'updated', actor, {
        before: { name: row.name, webhookUrl: row.webhook_url },
        after: { name: updated.name, webhookUrl: updated.webhook_url },
      });
      return toBank(updated);
    });
  }

  /** Where and how to deliver to a bank, with its secrets decrypted (never leave the process). */
  async deliveryTarget(code: string): Promise<BankDeliveryTarget | null> {
    const cached = this.targets.get(code);
    if (cached && cached.until > Date.now()) return cached.value;
    const row = await this.repo.find(this.ds.manager, code);
    const value = row ? { code: row.code, webhookUrl: row.webhook_url, secrets: this.plaintextOf(row), disabledAt: row.disabled_at } : null;
    this.targets.set(code, { value, until: Date.now() + BanksService.TARGET_TTL_MS });
    return value;
  }

  /** Disables the bank's endpoint (a 410), inside the caller's transaction. True when it was enabled. */
  async disable(m: EntityManager, code: string, reason: string): Promise<boolean> {
    this.targets.delete(code);
    const changed = await this.repo.disable(m, code, reason);
    if (changed) await this.repo.recordEvent(m, code, 'disabled', null, { reason });
    return changed;
  }

  /** Re-enables the endpoint (idempotent); 404 when unknown. The caller redelivers what waited. */
  async enable(code: string, actor: string | null = null): Promise<Bank> {
    this.targets.delete(code);
    return this.ds.transaction(async (m) => {
      await this.lockOrThrow(m, code);
      if (await this.repo.enable(m, code)) await this.repo.recordEvent(m, code, 'enabled', actor);
      return toBank((await this.repo.find(m, code))!);
    });
  }

  /**
   * Verifies a Standard Webhooks signature (HMAC-SHA256, 5-minute tolerance) with any of the
   * bank's current secrets (webhook-signature.ts: node:crypto over the raw bytes). Anything else
   * is 401 and nothing happens.
   */
  async verify(bankCode: string, rawBody: Buffer | undefined, headers: Headers): Promise<void> {
    const id = header(headers, 'webhook-id');
    const timestamp = header(headers, 'webhook-timestamp');
    const signature = header(headers, 'webhook-signature');
    if (!rawBody || !id || !timestamp || !signature) {
      throw new DomainError('INVALID_SIGNATURE', 'Missing webhook-id, webhook-timestamp or webhook-signature');
    }
    const row = await this.repo.find(this.ds.manager, bankCode);
    if (!row) throw new DomainError('INVALID_SIGNATURE', 'Missing or unknown webhook signature');
    // Signature only: the body is parsed (and may be refused) after this, by the app's JSON parser.
    if (verifyWebhook({ id, timestamp, signature, body: rawBody }, this.plaintextOf(row))) return;
    throw new DomainError('INVALID_SIGNATURE', 'The webhook signature does not verify (or its timestamp is outside 5 minutes)');
  }

  /**
   * Seals plaintext rows and re-seals rows sealed with an older key under the first key of the
   * ring (a key change without downtime: put the new key first, keep the old one after it until
   * this has run everywhere). Refuses to go on when a stored secret does not open: a process
   * that cannot sign or verify must not start.
   */
  async sealAtRest(): Promise<SealReport> {
    const rows = await this.repo.list(this.ds.manager);
    const unreadable = rows.flatMap((r) => this.unreadableKeys(r).map((k) => `${r.code} (key "${k}")`));
    if (unreadable.length) {
      throw new BankKeyRingError(
        `Signing secrets of ${unreadable.join(', ')} do not open with BANK_SECRET_KEYS (keys: ${this.box.keyIds.join(', ')}). ` +
          'Put the key that sealed them back in the ring, after the current first key, and start again.',
      );
    }
    const report: SealReport = { banks: rows.length, sealed: 0, resealed: 0, keyId: this.box.primaryKeyId };
    const stale = rows.filter((r) => this.needsSealing(r)).map((r) => r.code);
    if (!stale.length) return report;
    await this.ds.transaction(async (m) => {
      for (const row of await this.repo.findManyForUpdate(m, stale)) {
        if (!this.needsSealing(row)) continue; // another process did it while we waited for the lock
        const legacy = row.legacy_secrets !== null;
        await this.repo.setSecrets(m, row.code, this.sealedOf(row));
        await this.repo.recordEvent(m, row.code, legacy ? 'secrets_sealed' : 'secrets_resealed', null, {
          keyId: this.box.primaryKeyId,
          ...(legacy ? {} : { from: [...new Set(row.sealed_secrets.map((s) => s.k))] }),
        });
        if (legacy) report.sealed++;
        else report.resealed++;
      }
    });
    return report;
  }

  private needsSealing(row: BankRow): boolean {
    return row.legacy_secrets !== null || row.sealed_secrets.some((s) => this.box.isStale(s));
  }

  private unreadableKeys(row: BankRow): string[] {
    const bad = new Set<string>();
    for (const s of row.sealed_secrets) {
      try {
        this.box.open(s, context(row.code));
      } catch (err) {
        if (!(err instanceof SecretBoxError)) throw err;
        bad.add(s.k);
      }
    }
    return [...bad];
  }

  private async lockOrThrow(m: EntityManager, code: string): Promise<BankRow> {
    const row = await this.repo.findForUpdate(m, code);
    if (!row) throw notFound(code);
    return row;
  }

  private sealNew(code: string, secret: string): StoredSecret {
    return { ...this.box.seal(secret, context(code)), createdAt: new Date().toISOString() };
  }

  /** The row's secrets sealed under the current first key (opening and re-sealing only what needs it). */
  private sealedOf(row: BankRow): StoredSecret[] {
    if (row.legacy_secrets !== null) return row.legacy_secrets.map((s) => ({ ...this.box.seal(s, context(row.code)), createdAt: null }));
    return row.sealed_secrets.map((s) =>
      this.box.isStale(s) ? { ...this.box.seal(this.box.open(s, context(row.code)), context(row.code)), createdAt: s.createdAt } : s,
    );
  }

  private plaintextOf(row: BankRow): string[] {
    if (row.legacy_secrets !== null) return row.legacy_secrets;
    return row.sealed_secrets.map((s) => this.box.open(s, context(row.code)));
  }
}

/** Authenticated data of a bank's sealed secret: it opens on that bank's row only. */
const context = (code: string) => `bank:${code}`;

const notFound = (code: string) => new DomainError('BANK_NOT_FOUND', `Bank ${code} not found`);

function header(headers: Headers, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

function toBank(row: BankRow): Bank {
  const secrets = row.legacy_secrets ? row.legacy_secrets.map(() => null) : row.sealed_secrets.map((s) => s.createdAt);
  return {
    code: row.code,
    name: row.name,
    webhookUrl: row.webhook_url,
    secretCount: secrets.length,
    secretsCreatedAt: secrets,
    disabledAt: row.disabled_at,
    disabledReason: row.disabled_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
