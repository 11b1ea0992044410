import type { ServiceIdentifier } from 'inversify';
import type { FeedSource } from '../../application/ports/feed-parser.port.js';

/** Every bound `FeedSource`; the sniffing parser asks them in binding order. */
export const FEED_SOURCE = Symbol.for('FeedSource') as ServiceIdentifier<FeedSource>;
