import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verify } from '../../adapters/webhook/standard-webhooks.js';

export interface ReceivedDelivery {
  readonly path: string;
  readonly webhookId: string;
  readonly articles: number;
  readonly verified: boolean;
}

/**
 * A webhook receiver on loopback that checks every delivery's Standard Webhooks signature with the secret of
 * its path, and counts each webhook-id once, as a careful subscriber would.
 */
export class WebhookReceiver {
  private readonly server: http.Server;
  private readonly secrets = new Map<string, string>();
  readonly deliveries: ReceivedDelivery[] = [];
  readonly rejected: { path: string; reason: string }[] = [];
  private origin = '';

  constructor() {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        const body = Buffer.concat(chunks).toString('utf8');
        const secret = this.secrets.get(path);
        const check = secret ? verify(secret, request.headers, body) : { ok: false as const, reason: 'unknown path' };
        if (!check.ok) {
          this.rejected.push({ path, reason: check.reason });
          response.writeHead(401).end();
          return;
        }
        let articles = 0;
        try {
          articles = (JSON.parse(body) as { articles?: unknown[] }).articles?.length ?? 0;
        } catch {
          articles = 0;
        }
        this.deliveries.push({ path, webhookId: String(request.headers['webhook-id']), articles, verified: true });
        response.writeHead(204).end();
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.origin;
  }

  /** A subscriber endpoint with its own secret. */
  endpoint(path: string, secret: string): string {
    this.secrets.set(path, secret);
    return `${this.origin}${path}`;
  }

  /** Distinct webhook-ids received (a retry of one notification counts once). */
  get uniqueDeliveries(): number {
    return new Set(this.deliveries.map((d) => d.webhookId + d.path)).size;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
