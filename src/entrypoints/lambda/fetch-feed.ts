import 'reflect-metadata';
import type { SqsEvent } from './sqs-batch.js';
import { lambdaHandlers } from './lambda-handlers.js';

/** The fetch-feed queue's consumer: fetches a feed, stores what is new, publishes the discovery. */
export const handler = (event: SqsEvent) => lambdaHandlers().fetchFeed(event);
