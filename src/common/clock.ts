import { Injectable } from '@nestjs/common';

const SHANGHAI = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });

/** Calendar date (YYYY-MM-DD) in China Standard Time, where every rule here is dated. */
export function chinaDate(at: Date): string {
  return SHANGHAI.format(at);
}

/** The time source. Injected so tests (and replays) can move it. */
@Injectable()
export class Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  today(): string {
    return chinaDate(this.now());
  }

  /** Test helper: pretend the current time is `at`. */
  travelTo(at: Date): void {
    this.offsetMs = at.getTime() - Date.now();
  }
}
