import { Module } from '@nestjs/common';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { SupervisionEventsModule } from '@modules/supervision/supervision-events.module';
import { LicencesController } from './licences.controller';
import { LicencesRepository } from './licences.repository';
import { LicencesService } from './licences.service';

@Module({
  imports: [InstitutionsModule, SupervisionEventsModule],
  controllers: [LicencesController],
  providers: [LicencesRepository, LicencesService],
  exports: [LicencesService],
})
export class LicencesModule {}
