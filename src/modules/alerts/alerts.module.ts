import { Module } from '@nestjs/common';
import { PoliciesModule } from '@modules/policies/policies.module';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { AlertEvaluationJob } from './jobs/alert-evaluation.job';

/** Risk alerts for regulators (issue 16): evaluated by a scheduled job from each jurisdiction's policy. */
@Module({
  imports: [PoliciesModule],
  controllers: [AlertsController],
  providers: [AlertsRepository, AlertsService, AlertEvaluationJob],
  exports: [AlertsService],
})
export class AlertsModule {}
