import type { CrawlRun, FeedRunOutcome } from '../../domain/crawl-run.js';
import type { RunStore } from '../../application/ports/run-store.port.js';

/** Runs and their outcome records in memory. */
export class InMemoryRunStore implements RunStore {
  private readonly runs = new Map<string, CrawlRun>();
  private readonly outcomes = new Map<string, Map<string, { outcome: FeedRunOutcome; newArticles: number }>>();

  async create(run: CrawlRun): Promise<void> {
    if (!this.runs.has(run.id)) this.runs.set(run.id, run);
  }

  async get(runId: string): Promise<CrawlRun | undefined> {
    return this.runs.get(runId);
  }

  async recordFeedOutcome(runId: string, feedId: string, outcome: FeedRunOutcome, newArticles: number): Promise<void> {
    this.child(this.outcomes, runId).set(feedId, { outcome, newArticles });
  }

  async feedOutcomes(runId: string): Promise<{ outcome: FeedRunOutcome; newArticles: number }[]> {
    return [...(this.outcomes.get(runId)?.values() ?? [])];
  }

  private child<V>(parent: Map<string, Map<string, V>>, runId: string): Map<string, V> {
    let child = parent.get(runId);
    if (!child) parent.set(runId, (child = new Map()));
    return child;
  }
}
