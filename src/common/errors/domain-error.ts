import { ErrorCode, statusForCode } from './error-codes';

/**
 * A business rule said no. Carries a stable code (mapped to an HTTP status in one table),
 * a human message and optional structured details for the client.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get status(): number {
    return statusForCode(this.code);
  }
}

/** Thrown by the rate limiter; the filter turns `retryAfterSeconds` into `Retry-After`. */
export class RateLimitedError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', 'Too many requests for this API key', { retryAfterSeconds });
  }
}

/**
 * Not an error: the idempotency layer found a stored response for this key. Raised so the
 * global filter can write the stored status and body verbatim with `Idempotent-Replayed`.
 */
export class IdempotentReplay extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super('idempotent replay');
  }
}
