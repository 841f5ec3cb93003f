import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { from, Observable } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import { AppConfig } from '@config/app-config';
import { GroupWriter } from '@common/batching/group-writer';
import { ProcessLiveness } from '@infra/database/process-liveness.service';
import { DomainError, IdempotentReplay } from '../errors/domain-error';
import { mapError } from '../errors/error-body';
import { IDEMPOTENT_METADATA, IdempotentOptions } from './idempotent.decorator';
import { IdempotencyRepository } from './idempotency.repository';
import { requestHash } from './request-hash';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` for every mutating endpoint. The key is claimed in PostgreSQL before the
 * handler runs; the response (success or a 4xx) is stored and replayed for 7 days with
 * `Idempotent-Replayed: true`. Same key with another request: 422. Same key while the first
 * is running: 409. An unexpected failure (5xx) frees the key so the client may retry; a key
 * left `in_progress` by a process that died is free at once (the claim names the process's
 * liveness lock, which PostgreSQL drops with its connection), and any in-progress key after
 * IDEMPOTENCY_LOCK_SECONDS.
 * Domain operations also de-duplicate on natural keys, so even a taken-over key cannot move
 * money twice.
 * Claims and completions of concurrent requests are written together (group commit: one
 * statement and one commit for all that arrived during the previous write); each request still
 * waits for its own to be committed before its handler runs or its answer leaves.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly claims: GroupWriter<Claim, boolean>;
  private readonly completions: GroupWriter<Completion, undefined>;

  constructor(
    private readonly repo: IdempotencyRepository,
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly liveness: ProcessLiveness,
  ) {
    this.claims = new GroupWriter((items) => this.repo.claimMany(items, this.config.IDEMPOTENCY_TTL_HOURS));
    this.completions = new GroupWriter(async (items) => {
      await this.repo.completeMany(items);
      return items.map(() => undefined);
    });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers['idempotency-key'];
    const options = this.reflector.get<IdempotentOptions | undefined>(IDEMPOTENT_METADATA, context.getHandler());
    const principalId = request.principal?.id ?? payerPrincipal(request, options);
    if (!MUTATING.has(request.method) || header === undefined || !principalId) return next.handle();

    const key = Array.isArray(header) ? header[0] : header;
    if (!KEY_FORMAT.test(key)) {
      throw new DomainError('INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1-255 printable ASCII characters');
    }
    const status =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? (request.method === 'POST' ? 201 : 200);
    const hash = requestHash(request.method, request.url, request.body);

    return from(this.begin(principalId, key, request.method, request.url, hash)).pipe(
      mergeMap(() => next.handle()),
      mergeMap((body) => from(this.completions.write({ principalId, key, status, body: redact(body, options?.redact) }).then(() => body))),
      catchError((err: unknown) => {
        if (err instanceof IdempotentReplay || isClaimError(err)) throw err;
        const mapped = mapError(err, String(request.id));
        const settle = mapped.status >= 500 ? this.repo.release(principalId, key) : this.completions.write({ principalId, key, status: mapped.status, body: mapped.body });
        return from(settle.catch(() => undefined)).pipe(
          mergeMap(() => {
            throw err;
          }),
        );
      }),
    );
  }

  private async begin(principalId: string, key: string, method: string, url: string, hash: string): Promise<void> {
    const ttl = this.config.IDEMPOTENCY_TTL_HOURS;
    const lock = this.config.IDEMPOTENCY_LOCK_SECONDS;
    const owner = this.liveness.liveInstanceId;
    if (await this.claims.write({ principalId, key, method, path: url, hash, owner })) return;
    const existing = await this.repo.find(principalId, key, lock);
    if (!existing) {
      // Freed between our insert and read (the first request failed): try once more.
      if (await this.repo.claim(principalId, key, method, url, hash, ttl, owner)) return;
      throw claimError('IDEMPOTENCY_REQUEST_IN_PROGRESS', 'A request with this Idempotency-Key is in progress');
    }
    if (existing.request_hash !== hash) {
      throw claimError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request');
    }
    if (existing.state === 'completed') throw new IdempotentReplay(existing.response_status ?? 200, existing.response_body);
    if (existing.stale && (await this.repo.takeOverStale(principalId, key, lock, owner))) return;
    throw claimError('IDEMPOTENCY_REQUEST_IN_PROGRESS', 'A request with this Idempotency-Key is in progress');
  }
}

interface Claim {
  principalId: string;
  key: string;
  method: string;
  path: string;
  hash: string;
  owner: number | null;
}

interface Completion {
  principalId: string;
  key: string;
  status: number;
  body: unknown;
}

/**
 * A payer acts with the contract's token instead of an API key: on an `@Idempotent()` payer route
 * the key is scoped to the token (by its hash; the token itself is never stored).
 */
function payerPrincipal(request: FastifyRequest, options: IdempotentOptions | undefined): string | null {
  const token = request.headers['payer-token'];
  if (!options || typeof token !== 'string' || token.length === 0) return null;
  return `payer:${createHash('sha256').update(token).digest('hex')}`;
}

class IdempotencyClaimError extends DomainError {}
const claimError = (code: 'IDEMPOTENCY_KEY_REUSED' | 'IDEMPOTENCY_REQUEST_IN_PROGRESS', message: string) =>
  new IdempotencyClaimError(code, message);
const isClaimError = (err: unknown) => err instanceof IdempotencyClaimError;

function redact(body: unknown, fields?: string[]): unknown {
  if (!fields?.length || !body || typeof body !== 'object') return body;
  const copy = { ...(body as Record<string, unknown>) };
  for (const f of fields) if (f in copy) copy[f] = '[shown once; not stored]';
  return copy;
}

