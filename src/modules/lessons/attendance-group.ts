import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '@common/auth/principal';
import { GroupWriter } from '@common/batching/group-writer';
import { DomainError } from '@common/errors/domain-error';
import { ErrorCode } from '@common/errors/error-codes';
import { CalendarService } from '@modules/calendar/calendar.service';
import { WorkingDays } from '@modules/calendar/working-days';
import { ContractsService } from '@modules/contracts/contracts.service';
import { CoursesService } from '@modules/courses/courses.service';
import { attendanceRefusal } from './attendance-refusal';
import { LessonRow, LessonsRepository, sessionKeyOf, SessionRow } from './lessons.repository';

/** One single attendance, checked for shape and time before it joins a group. */
export interface Attendance {
  who: Principal;
  institutionId: string;
  contractId: string;
  sessionKey: string;
  courseId: string;
  startsAt: Date;
  endsAt: Date;
  deliveredOn: string;
  teacher: string;
  location: string;
}

export interface Registered {
  session: SessionRow;
  lessons: LessonRow[];
  recorded: number;
}

/** In-process concurrency of group transactions: one waits on PostgreSQL while the next is built. */
export const GROUPS_IN_FLIGHT = 3;
const GROUP_MAX = 128;

/**
 * Group commit of single attendances (issue 18). Attendances that arrive while a group is being
 * written are registered together in one transaction with set-based statements: one lock of
 * all their contracts (id order, as every lesson write), one read of their sessions, one insert
 * of the new sessions, one consumption, one insert of the lessons, one commit. Each attendance
 * keeps its own outcome: a refused one is answered with its refusal and leaves nothing behind
 * (its session is created only once it is accepted), the others are recorded. Idempotent by
 * session key as alone: a repeat answers with the lesson already recorded.
 *
 * Two attendances of one group never share a contract or a session key (the later one waits
 * for the next group), so each group consumes each contract at most once and creates each
 * session at most once. Whatever cannot be settled in the group (a session key another
 * transaction created meanwhile, or a failed group transaction, of which nothing was written)
 * is registered alone, by the same path as a session of many attendees.
 */
export class AttendanceGroup {
  private readonly writer: GroupWriter<Attendance, Registered>;

  constructor(
    private readonly ds: DataSource,
    private readonly repo: LessonsRepository,
    private readonly courses: CoursesService,
    private readonly contracts: ContractsService,
    private readonly calendar: CalendarService,
    private readonly alone: (a: Attendance) => Promise<Registered>,
  ) {
    this.writer = new GroupWriter((items) => this.flush(items), { maxItems: GROUP_MAX, maxInFlight: GROUPS_IN_FLIGHT });
  }

  register(a: Attendance): Promise<Registered> {
    return this.writer.write(a);
  }

  private async flush(items: Attendance[]): Promise<(Registered | Error)[]> {
    const contracts = new Set<string>();
    const keys = new Set<string>();
    const grouped: number[] = [];
    let alone: number[] = [];
    items.forEach((a, i) => {
      const key = sessionKeyOf(a.institutionId, a.sessionKey);
      if (contracts.has(a.contractId) || keys.has(key)) return alone.push(i);
      contracts.add(a.contractId);
      keys.add(key);
      grouped.push(i);
    });
    const out = new Map<number, Registered | Error>();
    try {
      // The calendar (at most a second old) is read beside the transaction, asked for before the transaction takes its connection.
      const calendar = this.calendar.recentWorkingDays();
      calendar.catch(() => undefined);
      const { settled, retry } = await this.ds.transaction((m) => this.inTransaction(m, grouped.map((i) => items[i]), calendar));
      settled.forEach((r, j) => r && out.set(grouped[j], r));
      alone = alone.concat(retry.map((j) => grouped[j]));
    } catch {
      // Nothing of the group was written (one transaction): each is registered alone.
      alone = alone.concat(grouped);
    }
    await Promise.all(alone.map(async (i) => out.set(i, await this.alone(items[i]).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))))));
    return items.map((_, i) => out.get(i)!);
  }

  /**
   * Contracts locked, each attendance checked against its contract; sessions created for those
   * accepted (a refused one leaves nothing behind). Only when a session already existed (a
   * repeat, a key in use) or an attendance was refused (it may be a repeat) are the sessions
   * read, and the rule applied as alone: a key in use for another session is SESSION_CONFLICT,
   * a lesson already recorded in the session is the answer.
   */
  private async inTransaction(m: EntityManager, group: Attendance[], calendar: Promise<WorkingDays>): Promise<{ settled: (Registered | Error | null)[]; retry: number[] }> {
    const settled: (Registered | Error | null)[] = group.map(() => null);
    for (const [j, a] of group.entries()) {
      await this.courses.get(m, a.institutionId, a.courseId).catch((e: Error) => (settled[j] = e));
    }
    const live = [...group.keys()].filter((j) => !settled[j]);
    const locked = new Map((await this.contracts.lockForConsumption(m, live.map((j) => group[j].contractId))).map((c) => [c.id, c]));
    const refusalOf = (j: number, alreadyRecorded: boolean) => {
      const a = group[j];
      return attendanceRefusal(locked.get(a.contractId), a.contractId, a.institutionId, a.courseId, a.deliveredOn, alreadyRecorded);
    };
    const passing = live.filter((j) => !refusalOf(j, false));
    const created = passing.length ? await this.repo.insertSessions(m, passing.map((j) => sessionOf(group[j]))) : new Map<string, SessionRow>();
    const keyOf = (j: number) => sessionKeyOf(group[j].institutionId, group[j].sessionKey);
    const recording = new Map<number, SessionRow>(passing.filter((j) => created.has(keyOf(j))).map((j) => [j, created.get(keyOf(j))!]));
    const unsure = live.filter((j) => !recording.has(j));
    const found = unsure.length ? await this.repo.sessionsWithLessons(m, unsure.map((j) => ({ institution_id: group[j].institutionId, session_key: group[j].sessionKey, contract_id: group[j].contractId }))) : new Map();
    const retry: number[] = [];
    for (const j of unsure) {
      const a = group[j];
      const f = found.get(keyOf(j));
      if (!f) {
        const failure = refusalOf(j, false);
        // Not created and not found: a transaction that held the key gave it up; alone, it is settled.
        if (!failure) retry.push(j);
        else settled[j] = new DomainError(failure.code as ErrorCode, failure.message, { contractId: failure.contractId });
      } else if (f.session.course_id !== a.courseId || new Date(f.session.starts_at).getTime() !== a.startsAt.getTime()) {
        settled[j] = new DomainError('SESSION_CONFLICT', `Session key ${a.sessionKey} is already used for another session`, { sessionId: f.session.id });
      } else {
        const failure = refusalOf(j, !!f.lesson);
        if (failure) settled[j] = new DomainError(failure.code as ErrorCode, failure.message, { contractId: failure.contractId });
        else if (f.lesson) settled[j] = { session: f.session, lessons: [f.lesson], recorded: 0 };
        else recording.set(j, f.session);
      }
    }
    if (recording.size) {
      const days = await calendar;
      const js = [...recording.keys()];
      const amounts = await this.contracts.consumeNextLessons(m, js.map((j) => locked.get(group[j].contractId)!));
      const lessons = await this.repo.insertLessonsOfSessions(
        m,
        js.map((j) => {
          const a = group[j];
          const c = locked.get(a.contractId)!;
          return { session_id: recording.get(j)!.id, contract_id: c.id, institution_id: a.institutionId, delivered_on: a.deliveredOn, amount: amounts.get(c.id)!.toString(), confirm_by: days.add(a.deliveredOn, c.deemed_days), release_mode: c.cadence };
        }),
      );
      const byContract = new Map(lessons.map((l) => [l.contract_id, l]));
      for (const j of js) settled[j] = { session: recording.get(j)!, lessons: [byContract.get(group[j].contractId)!], recorded: 1 };
    }
    return { settled, retry };
  }
}

function sessionOf(a: Attendance) {
  return { institution_id: a.institutionId, course_id: a.courseId, session_key: a.sessionKey, starts_at: a.startsAt, ends_at: a.endsAt, teacher: a.teacher, location: a.location, created_by: a.who.id };
}
