import 'reflect-metadata';
import type { SqsEvent } from './sqs-batch.js';
import { lambdaHandlers } from './lambda-handlers.js';

/** The scan-subscribers queue's consumer: one page of a feed's subscribers, relayed to the next. */
export const handler = (event: SqsEvent) => lambdaHandlers().scanSubscribers(event);
