/** One-line usages, shared by the help text and the commands' own usage errors. */
export const PARSE_USAGE = 'feedrelay parse FILE|- [--json]';
export const FETCH_USAGE =
  'feedrelay fetch URL [--json] [--timeout-ms N] [--max-bytes N] [--max-redirects N] [--etag E] [--last-modified D] [--allow-network CIDR]';
export const RUNS_USAGE = 'feedrelay runs list [--limit N] | show RUN | start [--force] | resume RUN [--json]';
export const DLQ_USAGE = 'feedrelay dlq list [--queue NAME] [--json] | redrive [--queue NAME] [--json]';
