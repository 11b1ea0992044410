/** Types for dynalite 4 (CommonJS, ships none): a DynamoDB-compatible HTTP server on LevelDB. */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** A LevelDB directory; in memory when omitted. */
    path?: string;
    /** How long tables stay CREATING / DELETING / UPDATING (default 500 ms each). */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    ssl?: boolean;
    verbose?: boolean;
    debug?: boolean;
  }

  /** A server not yet listening; its `close` also closes the LevelDB store (and reopens it on `listen`). */
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
