#!/usr/bin/env node
// feedrelay runs on Node 20 here while Lambda runs 22; the SDK's notice about that is not the user's business.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
await import('reflect-metadata');
const { main } = await import('../dist/bundle/cli.js');

process.exitCode = await main(process.argv.slice(2));
