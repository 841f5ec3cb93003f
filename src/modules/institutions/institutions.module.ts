import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SupervisionEventsModule } from '../supervision/supervision-events.module';
import { InstitutionEntity } from './institution.entity';
import { InstitutionsController } from './institutions.controller';
import { InstitutionsRepository } from './institutions.repository';
import { InstitutionsService } from './institutions.service';

@Module({
  imports: [TypeOrmModule.forFeature([InstitutionEntity]), SupervisionEventsModule],
  controllers: [InstitutionsController],
  providers: [InstitutionsRepository, InstitutionsService],
  exports: [InstitutionsService],
})
export class InstitutionsModule {}
