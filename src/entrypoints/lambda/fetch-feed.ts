import 'reflect-metadata/lite';
import type { Container } from 'inversify';
import { PoliteHosts } from '../../application/polite-hosts.js';
import { TOKENS } from '../../application/tokens.js';
import { FetchFeeds } from '../../application/use-cases/fetch-feeds.js';
import { compose } from '../container/compose.js';
import { dynamoDbModule } from '../container/dynamodb.module.js';
import { httpModule } from '../container/http.module.js';
import { parsingModule } from '../container/parsing.module.js';
import { systemModule } from '../container/system.module.js';
import { useCasesModule } from '../container/use-cases.module.js';
import { onColdStart, type LambdaEnvironment } from './cold-start.js';
import { lambdaDeadLetterSink } from './dead-letters.js';
import { firstUseModule } from './first-use.js';
import { fetchFeedHandler } from './message-handlers.js';

/**
 * HTTP and the feed parsers, the stores in DynamoDB, discoveries to EventBridge. EventBridge loads on first use:
 * a batch of feeds that are unchanged, or whose articles are all known, publishes nothing.
 */
export function composeFetchFeed({ settings, aws }: LambdaEnvironment): Container {
  return compose(
    useCasesModule(settings.relay, [FetchFeeds, PoliteHosts]),
    dynamoDbModule(aws),
    firstUseModule(TOKENS.EventPublisher, { publish: true }, async () => {
      const { eventBridgeModule } = await import('../container/eventbridge.module.js');
      return compose(eventBridgeModule(aws.eventBusName)).get(TOKENS.EventPublisher);
    }),
    httpModule(settings.fetch),
    parsingModule(),
    systemModule(),
  );
}

/** The fetch-feed queue's consumer: fetches a batch of feeds, stores what is new, publishes the discoveries. */
export const handler = onColdStart((environment) =>
  fetchFeedHandler(
    composeFetchFeed(environment).get(FetchFeeds),
    environment.logger,
    lambdaDeadLetterSink(environment.aws),
    environment.metrics,
  ),
);
