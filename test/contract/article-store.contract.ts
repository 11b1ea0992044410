import fc from 'fast-check';
import type { ArticleStore } from '../../src/application/ports/article-store.port.js';
import type { Article, StoredArticle } from '../../src/domain/article.js';
import type { ContractOptions } from './feed-store.contract.js';
import { anArticle, T0, uniqueId } from './mothers.js';

const T1 = new Date(T0.getTime() + 60_000);
const T2 = new Date(T0.getTime() + 120_000);

const storedAs = (article: Article, feedId: string, runId: string, at: Date): StoredArticle => ({
  ...article,
  feedId,
  firstSeenAt: at.toISOString(),
  firstSeenRunId: runId,
});

const ids = (articles: readonly { id: string }[]): string[] => articles.map((article) => article.id);

/** What every article store must do: each article stored once, its first sighting owned by one run. */
export function describeArticleStoreContract(
  name: string,
  makeStore: () => Promise<ArticleStore>,
  options: ContractOptions = {},
): void {
  describe(`${name} as ArticleStore`, () => {
    it('stores new articles and reports each as first seen by the run', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const [a, b] = [anArticle(), anArticle({ content: '<p>full</p>', summary: undefined })];

      const firstSeen = await store.storeFirstSeen(feedId, 'run-1', [a!, b!], T1);

      const expected = [storedAs(a!, feedId, 'run-1', T1), storedAs(b!, feedId, 'run-1', T1)];
      expect(firstSeen).toEqual(expected);
      expect(await store.getMany(feedId, [a!.id, b!.id])).toEqual(expected);
    });

    it('reports the same articles again when the same run retries, with those new to the retry', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const [a, b, c] = [anArticle(), anArticle(), anArticle()];
      await store.storeFirstSeen(feedId, 'run-1', [a!, b!], T1);

      const retried = await store.storeFirstSeen(feedId, 'run-1', [c!, a!, b!], T2);

      expect(retried).toEqual([
        storedAs(c!, feedId, 'run-1', T2),
        storedAs(a!, feedId, 'run-1', T1),
        storedAs(b!, feedId, 'run-1', T1),
      ]);
    });

    it('reports nothing that an earlier run stored, and keeps the version first stored', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const [a, d] = [anArticle({ title: 'first title' }), anArticle()];
      await store.storeFirstSeen(feedId, 'run-1', [a!], T1);

      const firstSeen = await store.storeFirstSeen(feedId, 'run-2', [{ ...a!, title: 'edited title' }, d!], T2);

      expect(firstSeen).toEqual([storedAs(d!, feedId, 'run-2', T2)]);
      expect(await store.getMany(feedId, [a!.id])).toEqual([storedAs(a!, feedId, 'run-1', T1)]);
      expect(await store.storeFirstSeen(feedId, 'run-3', [a!, d!], T2)).toEqual([]);
    });

    it('never merges two ids: equal content under two ids, or one id in two feeds, are two articles', async () => {
      const store = await makeStore();
      const [feedA, feedB] = [uniqueId('feed'), uniqueId('feed')];
      const twin = anArticle();
      const sibling = { ...twin, id: `${twin.id}-2` };

      const inA = await store.storeFirstSeen(feedA, 'run-1', [twin, sibling], T1);
      const inB = await store.storeFirstSeen(feedB, 'run-2', [twin], T1);

      expect(ids(inA)).toEqual([twin.id, sibling.id]);
      expect(inB).toEqual([storedAs(twin, feedB, 'run-2', T1)]);
      expect(await store.getMany(feedA, [twin.id])).toEqual([storedAs(twin, feedA, 'run-1', T1)]);
    });

    it('stores an id repeated within one call once, in its first version', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const article = anArticle({ title: 'first' });

      const firstSeen = await store.storeFirstSeen(feedId, 'run-1', [article, { ...article, title: 'second' }], T1);

      expect(ids(firstSeen)).toEqual([article.id, article.id]);
      expect(await store.getMany(feedId, [article.id])).toEqual([storedAs(article, feedId, 'run-1', T1)]);
    });

    it('reads many articles in the order asked, skipping unknown ids, beyond one batch', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const articles = Array.from({ length: 230 }, (_, i) => anArticle({ id: `a${String(i).padStart(3, '0')}` }));
      const firstSeen = await store.storeFirstSeen(feedId, 'run-1', articles, T1);
      const asked = [...ids(articles)].reverse().flatMap((id, i) => (i % 50 === 0 ? [id, `unknown-${i}`] : [id]));

      const read = await store.getMany(feedId, asked);

      expect(ids(firstSeen)).toEqual(ids(articles));
      expect(ids(read)).toEqual([...ids(articles)].reverse());
      expect(await store.getMany(feedId, [])).toEqual([]);
    });

    it('gives each article to exactly one of two runs racing to store it', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const articles = Array.from({ length: 40 }, () => anArticle());

      const [one, two] = await Promise.all([
        store.storeFirstSeen(feedId, 'run-1', articles, T1),
        store.storeFirstSeen(feedId, 'run-2', [...articles].reverse(), T1),
      ]);

      expect([...ids(one!), ...ids(two!)].sort()).toEqual(ids(articles).sort());
      const stored = await store.getMany(feedId, ids(articles));
      expect(
        stored
          .filter((article) => article.firstSeenRunId === 'run-1')
          .map((a) => a.id)
          .sort(),
      ).toEqual(ids(one!).sort());
    });

    it('reports every article as first seen by the first run that stored it, however runs repeat', async () => {
      const store = await makeStore();
      const pool = Array.from({ length: 12 }, (_, i) => anArticle({ id: `pooled-${i}` }));
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ run: fc.constantFrom('r1', 'r2', 'r3'), articles: fc.subarray(pool) }), {
            maxLength: 8,
          }),
          async (calls) => {
            const feedId = uniqueId('feed');
            const firstRun = new Map<string, string>();
            for (const { run, articles } of calls) {
              for (const article of articles) if (!firstRun.has(article.id)) firstRun.set(article.id, run);

              const firstSeen = await store.storeFirstSeen(feedId, run, articles, T1);

              expect(ids(firstSeen)).toEqual(ids(articles.filter((article) => firstRun.get(article.id) === run)));
              expect(firstSeen.every((article) => article.firstSeenRunId === run && article.feedId === feedId)).toBe(
                true,
              );
            }
          },
        ),
        { numRuns: options.numRuns ?? 50 },
      );
    });
  });
}
