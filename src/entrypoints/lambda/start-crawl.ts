import 'reflect-metadata';
import { lambdaHandlers } from './lambda-handlers.js';

/** The schedule's target: starts a crawl run (`{ "force": true }` crawls every feed, due or not). */
export const handler = (event?: { force?: boolean }) => lambdaHandlers().startCrawl(event);
