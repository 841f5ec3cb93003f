import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '../../common/auth/principal';
import { DomainError } from '../../common/errors/domain-error';
import { Money } from '../../common/money/money';
import { InstitutionsService } from '../institutions/institutions.service';

export interface CourseRow {
  id: string;
  institution_id: string;
  name: string;
  category: 'subject' | 'non_subject';
  kind: 'lesson_pack' | 'time_based';
  lesson_minutes: number;
  class_size_band: 'small' | 'medium' | 'large';
  list_price_per_lesson: string;
  created_at: Date;
}

export interface CreateCourseCommand {
  name: string;
  category: CourseRow['category'];
  kind: CourseRow['kind'];
  lessonMinutes: number;
  classSizeBand: CourseRow['class_size_band'];
  listPricePerLesson: string;
}

/** Courses an institution offers (its own or, for regulators and admins, any in scope). */
@Injectable()
export class CoursesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly institutions: InstitutionsService,
  ) {}

  async create(who: Principal, institutionId: string, cmd: CreateCourseCommand): Promise<CourseRow> {
    const price = Money.parse(cmd.listPricePerLesson, 'CNY', 'listPricePerLesson');
    if (!price.isPositive()) throw new DomainError('INVALID_AMOUNT', 'listPricePerLesson must be positive');
    await this.institutions.getVisible(who, institutionId);
    const rows: CourseRow[] = await this.ds.query(
      `INSERT INTO courses (institution_id, name, category, kind, lesson_minutes, class_size_band, list_price_per_lesson)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *, list_price_per_lesson::text`,
      [institutionId, cmd.name, cmd.category, cmd.kind, cmd.lessonMinutes, cmd.classSizeBand, price.toString()],
    );
    return rows[0];
  }

  async list(who: Principal, institutionId: string): Promise<CourseRow[]> {
    await this.institutions.getVisible(who, institutionId);
    return this.ds.query(`SELECT *, list_price_per_lesson::text FROM courses WHERE institution_id = $1 ORDER BY created_at`, [institutionId]);
  }

  async get(m: EntityManager, institutionId: string, courseId: string): Promise<CourseRow> {
    const rows: CourseRow[] = await m.query(`SELECT *, list_price_per_lesson::text FROM courses WHERE id = $1 AND institution_id = $2`, [courseId, institutionId]);
    if (!rows[0]) throw new DomainError('COURSE_NOT_FOUND', `Course ${courseId} not found for this institution`);
    return rows[0];
  }
}
