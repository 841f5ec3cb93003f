import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * The Standard Webhooks headers a custody bank sends with a call: a signature over `payload` with the
 * bank's secret, made by the library (an implementation independent of the service's own check).
 */
export function signedBy(secret: string, payload: string, id = `msg-${randomUUID()}`, at = new Date()): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, payload) };
}
