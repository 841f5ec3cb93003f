import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  registerDecorator,
  ValidateIf,
} from 'class-validator';

export const PROCESS_ROLES = ['api', 'worker', 'all'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return value;
};
const emptyToUndefined = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** One key of the ring that encrypts bank signing secrets at rest (AES-256-GCM). */
export interface BankSecretKey {
  id: string;
  key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses `BANK_SECRET_KEYS`: comma-separated `keyId:base64` entries of exactly 32 random bytes
 * (`openssl rand -base64 32`). The first key encrypts; every key decrypts, so a new key can be
 * put first while rows sealed with the old one still open. Throws with the reason.
 */
export function parseBankSecretKeys(value: string): BankSecretKey[] {
  const keys: BankSecretKey[] = [];
  for (const entry of value.split(',').map((e) => e.trim())) {
    const at = entry.indexOf(':');
    const id = at > 0 ? entry.slice(0, at) : '';
    const b64 = entry.slice(at + 1);
    if (!KEY_ID.test(id)) throw new Error('each entry is keyId:base64 with a keyId of 1-32 letters, digits, - or _');
    const key = Buffer.from(b64, 'base64');
    // Buffer.from ignores junk, so insist on the canonical encoding of exactly 32 bytes.
    if (key.length !== 32 || key.toString('base64') !== b64) throw new Error(`key ${id} must be the base64 of exactly 32 bytes`);
    if (keys.some((k) => k.id === id)) throw new Error(`key id ${id} appears twice`);
    keys.push({ id, key });
  }
  return keys;
}

function IsBankKeyRing() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isBankKeyRing',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) => {
          if (value === undefined) return true; // @IsDefined says when it is missing
          try {
            return typeof value === 'string' && parseBankSecretKeys(value).length > 0;
          } catch {
            return false;
          }
        },
        defaultMessage: (args) => {
          try {
            parseBankSecretKeys(String(args?.value));
            return 'BANK_SECRET_KEYS must be comma-separated keyId:base64-of-32-bytes';
          } catch (err) {
            return (err as Error).message;
          }
        },
      },
    });
}

/**
 * Every environment variable the service understands. Validated once at boot by
 * `loadConfig`; nothing else in `src/` reads `process.env`.
 */
export class AppConfig {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  /** External PostgreSQL. Unset: an embedded PostgreSQL is started (see EMBEDDED_PG_DIR). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  /**
   * Key ring sealing the banks' webhook signing secrets at rest, so a database dump alone cannot
   * sign settlement instructions: `keyId:base64(32 bytes)[,keyId:base64...]`, first encrypts, all
   * decrypt. Required with DATABASE_URL (outside NODE_ENV=test). Unset with the embedded database:
   * a dev-only key is generated once and kept next to its data directory. Unset in tests with
   * DATABASE_URL: an in-memory key per process. Never logged (it is only ever parsed).
   */
  @Transform(emptyToUndefined)
  @ValidateIf((c: AppConfig) => c.BANK_SECRET_KEYS !== undefined || (c.DATABASE_URL !== undefined && c.NODE_ENV !== 'test'))
  @IsDefined({ message: 'BANK_SECRET_KEYS is required with DATABASE_URL: keyId:base64 of 32 random bytes, e.g. k1:$(openssl rand -base64 32)' })
  @IsBankKeyRing()
  BANK_SECRET_KEYS?: string = undefined;

  /** BullMQ on Redis. Unset: BullMQ runs on its PostgreSQL backend in the same database. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @IsIn(PROCESS_ROLES as unknown as string[])
  PROCESS_ROLE: ProcessRole = 'all';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsString()
  @MinLength(1)
  EMBEDDED_PG_DIR = './.data/postgres';

  /** 0 picks a free port. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  EMBEDDED_PG_PORT = 0;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 20;

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(50 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  /** Largest bank statement file accepted by `POST /bank/statements` (413 above); it is kept whole in the request. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(512 * 1024 * 1024)
  STATEMENT_MAX_BYTES = 50 * 1024 * 1024;

  /** Requests per API key per minute, per process. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_MINUTE = 6000;

  @Transform(toInt)
  @IsInt()
  @Min(24)
  IDEMPOTENCY_TTL_HOURS = 24 * 7;

  /** An in-progress idempotency key older than this is considered abandoned (crashed request). */
  @Transform(toInt)
  @IsInt()
  @Min(5)
  IDEMPOTENCY_LOCK_SECONDS = 120;

  /** Seconds a resolved API key stays cached in one process (revocation takes at most this long elsewhere). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300)
  AUTH_CACHE_SECONDS = 5;

  /** Namespace of BullMQ keys (Redis) or schema (PostgreSQL backend). */
  @Matches(/^[a-z][a-z0-9_]{0,40}$/, { message: 'QUEUE_PREFIX must be lower-case letters, digits, _' })
  QUEUE_PREFIX = 'escrow';

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  QUEUE_LOCK_DURATION_MS = 30000;

  @Transform(toInt)
  @IsInt()
  @Min(500)
  QUEUE_STALLED_INTERVAL_MS = 30000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  QUEUE_CONCURRENCY = 8;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  OUTBOX_POLL_MS = 250;

  /** Run BullMQ job schedulers (daily supervision, clean-ups) in this process. */
  @Transform(toBool)
  @IsBoolean()
  SCHEDULER_ENABLED = true;

  @Transform(toBool)
  @IsBoolean()
  DOCS_ENABLED = true;

  /** Joint review (联审联评): distinct regulator approvals a licence needs, unless a district sets its own. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10)
  LICENCE_APPROVALS_REQUIRED = 2;

  /** Settlement webhook retry schedule (ms after each failed attempt); the last one dead-letters. */
  @Matches(/^\d+(,\d+)*$/, { message: 'SETTLEMENT_RETRY_DELAYS_MS must be comma-separated milliseconds' })
  SETTLEMENT_RETRY_DELAYS_MS = '0,5000,300000,1800000,7200000,18000000,36000000,50400000,72000000,86400000';

  /** Random spread added to each retry delay (0.1 = up to +10 %). */
  @Transform(({ value }) => (typeof value === 'string' && /^0(\.\d+)?$|^1$/.test(value) ? Number(value) : value))
  @IsNumber()
  @Min(0)
  @Max(1)
  SETTLEMENT_RETRY_JITTER = 0.1;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(120000)
  SETTLEMENT_TIMEOUT_MS = 15000;

  /** Reconciliation: a bank line and a platform record may be this many working days apart (and in transit this long). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(30)
  RECONCILIATION_WINDOW_DAYS = 2;

  /** China time (HH:MM) after which a missing statement of the previous working day is an exception. */
  @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'RECONCILIATION_STATEMENT_CUTOFF must be HH:MM (24 h)' })
  RECONCILIATION_STATEMENT_CUTOFF = '10:00';

  /** Test hook: a reconciliation run waits this long inside its transaction (0 in production). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600000)
  RECONCILIATION_TEST_DELAY_MS = 0;
}
