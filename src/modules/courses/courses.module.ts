import { Module } from '@nestjs/common';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { CoursesController } from './courses.controller';
import { CoursesRepository } from './courses.repository';
import { CoursesService } from './courses.service';

@Module({ imports: [InstitutionsModule], controllers: [CoursesController], providers: [CoursesRepository, CoursesService], exports: [CoursesService] })
export class CoursesModule {}
