import { readFile } from 'node:fs/promises';
import { AddFeeds } from '../../../application/use-cases/add-feeds.js';
import { ListFeeds } from '../../../application/use-cases/list-feeds.js';
import { RemoveFeeds } from '../../../application/use-cases/remove-feeds.js';
import type { Feed } from '../../../domain/feed.js';
import { InvalidFeedUrlError } from '../../../domain/errors.js';
import { OpmlError, parseOpmlBytes, writeOpml } from '../../../adapters/opml/opml.js';
import { parseCommandArgs, rejectStray } from '../args.js';
import { UsageError } from '../cli-errors.js';
import type { Output } from '../output.js';
import { withLocalStores } from './local.js';

const USAGE = 'feedrelay feeds import FILE.opml | add URL… | list [--json] | remove URL… | export';

/** `feedrelay feeds …`: manage the feed table of the embedded stack. */
export async function feedsCommand(args: readonly string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('feeds', args, {});
  const [action, ...rest] = positionals;
  switch (action) {
    case 'import': {
      rejectStray('feeds import', rest.slice(1), USAGE);
      if (rest.length !== 1) throw new UsageError(`feeds import: expected one OPML file, usage: ${USAGE}`);
      const file = rest[0]!;
      const feeds = await readOpml(file);
      const result = await withLocalStores(values, (app) => app.container.get(AddFeeds).execute(feeds));
      output.result(
        { imported: result.added.length, existing: result.existing, total: feeds.length },
        (r) => `imported ${r.imported} feed(s) from ${file} (${r.existing} already known)`,
      );
      return;
    }
    case 'add': {
      if (rest.length === 0) throw new UsageError(`feeds add: expected at least one URL, usage: ${USAGE}`);
      const entries = rest.map((url) => ({ url }));
      const result = await withLocalStores(values, (app) => app.container.get(AddFeeds).execute(entries)).catch(
        (error: unknown) => {
          if (error instanceof InvalidFeedUrlError) throw new UsageError(`feeds add: ${error.message}`);
          throw error;
        },
      );
      output.result(
        { added: result.added.map(describeFeed), existing: result.existing },
        (r) => `added ${r.added.length} feed(s)${r.existing ? `, ${r.existing} already known` : ''}`,
      );
      return;
    }
    case 'list': {
      rejectStray('feeds list', rest, USAGE);
      const feeds = await withLocalStores(values, async (app) => {
        const list: Feed[] = [];
        for await (const feed of app.container.get(ListFeeds).execute()) list.push(feed);
        return list;
      });
      output.result({ feeds: feeds.map(describeFeed), count: feeds.length }, (r) =>
        [...r.feeds.map((f) => `${f.url}${f.title ? `  ${f.title}` : ''}${feedNotes(f)}`), `${r.count} feed(s)`].join(
          '\n',
        ),
      );
      return;
    }
    case 'remove': {
      if (rest.length === 0) throw new UsageError(`feeds remove: expected at least one URL, usage: ${USAGE}`);
      const result = await withLocalStores(values, (app) => app.container.get(RemoveFeeds).execute(rest)).catch(
        (error: unknown) => {
          if (error instanceof InvalidFeedUrlError) throw new UsageError(`feeds remove: ${error.message}`);
          throw error;
        },
      );
      output.result(
        result,
        (r) => `removed ${r.removed.length} feed(s)${r.missing.length ? `; not found: ${r.missing.join(' ')}` : ''}`,
      );
      return;
    }
    case 'export': {
      rejectStray('feeds export', rest, USAGE);
      const feeds = await withLocalStores(values, async (app) => {
        const list: Feed[] = [];
        for await (const feed of app.container.get(ListFeeds).execute()) list.push(feed);
        return list;
      });
      const opml = writeOpml(feeds.map((f) => ({ url: f.url, ...(f.title ? { title: f.title } : {}) })));
      if (output.json) output.result({ opml, count: feeds.length }, () => '');
      else output.raw(opml);
      return;
    }
    default:
      throw new UsageError(`feeds: expected import, add, list, remove or export, usage: ${USAGE}`);
  }
}

async function readOpml(file: string): Promise<{ url: string; title?: string }[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new UsageError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return parseOpmlBytes(bytes);
  } catch (error) {
    if (error instanceof OpmlError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
}

/** What a line of `feeds list` says besides URL and title: gone, failing since when and why, moving. */
function feedNotes(f: ReturnType<typeof describeFeed>): string {
  const notes: string[] = [];
  if (f.status !== 'active') notes.push(f.lastError ? `${f.status}: ${f.lastError.message}` : f.status);
  else if (f.lastError) {
    const since = f.failingSince ? ` since ${f.failingSince}` : '';
    notes.push(`failing${since}, ${f.errorCount} time(s): ${f.lastError.code}: ${f.lastError.message}`);
  }
  if (f.redirect?.refused) notes.push(`not moved to ${f.redirect.to}: ${f.redirect.refused}`);
  else if (f.redirect) notes.push(`moved permanently to ${f.redirect.to} (once; moves when confirmed)`);
  return notes.map((note) => `  [${note}]`).join('');
}

/** A feed as commands show it. */
export function describeFeed(feed: Feed) {
  return {
    id: feed.id,
    url: feed.url,
    ...(feed.title ? { title: feed.title } : {}),
    status: feed.status,
    ...(feed.etag ? { etag: feed.etag } : {}),
    ...(feed.lastModified ? { lastModified: feed.lastModified } : {}),
    ...(feed.lastFetchedAt ? { lastFetchedAt: feed.lastFetchedAt } : {}),
    nextFetchAt: feed.nextFetchAt,
    errorCount: feed.errorCount,
    ...(feed.lastError ? { lastError: feed.lastError } : {}),
    ...(feed.failingSince ? { failingSince: feed.failingSince } : {}),
    ...(feed.redirect ? { redirect: feed.redirect } : {}),
  };
}
