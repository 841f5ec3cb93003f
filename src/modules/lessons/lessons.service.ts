import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { chinaDate, Clock } from '@common/clock';
import { AccessMode, requireInstitutionAccess } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { ErrorCode } from '@common/errors/error-codes';
import { Money } from '@common/money/money';
import { CalendarService } from '@modules/calendar/calendar.service';
import { ContractsService } from '@modules/contracts/contracts.service';
import { CoursesService } from '@modules/courses/courses.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { ContractForConsumption } from '@modules/contracts/contract.types';
import { Attendance, AttendanceGroup, Registered } from './attendance-group';
import { AttendeeFailure, attendanceRefusal } from './attendance-refusal';
import { LessonReleaseService, ReleaseResult } from './lesson-release.service';
import { invalidLessonTransition, lessonNotFound } from './lessons.errors';
import { LessonRow, LessonsRepository } from './lessons.repository';

export interface RegisterSessionCommand {
  sessionKey: string;
  courseId: string;
  startsAt: string;
  endsAt: string;
  teacher: string;
  location: string;
  attendees: string[];
}


/**
 * One lesson, one release. A class session consumes the next lesson of each attendee's
 * contract. Batches are all-or-none: if any attendee is refused, nothing of the batch is
 * recorded and the answer says which attendee failed and why. Idempotent by (session key,
 * contract): a repeat records nothing new and answers with the lessons already recorded.
 */
@Injectable()
export class LessonsService {
  private readonly group: AttendanceGroup;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: LessonsRepository,
    private readonly institutions: InstitutionsService,
    private readonly courses: CoursesService,
    private readonly contracts: ContractsService,
    private readonly calendar: CalendarService,
    private readonly releases: LessonReleaseService,
    private readonly clock: Clock,
  ) {
    this.group = new AttendanceGroup(ds, repo, courses, contracts, calendar, (a) => this.registerAlone(a, [a.contractId]));
  }

  async registerSession(who: Principal, institutionId: string, cmd: RegisterSessionCommand): Promise<Registered> {
    const attendees = cmd.attendees.map((a) => a.toLowerCase());
    const dupes = attendees.filter((a, i) => attendees.indexOf(a) !== i);
    if (dupes.length) throw new DomainError('DUPLICATE_ATTENDEES', 'A contract attends a session once', { duplicates: [...new Set(dupes)] });
    const startsAt = new Date(cmd.startsAt);
    const endsAt = new Date(cmd.endsAt);
    if (!(endsAt > startsAt)) throw new DomainError('VALIDATION_FAILED', 'endsAt must be after startsAt');
    if (startsAt > this.clock.now()) throw new DomainError('SESSION_IN_FUTURE', 'A lesson can be registered once it has been delivered', { startsAt: cmd.startsAt });
    const deliveredOn = chinaDate(startsAt);
    const a: Attendance = { who, institutionId, contractId: attendees[0], sessionKey: cmd.sessionKey, courseId: cmd.courseId, startsAt, endsAt, deliveredOn, teacher: cmd.teacher, location: cmd.location };
    // A single attendance of an institution's own lesson (in scope by the scope rule itself): group commit with concurrent ones.
    if (attendees.length === 1 && who.role === 'institution' && who.institutionId === institutionId) return this.group.register(a);
    return this.registerAlone(a, attendees);
  }

  /** A session registered in its own transaction: all or none. */
  private registerAlone(a: Attendance, attendees: string[]): Promise<Registered> {
    const { who, institutionId, startsAt, deliveredOn } = a;
    return this.ds.transaction(async (m) => {
      // Who may register (the institution, an admin) is the endpoint's role list; which institution, the scope rule.
      // An institution registering its own lessons is in scope by the scope rule itself (read access
      // to itself); that it exists follows from its course (found by institution and id). Anyone
      // else is checked against the institution's row.
      const inst = who.role === 'institution' && who.institutionId === institutionId ? { id: institutionId } : await this.institutions.access(who, institutionId, 'read', m);
      const course = await this.courses.get(m, inst.id, a.courseId);
      // Contracts first, then the session: the lock order of every registration (a group of single attendances too).
      const locked = new Map((await this.contracts.lockForConsumption(m, attendees)).map((c) => [c.id, c]));
      const { session, created } = await this.repo.upsertSession(m, {
        institution_id: inst.id,
        course_id: course.id,
        session_key: a.sessionKey,
        starts_at: startsAt,
        ends_at: a.endsAt,
        teacher: a.teacher,
        location: a.location,
        created_by: who.id,
      });
      if (!created && (session.course_id !== course.id || new Date(session.starts_at).getTime() !== startsAt.getTime())) {
        throw new DomainError('SESSION_CONFLICT', `Session key ${a.sessionKey} is already used for another session`, { sessionId: session.id });
      }
      // A session this transaction just created has no lessons yet: no query to ask.
      const existing = new Map(created ? [] : (await this.repo.existingLessons(m, session.id)).map((l) => [l.contract_id, l]));
      const failures: AttendeeFailure[] = [];
      const toRecord: ContractForConsumption[] = [];
      for (const id of attendees) {
        const c = locked.get(id);
        const failure = attendanceRefusal(c, id, inst.id, course.id, deliveredOn, existing.has(id));
        if (failure) failures.push(failure);
        else if (!existing.has(id)) toRecord.push(c!);
      }
      if (failures.length) {
        if (attendees.length === 1) throw new DomainError(failures[0].code as ErrorCode, failures[0].message, { contractId: failures[0].contractId });
        throw new DomainError('LESSON_BATCH_REJECTED', `${failures.length} of ${attendees.length} attendees were refused; nothing was recorded`, { failures });
      }
      const calendar = await this.calendar.recentWorkingDays();
      // Each lesson's price by the contracts' remainder rule, consumed in one statement for the session.
      const amounts = toRecord.length ? await this.contracts.consumeNextLessons(m, toRecord) : new Map();
      const rows = toRecord.map((c) => ({ contract_id: c.id, amount: amounts.get(c.id)!.toString(), confirm_by: calendar.add(deliveredOn, c.deemed_days), release_mode: c.cadence }));
      if (rows.length) {
        for (const l of await this.repo.insertLessons(m, session.id, inst.id, deliveredOn, rows)) existing.set(l.contract_id, l);
      }
      return { session, lessons: attendees.map((id) => existing.get(id)!), recorded: toRecord.length };
    });
  }

  /** The payer confirms (with the contract's token); a confirmed lesson is released at once if it may be. */
  async confirmByPayer(payerToken: string, lessonId: string): Promise<{ lesson: LessonRow; release: ReleaseResult }> {
    const contract = await this.contractForToken(payerToken);
    return this.ds.transaction(async (m) => {
      const lesson = await this.repo.findForUpdate(m, lessonId);
      if (!lesson || lesson.contract_id !== contract.id) throw lessonNotFound(lessonId);
      if (lesson.state === 'delivered') await this.repo.setState(m, lesson.id, { state: 'confirmed', confirmation: 'payer' });
      else if (lesson.state !== 'confirmed') throw invalidLessonTransition(lesson.state, 'confirmed');
      const release = await this.releases.release(m, lesson.id);
      return { lesson: (await this.repo.find(m, lesson.id))!, release };
    });
  }

  async disputeByPayer(payerToken: string, lessonId: string, reason: string): Promise<LessonRow> {
    const contract = await this.contractForToken(payerToken);
    return this.ds.transaction(async (m) => {
      const lesson = await this.repo.findForUpdate(m, lessonId);
      if (!lesson || lesson.contract_id !== contract.id) throw lessonNotFound(lessonId);
      if (lesson.state !== 'delivered' && lesson.state !== 'disputed') throw invalidLessonTransition(lesson.state, 'disputed');
      await this.repo.setState(m, lesson.id, { state: 'disputed', dispute_reason: reason });
      return (await this.repo.find(m, lesson.id))!;
    });
  }

  /** The institution withdraws a (disputed or unconfirmed) lesson: the consumption is reversed. */
  async withdraw(who: Principal, lessonId: string, reason: string): Promise<LessonRow> {
    return this.ds.transaction(async (m) => {
      const lesson = await this.lessonForUpdate(who, lessonId, 'read', m);
      if (lesson.state !== 'disputed' && lesson.state !== 'delivered') throw invalidLessonTransition(lesson.state, 'withdrawn');
      await this.repo.setState(m, lesson.id, { state: 'withdrawn', resolution: `withdrawn by the institution: ${reason}` });
      await this.contracts.returnLesson(m, lesson.contract_id, Money.fromDb(lesson.amount));
      await this.releases.withdrawn(m, lesson.contract_id, lesson.id, Money.fromDb(lesson.amount));
      return (await this.repo.find(m, lesson.id))!;
    });
  }

  /** A regulator supervising the institution's district decides a dispute: the lesson counts (and is released) or is withdrawn. */
  async decide(who: Principal, lessonId: string, decision: 'confirm' | 'withdraw', reason: string): Promise<{ lesson: LessonRow; release: ReleaseResult | null }> {
    return this.ds.transaction(async (m) => {
      const lesson = await this.lessonForUpdate(who, lessonId, 'supervise', m);
      if (lesson.state !== 'disputed') throw invalidLessonTransition(lesson.state, decision === 'confirm' ? 'confirmed by decision' : 'withdrawn by decision');
      if (decision === 'withdraw') {
        await this.repo.setState(m, lesson.id, { state: 'withdrawn', resolution: `regulator: ${reason}` });
        await this.contracts.returnLesson(m, lesson.contract_id, Money.fromDb(lesson.amount));
        await this.releases.withdrawn(m, lesson.contract_id, lesson.id, Money.fromDb(lesson.amount));
        return { lesson: (await this.repo.find(m, lesson.id))!, release: null };
      }
      await this.repo.setState(m, lesson.id, { state: 'confirmed', confirmation: 'regulator', resolution: `regulator: ${reason}` });
      const release = await this.releases.release(m, lesson.id);
      return { lesson: (await this.repo.find(m, lesson.id))!, release };
    });
  }

  async lessonsOfContract(who: Principal, contractId: string): Promise<LessonRow[]> {
    await this.contracts.get(who, contractId);
    return this.repo.lessonsOfContract(this.ds.manager, contractId);
  }

  /** The lesson, locked, if the caller may act on its institution in `mode` (the one scope rule); 404 LESSON_NOT_FOUND otherwise. */
  private async lessonForUpdate(who: Principal, lessonId: string, mode: AccessMode, m: EntityManager): Promise<LessonRow> {
    const lesson = await this.repo.findForUpdate(m, lessonId);
    const inst = lesson ? await this.institutions.findById(m, lesson.institution_id) : null;
    requireInstitutionAccess(who, inst, mode, () => lessonNotFound(lessonId));
    return lesson!;
  }

  private async contractForToken(token: string) {
    const contract = token ? await this.contracts.byPayerToken(token) : null;
    if (!contract) throw new DomainError('INVALID_PAYER_TOKEN', 'Unknown or revoked payer token');
    return contract;
  }
}
