import { inject, injectable } from 'inversify';
import type { CrawlRun, FanOutProgress, ScanProgress } from '../domain/crawl-run.js';
import { NotFoundError } from './errors.js';
import { chainProgress, type ChainProgress } from './page-relay.js';
import type { RunStore } from './ports/run-store.port.js';
import type { StepLedger, StepRecord } from './ports/step-ledger.port.js';
import {
  DELIVERY_BUCKETS,
  deliveryChainPrefix,
  fanOutChainPrefix,
  feedScanSteps,
  fetchStepPrefix,
} from './step-ids.js';
import { TOKENS } from './tokens.js';

/** One discovery as a fetch step's record names it (`<feedId>/<eventId>/<K>`). */
export interface AnnouncedDiscovery {
  readonly feedId: string;
  readonly eventId: string;
  readonly shards: number;
}

/**
 * Everything the ledger holds about one run: the pages of each scan segment, the fetch steps of each segment,
 * the fan-out pages and the deliver steps of all its discoveries. A run's summary and its resume both read it.
 */
export interface RunRecords {
  readonly run: CrawlRun;
  /** By scan segment. */
  readonly scans: readonly ChainProgress[];
  /** By scan segment: the records of its completed fetch messages. */
  readonly fetches: readonly (readonly StepRecord[])[];
  /** The completed fan-out pages of every discovery of the run, each naming its `eventId` and `shard`. */
  readonly fanOutPages: readonly StepRecord[];
  /**
   * The completed deliver attempts, each naming its `eventId`, `batch` and `attempt`: those of deliver steps,
   * and those that fan-out pages made themselves (`attemptsOfPages`).
   */
  readonly deliveries: readonly StepRecord[];
}

/** Reads a run's records: one Query per scan segment for the pages and the fetches, one per bucket for the rest. */
@injectable()
export class RunRecordsReader {
  constructor(
    @inject(TOKENS.RunStore) private readonly runs: RunStore,
    @inject(TOKENS.StepLedger) private readonly ledger: StepLedger,
  ) {}

  async read(runId: string, what: { readonly fanOut: boolean } = { fanOut: true }): Promise<RunRecords> {
    const run = await this.get(runId);
    const { scans, fetches, fanOutPages, deliveries } = prefixesOf(run, what);
    const [scanRecords, fetchRecords, fanOutRecords, deliveryRecords] = await Promise.all(
      [scans, fetches, fanOutPages, deliveries].map((prefixes) =>
        Promise.all(prefixes.map((prefix) => this.ledger.completed(prefix))),
      ),
    );
    return {
      run,
      scans: scanRecords!.map(chainProgress),
      fetches: fetchRecords!,
      fanOutPages: fanOutRecords!.flat(),
      deliveries: [...deliveryRecords!.flat(), ...attemptsOfPages(fanOutRecords!.flat())],
    };
  }

  /** Drops every claim held on the run's steps: their holders are known to be gone (see `StepLedger`). */
  async abandonClaims(runId: string): Promise<number> {
    const prefixes = Object.values(prefixesOf(await this.get(runId), { fanOut: true })).flat();
    const counts = await Promise.all(prefixes.map((prefix) => this.ledger.abandonClaims(prefix)));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  private async get(runId: string): Promise<CrawlRun> {
    const run = await this.runs.get(runId);
    if (!run) throw new NotFoundError(`no crawl run ${runId}`);
    return run;
  }
}

/**
 * The deliver attempts that fan-out pages made themselves: a page that delivered its lone part completed
 * with the attempt's record (`batch`, `attempt` and the tally) beside its own.
 */
export function attemptsOfPages(pages: readonly StepRecord[]): StepRecord[] {
  return pages.filter((page) => typeof page.batch === 'string');
}

/** The ledger partitions of a run's steps, by kind: one per scan segment, one per bucket for the fan-outs. */
function prefixesOf(run: CrawlRun, what: { readonly fanOut: boolean }) {
  const segments = Array.from({ length: run.segments ?? 1 }, (_, segment) => segment);
  const buckets = what.fanOut ? Array.from({ length: DELIVERY_BUCKETS }, (_, bucket) => bucket) : [];
  return {
    scans: segments.map((segment) => feedScanSteps(run.id, segment)),
    fetches: segments.map((segment) => fetchStepPrefix(run.id, segment)),
    fanOutPages: buckets.map((bucket) => fanOutChainPrefix(run.id, bucket)),
    deliveries: buckets.map((bucket) => deliveryChainPrefix(run.id, bucket)),
  };
}

/** Where the scan stands, from its pages' records. */
export function scanProgressOf(records: RunRecords): ScanProgress {
  const pages = records.scans.flatMap((scan) => scan.pages);
  return {
    complete: records.scans.every((scan) => scan.complete),
    feedsDispatched: records.scans.reduce((sum, scan) => sum + scan.dispatched, 0),
    segments: records.scans.length,
    segmentsDone: records.scans.filter((scan) => scan.complete).length,
    pages: pages.length,
    batches: pages.reduce((sum, page) => sum + batchesOf(page.dispatched, page.extra.per), 0),
  };
}

/** How many fetch messages a page of `dispatched` due feeds became, `per` to a message. */
export function batchesOf(dispatched: number, per: StepRecord[string] | undefined): number {
  return dispatched === 0 ? 0 : Math.ceil(dispatched / Math.max(1, Number(per ?? dispatched)));
}

/** The discoveries the run's fetch steps announced. */
export function announcedIn(records: RunRecords): AnnouncedDiscovery[] {
  return records.fetches.flat().flatMap((record) =>
    typeof record.announced === 'string' && record.announced.length > 0
      ? record.announced.split(' ').map((entry) => {
          const [feedId, eventId, shards] = entry.split('/');
          return { feedId: feedId!, eventId: eventId!, shards: Number(shards) };
        })
      : [],
  );
}

/** The fan-out pages of each chain (`<eventId>.<shard>`), read back as chains. */
export function fanOutChainsOf(records: RunRecords): Map<string, ChainProgress> {
  const byChain = new Map<string, StepRecord[]>();
  for (const record of records.fanOutPages) {
    const chain = `${String(record.eventId)}.${Number(record.shard)}`;
    byChain.set(chain, [...(byChain.get(chain) ?? []), record]);
  }
  return new Map([...byChain].map(([chain, pages]) => [chain, chainProgress(pages)]));
}

/** What the run's fan-outs have done against what they started. */
export function fanOutProgressOf(records: RunRecords): FanOutProgress {
  const announced = announcedIn(records);
  const chains = fanOutChainsOf(records);
  const pages = [...chains.values()].flatMap((chain) => chain.pages);
  return {
    discoveries: announced.length,
    chains: announced.reduce((sum, d) => sum + d.shards, 0),
    chainsDone: announced.reduce(
      (sum, d) =>
        sum +
        Array.from({ length: d.shards }, (_, k) => chains.get(`${d.eventId}.${k}`)?.complete).filter(Boolean).length,
      0,
    ),
    deliveryBatches: pages.reduce((sum, page) => sum + Number(page.extra.parts ?? 0), 0),
    deliveryBatchesDone: records.deliveries.filter((record) => Number(record.attempt ?? 1) === 1).length,
    recipients: pages.reduce((sum, page) => sum + page.dispatched, 0),
  };
}
