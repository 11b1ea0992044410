import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { FeedrelayError } from '../../domain/errors.js';

/**
 * The worker's script, plain CommonJS so that it runs the same from `src` (tests) and from `dist` (the CLI):
 * load dynalite, then, told its options, start it on a loopback port, report the port, and close it (and its
 * LevelDB store) when told. Nothing touches the disk before the options come (see `prewarmDynaliteThread`).
 */
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
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
