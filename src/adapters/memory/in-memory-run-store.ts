import type { CrawlRun, DeliveryState, FeedRunOutcome } from '../../domain/crawl-run.js';
import type { RunStore } from '../../application/ports/run-store.port.js';

/** Runs and their outcome records in memory. */
export class InMemoryRunStore implements RunStore {
  private readonly runs = new Map<string, CrawlRun>();
  private readonly outcomes = new Map<string, Map<string, { outcome: FeedRunOutcome; newArticles: number }>>();
  private readonly deliveryStates = new Map<string, Map<string, DeliveryState>>();

  async create(run: CrawlRun): Promise<void> {
    if (!this.runs.has(run.id)) this.runs.set(run.id, run);
  }

  async get(runId: string): Promise<CrawlRun | undefined> {
    return this.runs.get(runId);
  }

  async recordFeedOutcome(runId: string, feedId: string, outcome: FeedRunOutcome, newArticles: number): Promise<void> {
    this.child(this.outcomes, runId).set(feedId, { outcome, newArticles });
  }

  async recordDelivery(runId: string, notificationId: string, state: DeliveryState): Promise<void> {
    const states = this.child(this.deliveryStates, runId);
    const current = states.get(notificationId);
    if (current !== undefined && current !== 'pending') return;
    states.set(notificationId, state);
  }

  async feedOutcomes(runId: string): Promise<{ outcome: FeedRunOutcome; newArticles: number }[]> {
    return [...(this.outcomes.get(runId)?.values() ?? [])];
  }

  async deliveries(runId: string): Promise<DeliveryState[]> {
    return [...(this.deliveryStates.get(runId)?.values() ?? [])];
  }

  private child<V>(parent: Map<string, Map<string, V>>, runId: string): Map<string, V> {
    let child = parent.get(runId);
    if (!child) parent.set(runId, (child = new Map()));
    return child;
  }
}
