import 'reflect-metadata';
import type { SqsEvent } from './sqs-batch.js';
import { lambdaHandlers } from './lambda-handlers.js';

/** The deliver queue's consumer: one delivery attempt per message, retries sent back with a delay. */
export const handler = (event: SqsEvent) => lambdaHandlers().deliver(event);
