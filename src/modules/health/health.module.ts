import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { HealthRepository } from './health.repository';
import { MetricsController } from './metrics.controller';

@Module({ controllers: [HealthController, MetricsController], providers: [HealthRepository] })
export class HealthModule {}
