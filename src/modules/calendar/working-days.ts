import { isWorkday } from 'chinese-days';
import { addDaysTo } from '@common/dates';

/**
 * Mainland China working days, including adjusted working weekends (调休), from the maintained
 * `chinese-days` tables; `overrides` (admin-entered, e.g. a year not yet published) win.
 */
export class WorkingDays {
  constructor(private readonly overrides: ReadonlyMap<string, boolean> = new Map()) {}

  isWorkday(date: string): boolean {
    return this.overrides.get(date) ?? isWorkday(date);
  }

  /** The n-th working day after `date` (not counting `date` itself). */
  add(date: string, n: number): string {
    let d = date;
    let left = n;
    while (left > 0) {
      d = addDaysTo(d, 1);
      if (this.isWorkday(d)) left -= 1;
    }
    return d;
  }
}
