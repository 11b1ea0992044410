import type { FeedDocument } from '../../../domain/article.js';

/** A feed document for people: the feed, then one line per article. */
export function renderDocument(document: FeedDocument): string {
  const lines = [`${document.feed.title ?? '(untitled feed)'}${document.feed.link ? ` <${document.feed.link}>` : ''}`];
  for (const article of document.articles) {
    const date = article.published ?? article.updated ?? '';
    lines.push(
      `  ${date.slice(0, 10).padEnd(10)}  ${article.title ?? '(untitled)'}${article.link ? `  ${article.link}` : ''}`,
    );
  }
  lines.push(`${document.articles.length} article(s)`);
  return lines.join('\n');
}
