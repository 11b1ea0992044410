import { ContainerModule } from 'inversify';
import { FEED_PARSER } from '../../adapters/http/tokens.js';
import { JsonFeedSource } from '../../adapters/parsing/json-feed-source.js';
import { XmlFeedSource } from '../../adapters/parsing/xml-feed-source.js';
import { SniffingFeedParser } from '../../adapters/parsing/sniffing-feed-parser.js';
import { FEED_SOURCE } from '../../adapters/parsing/tokens.js';

/** The feed sources, in the order the parser asks them. A new format is one more binding here. */
export function parsingModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(FEED_SOURCE).to(JsonFeedSource).inSingletonScope();
    bind(FEED_SOURCE).to(XmlFeedSource).inSingletonScope();
    bind(FEED_PARSER).to(SniffingFeedParser).inSingletonScope();
  });
}
