import type { CrawlRun, DeliveryState } from '../../domain/crawl-run.js';
import type { RunStore } from '../../application/ports/run-store.port.js';

/** Runs, the active one, and delivery records in memory. */
export class InMemoryRunStore implements RunStore {
  private readonly runs = new Map<string, CrawlRun>();
  private activeRun: string | undefined;
  private readonly deliveryStates = new Map<string, Map<string, DeliveryState>>();

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

  async recordDelivery(runId: string, notificationId: string, state: DeliveryState): Promise<void> {
    let states = this.deliveryStates.get(runId);
    if (!states) this.deliveryStates.set(runId, (states = new Map()));
    const current = states.get(notificationId);
    if (current !== undefined && current !== 'pending') return;
    states.set(notificationId, state);
  }

  async deliveries(runId: string): Promise<DeliveryState[]> {
    return [...(this.deliveryStates.get(runId)?.values() ?? [])];
  }
}
