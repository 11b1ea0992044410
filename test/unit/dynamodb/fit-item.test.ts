import { fitItem } from '../../../src/adapters/dynamodb/dynamodb-article-store.js';
import type { StoredArticle } from '../../../src/domain/article.js';

const base: StoredArticle = {
  id: 'a1',
  guid: 'g1',
  title: 'Huge',
  feedId: 'f1',
  firstSeenAt: '2026-01-01T00:00:00.000Z',
  firstSeenRunId: 'run_1',
};
const bytes = (a: StoredArticle) => Buffer.byteLength(JSON.stringify(a), 'utf8');

describe('fitItem', () => {
  it('leaves an article that fits as it is', () => {
    const article = { ...base, content: 'short', summary: 'short' };
    expect(fitItem(article)).toBe(article);
  });

  it('cuts the content of an article too large for one DynamoDB item, keeping its beginning', () => {
    const article = { ...base, content: 'ä'.repeat(400_000), summary: 'kept' };
    const fitted = fitItem(article);
    expect(bytes(fitted)).toBeLessThanOrEqual(300_000);
    expect(fitted.content!.startsWith('ää')).toBe(true);
    expect(fitted.content!.endsWith('…')).toBe(true);
    expect(fitted.summary).toBe('kept');
    expect(fitted.title).toBe('Huge');
  });

  it('cuts the summary when the content alone is not enough', () => {
    const fitted = fitItem({ ...base, content: 'x'.repeat(1_000), summary: 'y'.repeat(500_000) });
    expect(bytes(fitted)).toBeLessThanOrEqual(300_000);
    expect(fitted.content).toBe('x'.repeat(1_000));
    expect(fitted.summary!.startsWith('yyy')).toBe(true);
  });
});
