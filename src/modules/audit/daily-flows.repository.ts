import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface DailyFlowRow {
  day: string;
  currency: string;
  inflow: string;
  outflow: string;
}

/**
 * Read model (like the audit): the escrow accounts' cash movements per China day. Bank cash is a
 * debit account, so a positive posting is money in (a credit from a payer) and a negative one
 * money out (a release or refund the bank executed, a correction). Read-only joins to the register.
 */
@Injectable()
export class DailyFlowsRepository {
  bankCashByDay(m: EntityManager, patterns: string[], fromDay: string, toDay: string): Promise<DailyFlowRow[]> {
    return m.query(
      `SELECT to_char(p.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day, a.currency,
              coalesce(sum(p.amount) FILTER (WHERE p.amount > 0), 0)::text AS inflow,
              coalesce(-sum(p.amount) FILTER (WHERE p.amount < 0), 0)::text AS outflow
         FROM ledger_accounts a
         JOIN ledger_postings p ON p.account_id = a.id
         JOIN institutions i ON i.id = a.institution_id
        WHERE a.type = 'bank_cash' AND i.district_code LIKE ANY($1::text[])
          AND p.created_at >= ($2::date)::timestamp AT TIME ZONE 'Asia/Shanghai'
          AND p.created_at < ($3::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
        GROUP BY 1, 2
        ORDER BY 1, 2`,
      [patterns, fromDay, toDay],
    );
  }
}
