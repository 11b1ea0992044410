import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { FeedrelayError } from '../../domain/errors.js';

/**
 * dynalite answers a BatchWriteItem with one PutItem or DeleteItem per item, each reading the table description,
 * taking the item's lock, reading the item it replaces and writing it: four round trips to LevelDB's thread pool
 * per item, most of an import's time. On a table without secondary indexes (feedrelay's tables have none) and
 * without ReturnConsumedCapacity, what it replaces changes nothing in the answer, so this writes a request's items
 * with one LevelDB batch per table instead, under the same item locks (so an UpdateItem on one of them waits as
 * before), after the same checks and with the same errors (key schema, duplicate keys: nothing written). Any
 * other request, and any dynalite other than the version this was written against, takes dynalite's own path.
 */
const BATCH_WRITE_IN_ONE_LEVELDB_BATCH = `
const dynaliteRequire = createRequire(workerData.module);
if (dynaliteRequire('./package.json').version === '4.0.0') {
  const db = dynaliteRequire('./db');
  const file = dynaliteRequire.resolve('./actions/batchWriteItem');
  const perItem = dynaliteRequire(file);
  const schemaError = (error) => {
    if (error.body && /Missing the key|Type mismatch for key/.test(error.body.message))
      error.body.message = 'The provided key element does not match the schema';
    return error;
  };
  const hasIndexes = (table) =>
    (table.LocalSecondaryIndexes || []).length > 0 || (table.GlobalSecondaryIndexes || []).length > 0;
  const tableOf = (store, name) =>
    new Promise((resolve, reject) => store.getTable(name, (error, table) => (error ? reject(error) : resolve(table))));
  require.cache[file].exports = function batchWriteItem(store, data, cb) {
    if (data.ReturnConsumedCapacity !== undefined && data.ReturnConsumedCapacity !== 'NONE') {
      return perItem(store, data, cb);
    }
    const names = Object.keys(data.RequestItems);
    Promise.all(names.map((name) => tableOf(store, name))).then((tables) => {
      if (tables.some(hasIndexes)) return perItem(store, data, cb);
      const writes = [];
      for (let t = 0; t < names.length; t++) {
        const table = tables[t], seen = new Set(), keys = [], ops = [];
        for (const request of data.RequestItems[names[t]]) {
          let key;
          if (request.PutRequest) {
            const invalid = db.validateItem(request.PutRequest.Item, table);
            if (invalid != null) return cb(schemaError(invalid));
            key = db.createKey(request.PutRequest.Item, table);
            ops.push({ type: 'put', key, value: request.PutRequest.Item });
          } else if (request.DeleteRequest) {
            const invalid = db.validateKey(request.DeleteRequest.Key, table);
            if (invalid != null) return cb(schemaError(invalid));
            key = db.createKey(request.DeleteRequest.Key, table);
            ops.push({ type: 'del', key });
          }
          if (seen.has(key)) return cb(db.validationError('Provided list of item keys contains duplicates'));
          seen.add(key);
          keys.push(key);
        }
        writes.push({ itemDb: store.getItemDb(names[t]), keys, ops });
      }
      const written = writes.map(({ itemDb, keys, ops }) =>
        new Promise((resolve, reject) =>
          itemDb.lock(keys, (release) => itemDb.batch(ops, release((error) => (error ? reject(error) : resolve())))),
        ),
      );
      Promise.all(written).then(() => cb(null, { UnprocessedItems: {} }), cb);
    }, (error) => cb(schemaError(error)));
  };
}
`;

/**
 * The worker's script, plain CommonJS so that it runs the same from `src` (tests) and from `dist` (the CLI):
 * load dynalite, then, told its options, start it on a loopback port, report the port, and close it (and its
 * LevelDB store) when told. Nothing touches the disk before the options come (see `prewarmDynaliteThread`).
 */
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
${BATCH_WRITE_IN_ONE_LEVELDB_BATCH}
const dynalite = require(workerData.module);
const start = (options) => {
  const server = dynalite(options);
  server.on('error', (error) => parentPort.postMessage({ error: String(error && error.message || error) }));
  server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
  parentPort.on('message', (message) => {
    if (message !== 'close') return;
    server.close(() => parentPort.postMessage({ closed: true }));
    server.closeIdleConnections();
  });
};
parentPort.once('message', ({ options }) => {
  if (!options.path) return start(options);
  // dynalite opens its LevelDB store lazily and a failure then ends this thread: open it once first, so that
  // a corrupt or locked store is reported as such rather than as a refused connection.
  const { Level } = createRequire(workerData.module)('level');
  const store = new Level(options.path, { valueEncoding: 'json' });
  store.open().then(
    () => store.close().then(() => start(options)),
    (error) => {
      const cause = error && error.cause ? error.cause : error;
      parentPort.postMessage({ storeError: String(cause && cause.message || cause) });
    },
  );
});
`;

/** The LevelDB store under dynalite cannot be opened: corrupt, unreadable, or held by another process. */
export class DynamoStoreError extends FeedrelayError {
  readonly code = 'dynamodb_store_error';

  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`the DynamoDB store ${path} cannot be opened: ${reason}`);
    this.name = 'DynamoStoreError';
  }

  /** LevelDB's own lock: another process has the store open. */
  get locked(): boolean {
    return /\bLOCK\b.*(temporarily unavailable|already held)/i.test(this.reason);
  }
}

/** A thread loading (or done loading) dynalite, not started yet: the next `startDynaliteThread` takes it. */
let warm: { readonly worker: Worker; forget(): void } | undefined;

function newThread(): Worker {
  const module = createRequire(import.meta.url).resolve('dynalite');
  return new Worker(SCRIPT, { eval: true, workerData: { module } });
}

/**
 * Starts loading dynalite in its thread ahead of need, while this thread loads and checks what the command
 * needs: loading it takes about as long as opening the tables afterwards. The thread touches no file until
 * `startDynaliteThread` gives it the store's path, and keeps the process up only from then on; a thread that
 * failed to load is dropped, and `startDynaliteThread` starts another.
 */
export function prewarmDynaliteThread(): void {
  if (warm) return;
  const worker = newThread();
  worker.unref();
  const drop = () => {
    if (warm?.worker === worker) warm = undefined;
  };
  worker.on('error', drop);
  worker.on('exit', drop);
  warm = {
    worker,
    forget: () => {
      worker.off('error', drop);
      worker.off('exit', drop);
    },
  };
}

export interface DynaliteThread {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Runs dynalite in a worker thread: DynamoDB's work (LevelDB, request parsing) then uses the machine's second
 * core instead of competing with the handlers on the main event loop.
 */
export async function startDynaliteThread(options: Record<string, unknown>): Promise<DynaliteThread> {
  const worker = warm?.worker ?? newThread();
  warm?.forget();
  warm = undefined;
  worker.ref();
  worker.postMessage({ options });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the DynamoDB thread exited with code ${code}`)));
    worker.once('message', (message: { port?: number; error?: string; storeError?: string }) => {
      if (message.port) resolve(message.port);
      else if (message.storeError !== undefined) {
        void worker.terminate();
        reject(new DynamoStoreError(String(options.path), message.storeError));
      } else reject(new Error(`DynamoDB did not start: ${message.error}`));
    });
  });
  worker.removeAllListeners('exit');
  worker.removeAllListeners('error');
  worker.on('error', () => undefined);
  return {
    port,
    async close() {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        worker.on('message', (message: { closed?: boolean }) => {
          if (message.closed) {
            clearTimeout(timer);
            resolve();
          }
        });
        worker.postMessage('close');
      });
      await worker.terminate();
    },
  };
}
