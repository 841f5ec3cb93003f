import { Agent as HttpAgent, request as httpRequest, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** What an attempt keeps of the receiver's answer. */
export interface WebhookResponse {
  status: number;
  /** The first 500 characters of the body. */
  text: string;
  retryAfter: string | null;
}

export interface WebhookHttpOptions {
  /** Open connections per receiver (origin) at most: the worker's concurrency, so no request waits for a socket. */
  maxSockets: number;
  /** An idle kept-alive connection is closed after this (below the 5 s of Node's and most servers' keep-alive). */
  idleMs?: number;
}

const KEEP_BYTES = 4096; // at least 500 characters of UTF-8 (4 bytes at most each)

/**
 * POSTs webhooks over kept-alive connections, one bounded pool (node:http Agent) per receiver
 * origin. The bench profile showed the global `fetch` paying a TCP connect, an AbortSignal and
 * WHATWG streams per attempt; a pooled agent reuses the connection and parses with the built-in
 * HTTP parser. The pool is keyed by origin, read from each message's URL: a bank whose URL
 * changes gets a new pool at once (the old one's idle sockets close after `idleMs`); secrets
 * play no part here (each request is signed with the secrets current at that attempt).
 * A connection the receiver closed while idle can fail one request (ECONNRESET): that is a
 * failed attempt like any other, and the retry schedule sends it again under the same webhook id.
 */
export class WebhookHttpClient {
  private readonly agents = new Map<string, HttpAgent>();

  constructor(private readonly options: WebhookHttpOptions) {}

  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<WebhookResponse> {
    const target = new URL(url);
    const https = target.protocol === 'https:';
    if (!https && target.protocol !== 'http:') return Promise.reject(new TypeError(`Unsupported webhook URL protocol ${target.protocol}`));
    const payload = Buffer.from(body, 'utf8');
    return new Promise<WebhookResponse>((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        target,
        { method: 'POST', agent: this.agentFor(target, https), headers: { ...headers, 'content-length': String(payload.length) } },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on('data', (chunk: Buffer) => {
            // The whole body is read (so the connection can be reused), only its start is kept.
            if (kept < KEEP_BYTES) {
              chunks.push(chunk);
              kept += chunk.length;
            }
          });
          res.on('error', fail);
          res.on('end', () => {
            clearTimeout(timer);
            const retryAfter = res.headers['retry-after'];
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8').slice(0, 500), retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
          });
        },
      );
      const timer = setTimeout(() => {
        const err = new Error('The operation was aborted due to timeout');
        err.name = 'TimeoutError';
        req.destroy(err);
      }, timeoutMs);
      function fail(err: Error) {
        clearTimeout(timer);
        reject(err);
      }
      req.on('error', fail);
      req.end(payload);
    });
  }

  private agentFor(url: URL, https: boolean): HttpAgent {
    const key = url.origin;
    let agent = this.agents.get(key);
    if (!agent) {
      const opts = { keepAlive: true, maxSockets: this.options.maxSockets, maxFreeSockets: this.options.maxSockets, timeout: this.options.idleMs ?? 4000, scheduling: 'lifo' as const };
      agent = https ? new HttpsAgent(opts) : new HttpAgent(opts);
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Closes every pooled connection (at shutdown). */
  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}
