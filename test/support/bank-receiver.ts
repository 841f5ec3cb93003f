import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  at: number;
  /** The Standard Webhooks signature verified with the secret set at that moment. */
  verified: boolean;
  body: Record<string, any>;
}

/**
 * A custody bank's webhook endpoint on loopback, answering from a script (the n-th request gets
 * `answer(n)`; 202 by default). Records what it received, verified with the secret it is given.
 */
export async function bankReceiver(answer: (n: number) => { status: number; headers?: Record<string, string> } = () => ({ status: 202 })) {
  const received: Received[] = [];
  let secret = '';
  const server: Server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      let verified: boolean;
      try {
        new Webhook(secret).verify(raw, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      received.push({ id: String(req.headers['webhook-id']), at: Date.now(), verified, body: JSON.parse(raw) });
      const a = answer(received.length);
      res.writeHead(a.status, a.headers).end(a.status < 300 ? '{"accepted":true}' : `{"error":"status ${a.status}"}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/escrow/webhooks`;
  return { url, received, setSecret: (s: string) => (secret = s), close: () => new Promise((r) => server.close(r)) };
}
