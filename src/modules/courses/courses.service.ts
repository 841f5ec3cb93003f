import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { CourseRow, CoursesRepository } from './courses.repository';

export interface CreateCourseCommand {
  name: string;
  category: CourseRow['category'];
  kind: CourseRow['kind'];
  lessonMinutes: number;
  classSizeBand: CourseRow['class_size_band'];
  listPricePerLesson: string;
}

/** Courses found, by institution and course id: a course is never changed or deleted once created. */
const CACHE_LIMIT = 10_000;

/** Courses an institution offers (its own or, for regulators and admins, any in scope). */
@Injectable()
export class CoursesService {
  private readonly found = new Map<string, CourseRow>();

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: CoursesRepository,
    private readonly institutions: InstitutionsService,
  ) {}

  async create(who: Principal, institutionId: string, cmd: CreateCourseCommand): Promise<CourseRow> {
    const price = Money.parse(cmd.listPricePerLesson, 'CNY', 'listPricePerLesson', { positive: true });
    await this.institutions.getVisible(who, institutionId);
    return this.repo.insert(this.ds.manager, {
      institution_id: institutionId,
      name: cmd.name,
      category: cmd.category,
      kind: cmd.kind,
      lesson_minutes: cmd.lessonMinutes,
      class_size_band: cmd.classSizeBand,
      list_price_per_lesson: price.toString(),
    });
  }

  async list(who: Principal, institutionId: string): Promise<CourseRow[]> {
    await this.institutions.getVisible(who, institutionId);
    return this.repo.listForInstitution(this.ds.manager, institutionId);
  }

  /**
   * A course of the institution. Courses are immutable (no statement updates or deletes them), so a
   * course once found is kept in memory and registering a lesson costs no query for it; a course
   * not found is not remembered (it may be created next).
   */
  async get(m: EntityManager, institutionId: string, courseId: string): Promise<CourseRow> {
    const key = `${institutionId}/${courseId}`;
    const cached = this.found.get(key);
    if (cached) return cached;
    const course = await this.repo.find(m, institutionId, courseId);
    if (!course) throw new DomainError('COURSE_NOT_FOUND', `Course ${courseId} not found for this institution`);
    if (this.found.size >= CACHE_LIMIT) this.found.clear();
    this.found.set(key, Object.freeze(course));
    return course;
  }
}
