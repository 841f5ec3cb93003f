import { GroupWriter } from '@common/batching/group-writer';

describe('GroupWriter', () => {
  it('flushes a lone call at once and gathers the calls made while a flush runs into the next one', async () => {
    // No timers: the first flush signals that it started and waits for a gate, so the test does
    // not depend on how busy the machine is.
    const flushes: number[][] = [];
    let started!: () => void;
    const firstStarted = new Promise<void>((r) => (started = r));
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const g = new GroupWriter<number, number>(async (items) => {
      flushes.push(items);
      if (flushes.length === 1) {
        started();
        await gate;
      }
      return items.map((i) => i * 10);
    }, { maxItems: 100, maxInFlight: 1, gatherTurn: true });
    const first = g.write(1);
    await firstStarted;
    const rest = [2, 3, 4, 5].map((i) => g.write(i));
    open();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40, 50]);
    expect(flushes).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('caps a flush at maxItems and runs at most maxInFlight flushes at once', async () => {
    let running = 0;
    let most = 0;
    const sizes: number[] = [];
    const g = new GroupWriter<number, number>(async (items) => {
      running += 1;
      most = Math.max(most, running);
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 10));
      running -= 1;
      return items;
    }, { maxItems: 3, maxInFlight: 2 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => g.write(i)));
    expect(Math.max(...sizes)).toBe(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    expect(most).toBe(2);
  });

  it('a failed flush is tried once per call on its own: only the bad call fails, nothing is resolved twice', async () => {
    const calls: number[][] = [];
    const g = new GroupWriter<number, number>(async (items) => {
      calls.push(items);
      if (items.includes(13)) throw new Error('bad item');
      return items;
    }, { maxItems: 10, maxInFlight: 1, gatherTurn: true });
    const results = await Promise.allSettled([1, 13, 2].map((i) => g.write(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual([[1, 13, 2], [1], [13], [2]]);
  });

  it('when every retry fails too (the database is down), every call rejects', async () => {
    const g = new GroupWriter<number, number>(async () => {
      throw new Error('connection refused');
    }, { maxItems: 10, maxInFlight: 1 });
    const results = await Promise.allSettled([1, 2, 3].map((i) => g.write(i)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
  });
  it('without gatherTurn a lone call is flushed in the same turn; with it, the calls of one turn share the first flush', async () => {
    for (const gatherTurn of [false, true]) {
      const flushes: number[][] = [];
      const g = new GroupWriter<number, number>(async (items) => {
        flushes.push(items);
        return items;
      }, { gatherTurn });
      await Promise.all([1, 2, 3].map((i) => g.write(i)));
      expect(flushes).toEqual(gatherTurn ? [[1, 2, 3]] : [[1], [2, 3]]);
    }
  });

  it('an Error answered for one item rejects that item only', async () => {
    const g = new GroupWriter<number, number>(async (items) => items.map((i) => (i === 2 ? new Error('refused') : i)));
    const results = await Promise.allSettled([1, 2, 3].map((i) => g.write(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
