import { ContainerModule } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import { HttpFeedFetcher } from '../../adapters/http/http-feed-fetcher.js';
import { FEED_PARSER, HTTP_FETCH_OPTIONS, type HttpFetchOptions } from '../../adapters/http/tokens.js';
import { JsonFeedSource } from '../../adapters/parsing/json-feed-source.js';
import { RssParserFeedSource } from '../../adapters/parsing/rss-parser-feed-source.js';
import { SniffingFeedParser } from '../../adapters/parsing/sniffing-feed-parser.js';
import { FEED_SOURCE } from '../../adapters/parsing/tokens.js';
import { RandomIdGenerator, SystemClock } from '../../adapters/system/system-clock.js';
import {
  WEBHOOK_OPTIONS,
  WebhookNotificationSink,
  type WebhookOptions,
} from '../../adapters/webhook/webhook-notification-sink.js';

/** The feed sources, in the order the parser asks them. A new format is one more binding here. */
export function parsingModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(FEED_SOURCE).to(JsonFeedSource).inSingletonScope();
    bind(FEED_SOURCE).to(RssParserFeedSource).inSingletonScope();
    bind(FEED_PARSER).to(SniffingFeedParser).inSingletonScope();
  });
}

/** Fetching feeds over HTTP behind the address guard. */
export function httpModule(options: HttpFetchOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(HTTP_FETCH_OPTIONS).toConstantValue(options);
    bind(TOKENS.FeedFetcher).to(HttpFeedFetcher).inSingletonScope();
  });
}

/** The notification sinks. A new sink is one more `NotificationSink` binding here. */
export function webhookModule(options: WebhookOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(WEBHOOK_OPTIONS).toConstantValue(options);
    bind(TOKENS.NotificationSink).to(WebhookNotificationSink).inSingletonScope();
  });
}

/** The real clock and random ids. */
export function systemModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Clock).to(SystemClock).inSingletonScope();
    bind(TOKENS.IdGenerator).to(RandomIdGenerator).inSingletonScope();
  });
}
