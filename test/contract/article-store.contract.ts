import fc from 'fast-check';
import type { ArticleStore } from '../../src/application/ports/article-store.port.js';
import type { Article, StoredArticle } from '../../src/domain/article.js';
import type { ContractOptions } from './feed-store.contract.js';
import { anArticle, T0, uniqueId } from '../support/mothers.js';

const T1 = new Date(T0.getTime() + 60_000);

const storedAs = (article: Article, feedId: string, runId = 'run-1', at: Date = T1): StoredArticle => ({
  ...article,
  feedId,
  firstSeenAt: at.toISOString(),
  firstSeenRunId: runId,
});

const ids = (articles: readonly { id: string }[]): string[] => articles.map((article) => article.id);

/** What every article store must do: keep each discovery's articles, per feed, and give them back whole. */
export function describeArticleStoreContract(
  name: string,
  makeStore: () => Promise<ArticleStore>,
  options: ContractOptions = {},
): void {
  describe(`${name} as ArticleStore`, () => {
    it('gives back the articles of a discovery in the order they were stored, and none for an unknown one', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const [a, b] = [anArticle(), anArticle({ content: '<p>full</p>', summary: undefined })];

      await store.putDiscovery(feedId, 'evt-1', [storedAs(b!, feedId), storedAs(a!, feedId)]);

      expect(await store.getDiscovery(feedId, 'evt-1')).toEqual([storedAs(b!, feedId), storedAs(a!, feedId)]);
      expect(await store.getDiscovery(feedId, 'evt-unknown')).toEqual([]);
    });

    it('keeps the discoveries of each feed, and each discovery, apart', async () => {
      const store = await makeStore();
      const [feedA, feedB] = [uniqueId('feed'), uniqueId('feed')];
      const twin = anArticle();
      const other = anArticle();

      await store.putDiscovery(feedA, 'evt-1', [storedAs(twin, feedA, 'run-1')]);
      await store.putDiscovery(feedB, 'evt-1', [storedAs({ ...twin, title: 'in B' }, feedB, 'run-2')]);
      await store.putDiscovery(feedA, 'evt-2', [storedAs(other, feedA, 'run-2')]);

      expect(await store.getDiscovery(feedA, 'evt-1')).toEqual([storedAs(twin, feedA, 'run-1')]);
      expect(await store.getDiscovery(feedB, 'evt-1')).toEqual([storedAs({ ...twin, title: 'in B' }, feedB, 'run-2')]);
      expect(await store.getDiscovery(feedA, 'evt-2')).toEqual([storedAs(other, feedA, 'run-2')]);
    });

    it('keeps a discovery whose articles are larger than one item may be, whole and in order', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const articles = Array.from({ length: 12 }, () =>
        storedAs(anArticle({ content: 'x'.repeat(100_000), summary: undefined }), feedId),
      );

      await store.putDiscovery(feedId, 'evt-big', articles);

      const read = await store.getDiscovery(feedId, 'evt-big');
      expect(ids(read)).toEqual(ids(articles));
      expect(read.every((article) => article.content?.length === 100_000)).toBe(true);
    });

    it('holds the last write of a discovery written again and again', async () => {
      const store = await makeStore();
      const pool = Array.from({ length: 12 }, (_, i) => anArticle({ id: `pooled-${i}` }));
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.subarray(pool, { minLength: 1 }), { minLength: 1, maxLength: 4 }),
          async (writes) => {
            const feedId = uniqueId('feed');
            for (const articles of writes) {
              await store.putDiscovery(
                feedId,
                'evt',
                articles.map((article) => storedAs(article, feedId)),
              );
            }

            expect(ids(await store.getDiscovery(feedId, 'evt'))).toEqual(ids(writes[writes.length - 1]!));
          },
        ),
        { numRuns: options.numRuns ?? 30 },
      );
    });
  });
}
