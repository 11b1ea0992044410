import 'reflect-metadata';
import type { SqsEvent } from './sqs-batch.js';
import { lambdaHandlers } from './lambda-handlers.js';

/** The scan-feeds queue's consumer: one page of the feed scan, relayed to the next. */
export const handler = (event: SqsEvent) => lambdaHandlers().scanFeeds(event);
