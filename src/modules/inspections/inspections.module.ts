import { Module } from '@nestjs/common';
import { InstitutionsModule } from '../institutions/institutions.module';
import { SupervisionEventsModule } from '../supervision/supervision-events.module';
import { InspectionsController } from './inspections.controller';
import { InspectionsRepository } from './inspections.repository';
import { InspectionsService } from './inspections.service';

@Module({
  imports: [InstitutionsModule, SupervisionEventsModule],
  controllers: [InspectionsController],
  providers: [InspectionsRepository, InspectionsService],
  exports: [InspectionsService],
})
export class InspectionsModule {}
