import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InstitutionsModule } from '../institutions/institutions.module';
import { SupervisionEventsModule } from '../supervision/supervision-events.module';
import { LicenceEntity } from './licence.entity';
import { LicencesController } from './licences.controller';
import { LicencesRepository } from './licences.repository';
import { LicencesService } from './licences.service';

@Module({
  imports: [TypeOrmModule.forFeature([LicenceEntity]), InstitutionsModule, SupervisionEventsModule],
  controllers: [LicencesController],
  providers: [LicencesRepository, LicencesService],
  exports: [LicencesService],
})
export class LicencesModule {}
