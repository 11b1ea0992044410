import { readFile } from 'node:fs/promises';
import { acceptFeedUrl, normalizeFeedUrl } from '../../../domain/feed.js';
import { InvalidFeedUrlError } from '../../../domain/errors.js';
import { OpmlError, parseOpmlBytes, writeOpml } from '../../../adapters/opml/opml.js';
import { parseCommandArgs, rejectStray } from '../args.js';
import { UsageError } from '../cli-errors.js';
import { failIfAny } from '../management/batch-failures.js';
import type { ManagementClient } from '../management/management-client.js';
import { TARGET_OPTIONS, TARGET_USAGE, withManagementClient } from '../management/target.js';
import type { Output } from '../output.js';
import type { FeedView } from '../../views.js';

export { describeFeed } from '../../views.js';

const USAGE = `feedrelay feeds import FILE.opml | add URL… | list [--json] | remove URL… | export ${TARGET_USAGE}`;

/** `feedrelay feeds …`: manage the feed table, of the embedded stack or through a management API. */
export async function feedsCommand(args: readonly string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('feeds', args, TARGET_OPTIONS);
  const [action, ...rest] = positionals;
  switch (action) {
    case 'import': {
      rejectStray('feeds import', rest.slice(1), USAGE);
      if (rest.length !== 1) throw new UsageError(`feeds import: expected one OPML file, usage: ${USAGE}`);
      const file = rest[0]!;
      const feeds = await readOpml(file);
      const result = await withManagementClient(values, (client) => client.addFeeds(feeds));
      const document = { imported: result.added.length, existing: result.existing, total: feeds.length };
      failIfAny(result.failed, feeds.length, 'feed(s)', (i) => feeds[i]!.url, document);
      output.result(document, (r) => `imported ${r.imported} feed(s) from ${file} (${r.existing} already known)`);
      return;
    }
    case 'add': {
      if (rest.length === 0) throw new UsageError(`feeds add: expected at least one URL, usage: ${USAGE}`);
      for (const url of rest) checked('feeds add', url, acceptFeedUrl);
      const entries = rest.map((url) => ({ url }));
      const result = await withManagementClient(values, (client) => client.addFeeds(entries));
      const document = { added: result.added, existing: result.existing };
      failIfAny(result.failed, entries.length, 'feed(s)', (i) => entries[i]!.url, document);
      output.result(
        document,
        (r) => `added ${r.added.length} feed(s)${r.existing ? `, ${r.existing} already known` : ''}`,
      );
      return;
    }
    case 'list': {
      rejectStray('feeds list', rest, USAGE);
      const feeds = await withManagementClient(values, allFeeds);
      output.result({ feeds, count: feeds.length }, (r) =>
        [...r.feeds.map((f) => `${f.url}${f.title ? `  ${f.title}` : ''}${feedNotes(f)}`), `${r.count} feed(s)`].join(
          '\n',
        ),
      );
      return;
    }
    case 'remove': {
      if (rest.length === 0) throw new UsageError(`feeds remove: expected at least one URL, usage: ${USAGE}`);
      for (const url of rest) checked('feeds remove', url, normalizeFeedUrl);
      const { failed, ...result } = await withManagementClient(values, (client) => client.removeFeeds(rest));
      failIfAny(failed, rest.length, 'feed(s)', (i) => rest[i]!, result);
      output.result(
        result,
        (r) => `removed ${r.removed.length} feed(s)${r.missing.length ? `; not found: ${r.missing.join(' ')}` : ''}`,
      );
      return;
    }
    case 'export': {
      rejectStray('feeds export', rest, USAGE);
      const feeds = await withManagementClient(values, allFeeds);
      const opml = writeOpml(feeds.map((f) => ({ url: f.url, ...(f.title ? { title: f.title } : {}) })));
      if (output.json) output.result({ opml, count: feeds.length }, () => '');
      else output.raw(opml);
      return;
    }
    default:
      throw new UsageError(`feeds: expected import, add, list, remove or export, usage: ${USAGE}`);
  }
}

async function allFeeds(client: ManagementClient): Promise<FeedView[]> {
  const list: FeedView[] = [];
  for await (const feed of client.listFeeds()) list.push(feed);
  return list;
}

/** A URL from the command line, checked before anything is sent: a bad one is bad usage. */
function checked(command: string, url: string, check: (url: string) => string): string {
  try {
    return check(url);
  } catch (error) {
    if (error instanceof InvalidFeedUrlError) throw new UsageError(`${command}: ${error.message}`);
    throw error;
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
function feedNotes(f: FeedView): string {
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
