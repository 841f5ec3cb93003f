import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { WebhookHttpClient } from '@modules/settlements/webhook-http-client';

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
