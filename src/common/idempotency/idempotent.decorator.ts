import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiConflictResponse, ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { ErrorBodyDto } from '../http/error-body.dto';

export const IDEMPOTENT_METADATA = 'escrow:idempotent';

export interface IdempotentOptions {
  /** Response fields replaced before the response is stored (secrets shown once). */
  redact?: string[];
}

/**
 * Documents `Idempotency-Key` on a mutating endpoint and sets storage options. The global
 * interceptor applies idempotency to every POST/PUT/PATCH/DELETE that sends the header.
 */
export const Idempotent = (options: IdempotentOptions = {}) =>
  applyDecorators(
    SetMetadata(IDEMPOTENT_METADATA, options),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Up to 255 printable characters. A replay returns the stored response with Idempotent-Replayed: true.',
    }),
    ApiConflictResponse({ description: 'IDEMPOTENCY_REQUEST_IN_PROGRESS (or a domain conflict)', type: ErrorBodyDto }),
    ApiUnprocessableEntityResponse({ description: 'IDEMPOTENCY_KEY_REUSED (or a domain rule)', type: ErrorBodyDto }),
  );
