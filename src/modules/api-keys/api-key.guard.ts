import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { AppConfig } from '@config/app-config';
import { PUBLIC_METADATA, ROLES_METADATA } from '@common/auth/auth.decorators';
import { Role } from '@common/auth/principal';
import { RateLimiter } from '@common/auth/rate-limiter';
import { DomainError, RateLimitedError } from '@common/errors/domain-error';
import { ApiKeysService } from './api-keys.service';

/**
 * Global guard: every route needs a valid API key unless marked `@Public()`. Missing or
 * invalid key: 401; role not allowed: 403; over the per-key rate: 429 with Retry-After.
 * The rate is per key across all processes (counted in PostgreSQL, see `RateLimiter`).
 * Tenant scope (404 for other tenants' resources) is enforced by the services.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);
  private readonly limiter: RateLimiter;
  private lastStoreWarning = 0;

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
    config: AppConfig,
    @InjectDataSource() ds: DataSource,
  ) {
    this.limiter = RateLimiter.shared(ds, config.RATE_LIMIT_PER_MINUTE, (err) => this.storeFailed(err));
  }

  /** The limiter admits requests while its store is down; say so, at most every 10 s. */
  private storeFailed(err: unknown): void {
    if (Date.now() - this.lastStoreWarning < 10_000) return;
    this.lastStoreWarning = Date.now();
    this.logger.warn(`Rate limit counters unavailable, admitting requests meanwhile: ${String(err)}`);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_METADATA, targets)) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new DomainError('UNAUTHENTICATED', 'Missing API key: send Authorization: Bearer <key>');
    const principal = await this.keys.authenticate(match[1]);
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'Invalid or revoked API key');
    // Known from here on, also when refused below: the action log records who was refused (issue 16).
    request.principal = principal;

    const retryAfter = await this.limiter.take(principal.id);
    if (retryAfter > 0) throw new RateLimitedError(retryAfter);

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_METADATA, targets);
    if (roles && !roles.includes(principal.role)) {
      throw new DomainError('FORBIDDEN', `This endpoint is for: ${roles.join(', ')}`);
    }
    return true;
  }
}
