/** PostgreSQL SQLSTATE codes we react to. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_CHECK_VIOLATION = '23514';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
export const PG_SERIALIZATION_FAILURE = '40001';
export const PG_DEADLOCK_DETECTED = '40P01';

export function pgCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

export function pgConstraint(err: unknown): string | undefined {
  const e = err as { constraint?: unknown; driverError?: { constraint?: unknown } };
  const c = e?.driverError?.constraint ?? e?.constraint;
  return typeof c === 'string' ? c : undefined;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  return pgCode(err) === PG_UNIQUE_VIOLATION && (constraint === undefined || pgConstraint(err) === constraint);
}

/** Node socket errors of a database connection that went away or could not be made. */
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const CONNECTION_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

/**
 * The database is unreachable or restarting (not a fault of this request): SQLSTATE class 08
 * (connection exception), 57P01-57P03 (shut down, crashed, cannot connect now), 53300 (too many
 * connections), or the driver's own connection errors. Answered 503 with Retry-After.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = pgCode(err);
  if (code && (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code))) return true;
  if (code && CONNECTION_ERRNOS.has(code)) return true;
  const e = err as { message?: unknown; driverError?: { message?: unknown } };
  const message = String(e?.driverError?.message ?? e?.message ?? '');
  return CONNECTION_MESSAGES.test(message);
}

