import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, IdempotentReplay, RateLimitedError } from './domain-error';
import { mapError } from './error-body';

/** Every error leaves the service as `{ error: { code, message, details }, requestId }`. */
@Catch()
export class GlobalExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const requestId = String(request?.id ?? '');

    if (exception instanceof IdempotentReplay) {
      void reply.header('idempotent-replayed', 'true').status(exception.status).send(exception.body);
      return;
    }
    const mapped = mapError(exception, requestId);
    if (mapped.unexpected) {
      const err = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error({ err, requestId, url: request?.url }, `Unhandled error: ${err.message}`);
    }
    if (exception instanceof RateLimitedError) {
      void reply.header('retry-after', String(exception.retryAfterSeconds));
    } else if (mapped.status === 503) {
      // The database went away for a moment (a restart, a failover): worth a warning, not a stack.
      if (!(exception instanceof DomainError)) this.logger.warn({ requestId, url: request?.url }, `Answered 503: ${exception instanceof Error ? exception.message : String(exception)}`);
      void reply.header('retry-after', '1');
    }
    void reply.status(mapped.status).send(mapped.body);
  }
}
