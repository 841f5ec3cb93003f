import { Module } from '@nestjs/common';
import { PoliciesModule } from '@modules/policies/policies.module';
import { AlertSubscriptionsController } from './alert-subscriptions.controller';
import { AlertSubscriptionsRepository } from './alert-subscriptions.repository';
import { AlertSubscriptionsService } from './alert-subscriptions.service';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { DeliverAlertJob } from './jobs/alert-delivery.job';
import { AlertEvaluationJob } from './jobs/alert-evaluation.job';

/** Risk alerts for regulators (issue 16): evaluated by a scheduled job from each jurisdiction's policy. */
@Module({
  imports: [PoliciesModule],
  controllers: [AlertsController, AlertSubscriptionsController],
  providers: [AlertsRepository, AlertsService, AlertEvaluationJob, AlertSubscriptionsRepository, AlertSubscriptionsService, DeliverAlertJob],
  exports: [AlertsService],
})
export class AlertsModule {}
