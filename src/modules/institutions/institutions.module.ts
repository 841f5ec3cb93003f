import { Module } from '@nestjs/common';
import { SupervisionEventsModule } from '@modules/supervision/supervision-events.module';
import { InstitutionsController } from './institutions.controller';
import { InstitutionsRepository } from './institutions.repository';
import { InstitutionsService } from './institutions.service';

@Module({
  imports: [SupervisionEventsModule],
  controllers: [InstitutionsController],
  providers: [InstitutionsRepository, InstitutionsService],
  exports: [InstitutionsService],
})
export class InstitutionsModule {}
