import { toFeedDocument } from '../../../domain/article.js';
import type { FeedFetcher } from '../../../application/ports/feed-fetcher.port.js';
import { TOKENS } from '../../../application/tokens.js';
import { compose } from '../../container/compose.js';
import { httpModule } from '../../container/http.module.js';
import { parsingModule } from '../../container/parsing.module.js';
import { allowedNetworks, intFlag, parseCommandArgs, rejectStray } from '../args.js';
import { OperationError, UsageError } from '../cli-errors.js';
import type { Output } from '../output.js';
import { FETCH_USAGE } from '../usage.js';
import { renderDocument } from './render.js';

/** `feedrelay fetch URL`: fetch and parse one feed as the crawler would. */
export async function fetchCommand(args: readonly string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('fetch', args, {
    'timeout-ms': { type: 'string' },
    'max-bytes': { type: 'string' },
    'max-redirects': { type: 'string' },
    etag: { type: 'string' },
    'last-modified': { type: 'string' },
  });
  rejectStray('fetch', positionals.slice(1), FETCH_USAGE);
  if (positionals.length !== 1) throw new UsageError(`fetch: expected one URL, usage: ${FETCH_USAGE}`);
  let fetcher: FeedFetcher;
  try {
    const options = {
      timeoutMs: intFlag('timeout-ms', values['timeout-ms'], 10_000, 1, 600_000),
      maxBytes: intFlag('max-bytes', values['max-bytes'], 5 * 1024 * 1024, 1, 1024 * 1024 * 1024),
      maxRedirects: intFlag('max-redirects', values['max-redirects'], 5, 0, 50),
      allowedNetworks: allowedNetworks(values),
    };
    fetcher = compose(parsingModule(), httpModule(options)).get(TOKENS.FeedFetcher);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`fetch: ${(error as Error).message}`);
  }
  const result = await fetcher.fetch({
    url: positionals[0]!,
    ...(typeof values.etag === 'string' ? { etag: values.etag } : {}),
    ...(typeof values['last-modified'] === 'string' ? { lastModified: values['last-modified'] } : {}),
  });
  if (result.kind === 'failed') {
    const { code, message, status, retryAfterSeconds } = result.error;
    throw new OperationError(code, message, { status, retryAfterSeconds });
  }
  const common = {
    status: result.status,
    url: result.url,
    ...(result.permanentRedirect ? { permanentRedirect: result.permanentRedirect } : {}),
    ...(result.etag ? { etag: result.etag } : {}),
    ...(result.lastModified ? { lastModified: result.lastModified } : {}),
  };
  if (result.kind === 'notModified') {
    output.result({ ...common, notModified: true, articles: [] }, (d) => `${d.status} not modified: ${d.url}`);
    return;
  }
  const document = { ...toFeedDocument(result.document), ...common, notModified: false };
  output.result(document, (d) => `${d.status} ${d.url}\n${renderDocument(d)}`);
}
