import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verify } from '../../adapters/webhook/standard-webhooks.js';

/** One request the receiver got, verified or not, and what it answered. */
export interface ReceivedRequest {
  readonly path: string;
  readonly webhookId: string;
  readonly verified: boolean;
  readonly status: number;
  readonly articleIds: readonly string[];
  readonly at: number;
}

/** A delivery that verified and was accepted. */
export interface ReceivedDelivery {
  readonly path: string;
  readonly webhookId: string;
  readonly articles: number;
  readonly verified: boolean;
}

interface Endpoint {
  readonly secret: string;
  /** The status to answer the endpoint's n-th request (1, 2, …) with. */
  readonly answer: (n: number) => number;
  count: number;
}

/**
 * A webhook receiver on loopback that checks every delivery's Standard Webhooks signature with the secret of
 * its path, and answers as its endpoint is scripted to (204 unless told otherwise), as a careful subscriber
 * would; it remembers every request.
 */
export class WebhookReceiver {
  private readonly server: http.Server;
  private readonly endpoints = new Map<string, Endpoint>();
  readonly requests: ReceivedRequest[] = [];
  readonly rejected: { path: string; reason: string }[] = [];
  private origin = '';

  constructor() {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        const body = Buffer.concat(chunks).toString('utf8');
        const endpoint = this.endpoints.get(path);
        const check = endpoint
          ? verify(endpoint.secret, request.headers, body)
          : { ok: false as const, reason: 'unknown path' };
        if (!check.ok) this.rejected.push({ path, reason: check.reason });
        const status = endpoint && check.ok ? endpoint.answer(++endpoint.count) : 401;
        this.requests.push({
          path,
          webhookId: String(request.headers['webhook-id']),
          verified: check.ok,
          status,
          articleIds: articleIdsOf(body),
          at: Date.now(),
        });
        response.writeHead(status).end();
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.origin;
  }

  /** A subscriber endpoint with its own secret, answering its n-th request with `answer(n)`. */
  endpoint(path: string, secret: string, answer: (n: number) => number = () => 204): string {
    this.endpoints.set(path, { secret, answer, count: 0 });
    return `${this.origin}${path}`;
  }

  /** The requests to one endpoint. */
  of(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** The deliveries that verified and were accepted (2xx). */
  get deliveries(): ReceivedDelivery[] {
    return this.requests
      .filter((r) => r.verified && r.status >= 200 && r.status < 300)
      .map((r) => ({ path: r.path, webhookId: r.webhookId, articles: r.articleIds.length, verified: true }));
  }

  /** Distinct webhook-ids accepted (a retry of one notification counts once). */
  get uniqueDeliveries(): number {
    return new Set(this.deliveries.map((d) => d.webhookId + d.path)).size;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function articleIdsOf(body: string): string[] {
  try {
    return ((JSON.parse(body) as { articles?: { id: string }[] }).articles ?? []).map((a) => a.id);
  } catch {
    return [];
  }
}
