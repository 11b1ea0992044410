import { ContainerModule } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import { HttpFeedFetcher } from '../../adapters/http/http-feed-fetcher.js';
import { HTTP_FETCH_OPTIONS, type HttpFetchOptions } from '../../adapters/http/tokens.js';

/** Fetching feeds over HTTP behind the address guard (the fetcher parses with `parsingModule`'s parser). */
export function httpModule(options: HttpFetchOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(HTTP_FETCH_OPTIONS).toConstantValue(options);
    bind(TOKENS.FeedFetcher).to(HttpFeedFetcher).inSingletonScope();
  });
}
