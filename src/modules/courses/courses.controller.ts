import { IsAmount } from '@common/money/is-amount.decorator';
import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Length, Max, Min } from 'class-validator';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { CourseRow } from './courses.repository';
import { CoursesService } from './courses.service';

class CreateCourseDto {
  @ApiProperty({ example: '少儿美术 (周末班)' }) @IsString() @Length(1, 200) name: string;
  @ApiProperty({ enum: ['subject', 'non_subject'] }) @IsIn(['subject', 'non_subject']) category: 'subject' | 'non_subject';
  @ApiProperty({ enum: ['lesson_pack', 'time_based'] }) @IsIn(['lesson_pack', 'time_based']) kind: 'lesson_pack' | 'time_based';
  @ApiProperty({ example: 60 }) @IsInt() @Min(10) @Max(600) lessonMinutes: number;
  @ApiProperty({ enum: ['small', 'medium', 'large'], description: '<10 / 10-35 / >35 students' }) @IsIn(['small', 'medium', 'large']) classSizeBand: 'small' | 'medium' | 'large';
  @ApiProperty({ example: '200.00', description: 'List price per lesson (decimal string)' }) @IsAmount({ positive: true }) listPricePerLesson: string;
}

class CourseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) institutionId: string;
  @ApiProperty() name: string;
  @ApiProperty() category: string;
  @ApiProperty() kind: string;
  @ApiProperty() lessonMinutes: number;
  @ApiProperty() classSizeBand: string;
  @ApiProperty({ example: '200.00' }) listPricePerLesson: string;

  static from(c: CourseRow): CourseDto {
    return {
      id: c.id,
      institutionId: c.institution_id,
      name: c.name,
      category: c.category,
      kind: c.kind,
      lessonMinutes: c.lesson_minutes,
      classSizeBand: c.class_size_band,
      listPricePerLesson: c.list_price_per_lesson,
    };
  }
}

@ApiTags('contracts')
@Controller('institutions/:id/courses')
export class CoursesController {
  constructor(private readonly courses: CoursesService) {}

  @Post()
  @Roles('institution', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Define a course' })
  @ApiCreatedResponse({ type: CourseDto })
  async create(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() dto: CreateCourseDto): Promise<CourseDto> {
    return CourseDto.from(await this.courses.create(who, id, dto));
  }

  @Get()
  @Roles('institution', 'admin', 'regulator')
  @ApiOperation({ summary: "An institution's courses" })
  @ApiOkResponse({ type: [CourseDto] })
  async list(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<CourseDto[]> {
    return (await this.courses.list(who, id)).map(CourseDto.from);
  }
}
