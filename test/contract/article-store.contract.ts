import fc from 'fast-check';
import type { ArticleStore } from '../../src/application/ports/article-store.port.js';
import type { Article, StoredArticle } from '../../src/domain/article.js';
import type { ContractOptions } from './feed-store.contract.js';
import { anArticle, T0, uniqueId } from './mothers.js';

const T1 = new Date(T0.getTime() + 60_000);

const storedAs = (article: Article, feedId: string, runId = 'run-1', at: Date = T1): StoredArticle => ({
  ...article,
  feedId,
  firstSeenAt: at.toISOString(),
  firstSeenRunId: runId,
});

const ids = (articles: readonly { id: string }[]): string[] => articles.map((article) => article.id);

/** What every article store must do: keep what it is given, per feed, and give it back by id. */
export function describeArticleStoreContract(
  name: string,
  makeStore: () => Promise<ArticleStore>,
  options: ContractOptions = {},
): void {
  describe(`${name} as ArticleStore`, () => {
    it('gives back the articles it stored, in the order asked, and nothing for unknown ids', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const [a, b] = [anArticle(), anArticle({ content: '<p>full</p>', summary: undefined })];

      await store.putMany(feedId, [storedAs(a!, feedId), storedAs(b!, feedId)]);

      expect(await store.getMany(feedId, [b!.id, 'no-such-article', a!.id])).toEqual([
        storedAs(b!, feedId),
        storedAs(a!, feedId),
      ]);
      expect(await store.getMany(feedId, [])).toEqual([]);
    });

    it('keeps the articles of each feed apart', async () => {
      const store = await makeStore();
      const [feedA, feedB] = [uniqueId('feed'), uniqueId('feed')];
      const twin = anArticle();

      await store.putMany(feedA, [storedAs(twin, feedA, 'run-1')]);
      await store.putMany(feedB, [storedAs({ ...twin, title: 'in B' }, feedB, 'run-2')]);

      expect(await store.getMany(feedA, [twin.id])).toEqual([storedAs(twin, feedA, 'run-1')]);
      expect(await store.getMany(feedB, [twin.id])).toEqual([storedAs({ ...twin, title: 'in B' }, feedB, 'run-2')]);
    });

    it('stores more articles than one batch request takes', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const articles = Array.from({ length: 130 }, () => storedAs(anArticle(), feedId));

      await store.putMany(feedId, articles);

      expect(ids(await store.getMany(feedId, ids(articles)))).toEqual(ids(articles));
    });

    it('writing the same articles again leaves one article per id', async () => {
      const store = await makeStore();
      const pool = Array.from({ length: 12 }, (_, i) => anArticle({ id: `pooled-${i}` }));
      await fc.assert(
        fc.asyncProperty(fc.array(fc.subarray(pool, { minLength: 1 }), { maxLength: 6 }), async (writes) => {
          const feedId = uniqueId('feed');
          const written = new Set<string>();
          for (const articles of writes) {
            await store.putMany(
              feedId,
              articles.map((article) => storedAs(article, feedId)),
            );
            for (const article of articles) written.add(article.id);
          }

          const read = await store.getMany(feedId, ids(pool));

          expect(ids(read).sort()).toEqual([...written].sort());
        }),
        { numRuns: options.numRuns ?? 30 },
      );
    });
  });
}
