/*
 * The runtime adapter families in one place, for the embedded stack and the tests. Each lives in its own file
 * so that a Lambda entry imports only the families its handler needs (and bundles nothing else).
 */
export { httpModule } from './http.module.js';
export { parsingModule } from './parsing.module.js';
export { systemModule } from './system.module.js';
export { webhookModule } from './webhook.module.js';
export { sinkAddressModule } from './sink-address.module.js';
