import { StartCrawlRun } from '../../../src/application/use-cases/start-crawl-run.js';
import { newFeed } from '../../../src/domain/feed.js';
import { MemorySystem } from '../../support/memory-system.js';
import { aDocument, anItem, feedUrl } from '../../support/mothers.js';
import { takeHeld } from './held-messages.js';

async function systemWithFeeds(count: number, settings = {}): Promise<MemorySystem> {
  const system = new MemorySystem({ settings });
  const { feeds, fetcher, clock } = system.adapters;
  await feeds.addNew(Array.from({ length: count }, (_, i) => newFeed(feedUrl(i), clock.now())));
  for (let i = 0; i < count; i++) fetcher.publish(feedUrl(i), aDocument([anItem(i)]));
  return system;
}

describe('StartCrawlRun', () => {
  it('starts the first step of every scan segment at once', async () => {
    // Prepare
    const system = await systemWithFeeds(3, { scanSegments: 4 });

    // Act
    const { run, started } = await system.container.get(StartCrawlRun).execute({ force: false });

    // Assess
    expect(started).toBe(true);
    expect(run.segments).toBe(4);
    const held = await takeHeld(system.adapters.queues);
    expect(held['scan-feeds'].map((m) => [m.segment, m.segments, m.page])).toEqual([
      [0, 4, 0],
      [1, 4, 0],
      [2, 4, 0],
      [3, 4, 0],
    ]);
  });

  it('derives the number of segments from the size of the feed table', async () => {
    const system = await systemWithFeeds(25, { feedsPerSegment: 10 });
    const { run } = await system.container.get(StartCrawlRun).execute({ force: false });
    expect(run.segments).toBe(3);
  });

  it('never lets two overlapping runs fetch the same feed twice', async () => {
    // Prepare: a run is under way when a second start comes (a slow run meeting the next schedule).
    const system = await systemWithFeeds(6, { feedPageSize: 2 });
    const start = system.container.get(StartCrawlRun);
    const first = await start.execute({ force: false });

    // Act
    const second = await start.execute({ force: true });
    await system.drain();

    // Assess
    expect(second).toEqual({ run: first.run, started: false });
    expect([...system.adapters.fetcher.fetches.values()]).toEqual([1, 1, 1, 1, 1, 1]);
    expect(await system.summary(first.run.id)).toMatchObject({ feeds: 6, fetched: 6, complete: true });
  });

  it('starts the next run once the last one has fetched every feed it dispatched', async () => {
    // Prepare
    const system = await systemWithFeeds(2);
    const first = await system.crawl();

    // Act
    const next = await system.container.get(StartCrawlRun).execute({ force: false });

    // Assess
    expect(next.started).toBe(true);
    expect(next.run.id).not.toBe(first.runId);
  });

  it('starts a new run once an unfinished one has outlived its lease', async () => {
    // Prepare: the first run's work is lost (its messages are never handled).
    const system = await systemWithFeeds(2, { runLeaseSeconds: 600 });
    const start = system.container.get(StartCrawlRun);
    const lost = await start.execute({ force: false });
    await takeHeld(system.adapters.queues);

    // Act
    const tooEarly = await start.execute({ force: false });
    system.adapters.clock.advance(600);
    const after = await start.execute({ force: false });

    // Assess
    expect(tooEarly).toEqual({ run: lost.run, started: false });
    expect(after.started).toBe(true);
    expect(await system.adapters.runs.active()).toBe(after.run.id);
  });

  it('resumes a run whose work was lost once it is older than resumeAfterSeconds, and then lets it finish', async () => {
    // Prepare: the first run's first messages are lost.
    const system = await systemWithFeeds(4, { resumeAfterSeconds: 300, feedPageSize: 2 });
    const start = system.container.get(StartCrawlRun);
    const lost = await start.execute({ force: false });
    await takeHeld(system.adapters.queues);

    // Act
    await start.execute({ force: false });
    const early = await takeHeld(system.adapters.queues);
    system.adapters.clock.advance(301);
    const later = await start.execute({ force: false });
    await system.drain();
    const next = await start.execute({ force: false });

    // Assess: too early, nothing is sent again; later, the scan starts over from its first page, and only once.
    expect(early['scan-feeds']).toEqual([]);
    expect(later).toEqual({ run: lost.run, started: false });
    expect(await system.summary(lost.run.id)).toMatchObject({ feeds: 4, fetched: 4, complete: true });
    expect([...system.adapters.fetcher.fetches.values()]).toEqual([1, 1, 1, 1]);
    expect(next.started).toBe(true);
    expect((await system.adapters.runs.list(5)).map((run) => [run.id, run.finished])).toEqual([
      [next.run.id, false],
      [lost.run.id, true],
    ]);
  });
});
