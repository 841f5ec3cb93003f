import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
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
}
