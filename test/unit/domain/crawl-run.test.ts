import {
  articlesDiscovered,
  discoveryParts,
  newCrawlRun,
  notificationIdFor,
  summarize,
  tallyOutcome,
  EMPTY_FETCH_TALLY,
  type DeliveryState,
  type FeedRunOutcome,
  type NotificationTallies,
} from '../../../src/domain/crawl-run.js';
import { T0 } from '../../support/mothers.js';

/** The tally of a message of one feed that ended as `kind`. */
const outcome = (kind: FeedRunOutcome, newArticles = 0) => tallyOutcome(EMPTY_FETCH_TALLY, kind, newArticles);

describe('newCrawlRun', () => {
  it('names the run after its start and nonce and remembers whether it is forced', () => {
    // Act
    const run = newCrawlRun(T0, true, 'abc123', 8);

    // Assess
    expect(run).toEqual({
      id: 'run_20260101T000000000Z_abc123',
      startedAt: T0.toISOString(),
      force: true,
      segments: 8,
    });
  });
});

/** The notification counts of a run whose notifications ended in these states. */
const tallies = (...states: DeliveryState[]): NotificationTallies => ({
  delivered: states.filter((s) => s === 'delivered').length,
  failed: states.filter((s) => s === 'failed').length,
  pending: states.filter((s) => s === 'pending').length,
});

const aFeedOf = (id: string) => ({ id, url: `https://example.com/${id}.xml` });

describe('summarize', () => {
  it('counts each feed outcome under its own heading, gone feeds as failed and skipped ones nowhere', () => {
    // Act
    const summary = summarize(
      'run_1',
      { complete: true, feedsDispatched: 7 },
      [
        outcome('fetched', 3),
        outcome('fetched', 0),
        outcome('notModified'),
        outcome('notModified'),
        outcome('failed'),
        outcome('gone'),
        outcome('skipped'),
      ],
      tallies(),
    );

    // Assess
    expect(summary).toMatchObject({
      runId: 'run_1',
      feeds: 7,
      fetched: 2,
      notModified: 2,
      failed: 2,
      newArticles: 3,
    });
  });

  it('adds up the new articles of every feed', () => {
    const summary = summarize(
      'r',
      { complete: true, feedsDispatched: 3 },
      [outcome('fetched', 2), outcome('fetched', 5), outcome('notModified', 0)],
      tallies(),
    );
    expect(summary.newArticles).toBe(7);
  });

  it('counts the notifications by state', () => {
    // Prepare
    const deliveries: DeliveryState[] = ['delivered', 'delivered', 'failed', 'pending', 'delivered'];

    // Act
    const summary = summarize('r', { complete: true, feedsDispatched: 0 }, [], tallies(...deliveries));

    // Assess
    expect(summary.notifications).toEqual({ delivered: 3, failed: 1, pending: 1 });
  });

  describe('completeness', () => {
    it('is complete when the scan is complete, every dispatched feed has an outcome and nothing is pending', () => {
      const summary = summarize(
        'r',
        { complete: true, feedsDispatched: 2 },
        [outcome('fetched', 1), outcome('skipped')],
        tallies('delivered', 'failed'),
      );
      expect(summary).toMatchObject({ scanComplete: true, complete: true });
    });

    it('is not complete while the scan has not reached its last page', () => {
      const summary = summarize(
        'r',
        { complete: false, feedsDispatched: 1 },
        [outcome('fetched')],
        tallies('delivered'),
      );
      expect(summary).toMatchObject({ scanComplete: false, complete: false });
    });

    it('is not complete while a dispatched feed has no outcome', () => {
      const summary = summarize(
        'r',
        { complete: true, feedsDispatched: 3 },
        [outcome('fetched'), outcome('failed')],
        tallies(),
      );
      expect(summary).toMatchObject({ scanComplete: true, complete: false });
    });

    it('is not complete while a notification waits for a retry', () => {
      const summary = summarize(
        'r',
        { complete: true, feedsDispatched: 1 },
        [outcome('fetched', 1)],
        tallies('pending'),
      );
      expect(summary.complete).toBe(false);
    });

    it('is complete for a run that found no feeds', () => {
      expect(summarize('r', { complete: true, feedsDispatched: 0 }, [], tallies()).complete).toBe(true);
    });
  });
});

describe('articlesDiscovered', () => {
  it('derives the event id from the feed and the articles it announces, so a replayed announcement is the same event', () => {
    // Act
    const first = articlesDiscovered('run_1', aFeedOf('feed_a'), ['b', 'a'], '2026-01-01T00:00:00.000Z');
    const retried = articlesDiscovered('run_1', aFeedOf('feed_a'), ['a', 'b'], '2026-01-01T00:05:00.000Z');

    // Assess
    expect(retried.eventId).toBe(first.eventId);
    expect(first.eventId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gives other articles or another feed another event id', () => {
    const ids = [
      articlesDiscovered('run_1', aFeedOf('feed_a'), ['x'], 't').eventId,
      articlesDiscovered('run_1', aFeedOf('feed_a'), ['x', 'y'], 't').eventId,
      articlesDiscovered('run_1', aFeedOf('feed_b'), ['x'], 't').eventId,
    ];
    expect(new Set(ids).size).toBe(3);
  });

  it('carries the feed as the fan-out presents it', () => {
    const event = articlesDiscovered(
      'run_1',
      { id: 'feed_a', url: 'https://a.example/feed', title: 'A', subscriberShards: 4 },
      ['x'],
      't',
    );
    expect(event).toMatchObject({
      feedId: 'feed_a',
      feedUrl: 'https://a.example/feed',
      feedTitle: 'A',
      subscriberShards: 4,
    });
  });

  it('lists the article ids sorted, leaving the caller’s list as it was', () => {
    // Prepare
    const ids = ['c', 'a', 'b'];

    // Act
    const event = articlesDiscovered('run_1', aFeedOf('feed_a'), ids, '2026-01-01T00:00:00.000Z');

    // Assess
    expect(event).toEqual({
      type: 'ArticlesDiscovered',
      eventId: event.eventId,
      runId: 'run_1',
      feedId: 'feed_a',
      feedUrl: 'https://example.com/feed_a.xml',
      subscriberShards: 1,
      articleIds: ['a', 'b', 'c'],
      discoveredAt: '2026-01-01T00:00:00.000Z',
    });
    expect(ids).toEqual(['c', 'a', 'b']);
  });
});

describe('notificationIdFor', () => {
  it('is the same for the same subscription and event, every time', () => {
    expect(notificationIdFor('sub_1', 'evt_1')).toBe(notificationIdFor('sub_1', 'evt_1'));
    expect(notificationIdFor('sub_1', 'evt_1')).toMatch(/^msg_[0-9a-f]{32}$/);
  });

  it('differs for another subscription or another event', () => {
    const ids = [
      notificationIdFor('sub_1', 'evt_1'),
      notificationIdFor('sub_2', 'evt_1'),
      notificationIdFor('sub_1', 'evt_2'),
      notificationIdFor('evt_1', 'sub_1'),
    ];
    expect(new Set(ids).size).toBe(4);
  });
});

describe('discoveryParts', () => {
  it('cuts a large discovery into parts of at most 100 articles, each with its own stable event id', () => {
    // Prepare
    const ids = Array.from({ length: 250 }, (_, i) => `a${String(i).padStart(3, '0')}`);

    // Act
    const parts = discoveryParts('feed_1', ids);
    const again = discoveryParts('feed_1', ids);

    // Assess: the event a part raises carries the part's id.
    expect(parts.map((p) => p.articleIds.length)).toEqual([100, 100, 50]);
    expect(parts.flatMap((p) => p.articleIds)).toEqual(ids);
    expect(new Set(parts.map((p) => p.eventId)).size).toBe(3);
    expect(again.map((p) => p.eventId)).toEqual(parts.map((p) => p.eventId));
    expect(parts[0]!.eventId).toBe(
      articlesDiscovered('run_1', aFeedOf('feed_1'), ids.slice(0, 100), T0.toISOString()).eventId,
    );
  });

  it('makes no part of no new articles', () => {
    expect(discoveryParts('feed_1', [])).toEqual([]);
  });
});
