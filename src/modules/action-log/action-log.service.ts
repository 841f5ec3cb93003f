import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { districtFilter } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { GroupWriter } from '@common/batching/group-writer';
import { breakOf, ChainBreak } from '@modules/ledger/ledger-chain';
import { ActionEntry, ActionLogRepository, ActionRow } from './action-log.repository';

/** Calls that change something; reads are not logged. */
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LOGGED_ROLES = new Set(['admin', 'regulator', 'institution', 'bank']);
/** Mainland mobile numbers (with or without +86) anywhere in what is logged: 136****0000. */
const PHONE = /(\+?86)?(1[3-9]\d)(\d{4})(\d{4})/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DISTRICT_CACHE = 10_000;
const PAGE = 5000;
const genesis = (chain: number) => createHash('sha256').update(`escrow-supervision action log chain ${chain}`, 'utf8').digest('hex');

export function maskPhones(s: string): string {
  return s.replace(PHONE, (_all, _cc, head: string, _mid: string, tail: string) => `${head}****${tail}`);
}

/** What a finished HTTP call tells the log (no body, no headers: nothing secret is ever read). */
export interface FinishedCall {
  principal: Principal | undefined;
  method: string;
  /** The route pattern (`/institutions/:id/contracts`), or the path when no route matched. */
  route: string;
  params: Record<string, string> | undefined;
  requestId: string;
  status: number;
}

/**
 * The action log (issue 16): who did what, on what, with which outcome, for every mutating call
 * of an admin, a regulator, an institution or a bank, written before the response leaves (so a
 * caller never sees a success the log does not hold). The rows of concurrent calls are written
 * together, one statement and one commit for all that arrived during the previous write (group
 * commit); each call waits for its own row's commit.
 */
@Injectable()
export class ActionLogService {
  private readonly logger = new Logger(ActionLogService.name);
  private readonly districts = new Map<string, string | null>();
  private readonly writer: GroupWriter<ActionEntry, undefined>;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: ActionLogRepository,
  ) {
    this.writer = new GroupWriter(async (entries) => {
      await this.repo.insertMany(this.ds.manager, entries);
      return entries.map(() => undefined);
    });
  }

  async record(call: FinishedCall): Promise<void> {
    const p = call.principal;
    if (!p || !MUTATING.has(call.method) || !LOGGED_ROLES.has(p.role)) return;
    try {
      const params = call.params ?? {};
      const target = Object.keys(params).length ? maskPhones(Object.entries(params).map(([k, v]) => `${k}=${v}`).join('&')).slice(0, 500) : null;
      // The institution acted on (named by the path) or acting; its district places the entry. A refused
      // call (4xx) may name another tenant's institution: it is placed with the caller, never with that one.
      const reached = call.status < 400;
      const named = reached && call.route.startsWith('/institutions/:id') && UUID.test(params.id ?? '') ? params.id : null;
      const institutionId = named ?? p.institutionId ?? null;
      const single = p.role === 'regulator' && p.districts.length === 1 && !p.districts[0].endsWith('00') ? p.districts[0] : null;
      const districtCode = (institutionId ? await this.districtOf(institutionId) : null) ?? single;
      const scope = p.role === 'regulator' ? p.districts.join(',') : p.role === 'institution' ? (p.institutionId ?? '') : p.role === 'bank' ? (p.bankCode ?? '') : '*';
      await this.writer.write({
        actorId: p.id,
        role: p.role,
        scope,
        method: call.method,
        route: maskPhones(call.route).slice(0, 300),
        target,
        requestId: call.requestId.slice(0, 100),
        status: call.status,
        districtCode,
        institutionId,
      });
    } catch (err) {
      // The call itself already happened: refusing its answer now would mislead the caller.
      this.logger.error(`Action log write failed for ${call.method} ${call.route} (${call.requestId}): ${(err as Error).message}`);
    }
  }

  list(who: Principal, f: { districtCode?: string; institutionId?: string; beforeId?: string; limit: number }): Promise<ActionRow[]> {
    return this.repo.list(this.ds.manager, { ...f, districtPatterns: districtFilter(who).districtPatterns });
  }

  /** Recomputes the 16 chains (as the ledger's): the first broken entry, or null. */
  verify(): Promise<{ ok: boolean; entries: number; firstBroken: ChainBreak | null }> {
    return this.ds.transaction('REPEATABLE READ', async (m) => {
      const breaks: ChainBreak[] = [];
      let entries = 0;
      for (const head of await this.repo.heads(m)) {
        let prev = genesis(head.chain);
        let seq = '0';
        let found: ChainBreak | null = null;
        for (;;) {
          const rows = await this.repo.chainPage(m, head.chain, seq, PAGE);
          for (const row of rows) {
            entries++;
            found ??= breakOf(head.chain, row, prev, seq);
            prev = row.hash;
            seq = row.seq;
          }
          if (rows.length < PAGE) break;
        }
        if (!found && (head.seq !== seq || head.last_hash !== prev)) found = { transactionId: head.last_id ?? '0', chain: head.chain, seq: head.seq, reason: 'missing_transaction' };
        if (found) breaks.push(found);
      }
      breaks.sort((a, b) => (BigInt(a.transactionId) < BigInt(b.transactionId) ? -1 : 1));
      return { ok: breaks.length === 0, entries, firstBroken: breaks[0] ?? null };
    });
  }

  private async districtOf(institutionId: string): Promise<string | null> {
    if (this.districts.has(institutionId)) return this.districts.get(institutionId)!;
    const d = await this.repo.districtOf(this.ds.manager, institutionId);
    if (this.districts.size >= DISTRICT_CACHE) this.districts.clear();
    if (d) this.districts.set(institutionId, d);
    return d;
  }
}
