import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { GroupCommit } from '@modules/settlements/group-commit';
import { WebhookHttpClient } from '@modules/settlements/webhook-http-client';

describe('GroupCommit', () => {
  it('flushes a lone call at once and gathers the calls made while a flush runs into the next one', async () => {
    const flushes: number[][] = [];
    const g = new GroupCommit<number, number>(async (items) => {
      flushes.push(items);
      await new Promise((r) => setTimeout(r, 20));
      return items.map((i) => i * 10);
    }, { maxBatch: 100, maxInFlight: 1 });
    const first = g.submit(1);
    await new Promise((r) => setTimeout(r, 5));
    const rest = [2, 3, 4, 5].map((i) => g.submit(i));
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40, 50]);
    expect(flushes).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('caps a flush at maxBatch and runs at most maxInFlight flushes at once', async () => {
    let running = 0;
    let most = 0;
    const sizes: number[] = [];
    const g = new GroupCommit<number, number>(async (items) => {
      running += 1;
      most = Math.max(most, running);
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 10));
      running -= 1;
      return items;
    }, { maxBatch: 3, maxInFlight: 2 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => g.submit(i)));
    expect(Math.max(...sizes)).toBe(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    expect(most).toBe(2);
  });

  it('a failed flush is tried once per call on its own: only the bad call fails, nothing is resolved twice', async () => {
    const calls: number[][] = [];
    const g = new GroupCommit<number, number>(async (items) => {
      calls.push(items);
      if (items.includes(13)) throw new Error('bad item');
      return items;
    }, { maxBatch: 10, maxInFlight: 1 });
    const results = await Promise.allSettled([1, 13, 2].map((i) => g.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual([[1, 13, 2], [1], [13], [2]]);
  });

  it('when every retry fails too (the database is down), every call rejects', async () => {
    const g = new GroupCommit<number, number>(async () => {
      throw new Error('connection refused');
    }, { maxBatch: 10, maxInFlight: 1 });
    const results = await Promise.allSettled([1, 2, 3].map((i) => g.submit(i)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
  });
});

describe('WebhookHttpClient', () => {
  let server: Server;
  let url: string;
  const ports: number[] = [];
  let answer: (res: import('node:http').ServerResponse) => void = (res) => res.end('ok');
  beforeAll(async () => {
    server = createServer((req, res) => {
      ports.push(req.socket.remotePort!);
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('reuses kept-alive connections, never more than maxSockets at once', async () => {
    const client = new WebhookHttpClient({ maxSockets: 4 });
    ports.length = 0;
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, () => client.post(url, { 'content-type': 'application/json' }, '{}', 5000)));
      expect(answers.every((a) => a.status === 200 && a.text === 'ok')).toBe(true);
      expect(new Set(ports).size).toBeLessThanOrEqual(4);
    } finally {
      client.destroy();
    }
  });

  it('keeps the first 500 characters of the answer and its Retry-After', async () => {
    const client = new WebhookHttpClient({ maxSockets: 1 });
    answer = (res) => res.writeHead(429, { 'retry-after': '7' }).end('界'.repeat(3000));
    try {
      const a = await client.post(url, {}, '{}', 5000);
      expect(a).toEqual({ status: 429, text: '界'.repeat(500), retryAfter: '7' });
    } finally {
      answer = (res) => res.end('ok');
      client.destroy();
    }
  });

  it('gives up after the timeout with a TimeoutError', async () => {
    const client = new WebhookHttpClient({ maxSockets: 1 });
    answer = () => undefined; // never answers
    try {
      await expect(client.post(url, {}, '{}', 100)).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      answer = (res) => res.end('ok');
      client.destroy();
    }
  });
});
