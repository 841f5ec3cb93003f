import { Global, Module } from '@nestjs/common';
import { IdempotencyCleanupJob } from './idempotency-cleanup.job';
import { IdempotencyRepository } from './idempotency.repository';

@Global()
@Module({
  providers: [IdempotencyRepository, IdempotencyCleanupJob],
  exports: [IdempotencyRepository],
})
export class IdempotencyModule {}
