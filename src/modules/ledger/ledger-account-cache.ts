/**
 * Account code → id, for the posting path only. Accounts are never deleted and ids are never
 * reused (bigserial), so an id is either right or names an account that does not exist (its
 * opening transaction rolled back): `ledger_post` then answers LEDGER_ACCOUNT_NOT_FOUND,
 * writes nothing, and the service evicts and opens again. Reads never use this cache.
 */
export class LedgerAccountCache {
  private readonly ids = new Map<string, string>();

  constructor(private readonly capacity = 100_000) {}

  get(code: string): string | undefined {
    return this.ids.get(code);
  }

  set(code: string, id: string): void {
    // Crude bound: cheaper than an LRU and the next postings refill what they use.
    if (this.ids.size >= this.capacity) this.ids.clear();
    this.ids.set(code, id);
  }

  evict(codes: Iterable<string>): void {
    for (const c of codes) this.ids.delete(c);
  }
}
