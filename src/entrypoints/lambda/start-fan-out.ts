import 'reflect-metadata';
import type { SqsEvent } from './sqs-batch.js';
import { lambdaHandlers } from './lambda-handlers.js';

/** The start-fan-out queue's consumer: each ArticlesDiscovered event starts the subscriber relay. */
export const handler = (event: SqsEvent) => lambdaHandlers().startFanOut(event);
