import { Module } from '@nestjs/common';
import { InstitutionsModule } from '../institutions/institutions.module';
import { CoursesController } from './courses.controller';
import { CoursesService } from './courses.service';

@Module({ imports: [InstitutionsModule], controllers: [CoursesController], providers: [CoursesService], exports: [CoursesService] })
export class CoursesModule {}
