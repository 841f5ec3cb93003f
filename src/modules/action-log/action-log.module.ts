import { Module } from '@nestjs/common';
import { ActionLogController } from './action-log.controller';
import { ActionLogRepository } from './action-log.repository';
import { ActionLogService } from './action-log.service';

/** The action log (issue 16): written by an HTTP hook (src/bootstrap/create-app.ts), read by regulators. */
@Module({
  controllers: [ActionLogController],
  providers: [ActionLogRepository, ActionLogService],
  exports: [ActionLogService],
})
export class ActionLogModule {}
