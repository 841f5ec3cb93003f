import { Module } from '@nestjs/common';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { SupervisionEventsModule } from '@modules/supervision/supervision-events.module';
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
