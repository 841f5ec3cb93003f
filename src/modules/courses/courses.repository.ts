import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface CourseRow {
  id: string;
  institution_id: string;
  name: string;
  category: 'subject' | 'non_subject';
  kind: 'lesson_pack' | 'time_based';
  lesson_minutes: number;
  class_size_band: 'small' | 'medium' | 'large';
  /** numeric(18,2) as text. */
  list_price_per_lesson: string;
  created_at: Date;
}

export type NewCourse = Omit<CourseRow, 'id' | 'created_at'>;

const COLUMNS = `id, institution_id, name, category, kind, lesson_minutes, class_size_band, list_price_per_lesson::text AS list_price_per_lesson, created_at`;

@Injectable()
export class CoursesRepository {
  async insert(m: EntityManager, c: NewCourse): Promise<CourseRow> {
    const rows: CourseRow[] = await m.query(
      `INSERT INTO courses (institution_id, name, category, kind, lesson_minutes, class_size_band, list_price_per_lesson)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [c.institution_id, c.name, c.category, c.kind, c.lesson_minutes, c.class_size_band, c.list_price_per_lesson],
    );
    return rows[0];
  }

  listForInstitution(m: EntityManager, institutionId: string): Promise<CourseRow[]> {
    return m.query(`SELECT ${COLUMNS} FROM courses WHERE institution_id = $1 ORDER BY created_at`, [institutionId]);
  }

  async find(m: EntityManager, institutionId: string, courseId: string): Promise<CourseRow | null> {
    const rows: CourseRow[] = await m.query(`SELECT ${COLUMNS} FROM courses WHERE id = $1 AND institution_id = $2`, [courseId, institutionId]);
    return rows[0] ?? null;
  }
}
