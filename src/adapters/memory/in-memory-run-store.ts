import type { CrawlRun } from '../../domain/crawl-run.js';
import type { ListedRun, RunStore } from '../../application/ports/run-store.port.js';

/** Runs and the active one in memory. */
export class InMemoryRunStore implements RunStore {
  private readonly runs = new Map<string, CrawlRun>();
  private activeRun: string | undefined;
  private readonly finished = new Set<string>();

  async begin(run: CrawlRun, replacing: string | undefined): Promise<boolean> {
    if (this.activeRun !== replacing) return false;
    this.activeRun = run.id;
    if (!this.runs.has(run.id)) this.runs.set(run.id, run);
    return true;
  }

  async active(): Promise<string | undefined> {
    return this.activeRun;
  }

  async abandonActive(): Promise<void> {
    this.activeRun = undefined;
  }

  async get(runId: string): Promise<CrawlRun | undefined> {
    return this.runs.get(runId);
  }

  async list(limit: number): Promise<ListedRun[]> {
    return [...this.runs.values()]
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit)
      .map((run) => ({ ...run, finished: this.finished.has(run.id) }));
  }

  async markFinished(runId: string): Promise<void> {
    if (this.runs.has(runId)) this.finished.add(runId);
  }
}
