import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** A server on 127.0.0.1 with an ephemeral port that knows which of its connections are still open. */
export interface TestServer {
  readonly url: string;
  readonly port: number;
  /** Server-side connections not yet closed. */
  openConnections(): number;
  /** Resolves once every connection has closed, or rejects after `withinMs`. */
  allConnectionsClosed(withinMs?: number): Promise<void>;
  close(): Promise<void>;
}

function track(server: net.Server): { sockets: Set<net.Socket>; waiters: Set<() => void> } {
  const sockets = new Set<net.Socket>();
  const waiters = new Set<() => void>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) for (const wake of waiters) wake();
    });
  });
  return { sockets, waiters };
}

async function listen(server: net.Server): Promise<TestServer> {
  const { sockets, waiters } = track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    openConnections: () => sockets.size,
    allConnectionsClosed: (withinMs = 2000) =>
      new Promise<void>((resolve, reject) => {
        if (sockets.size === 0) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`${sockets.size} connection(s) still open after ${withinMs} ms`));
        }, withinMs);
        const wake = (): void => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP server answering every request with `handler`. */
export function startHttpServer(handler: http.RequestListener): Promise<TestServer> {
  return listen(http.createServer(handler));
}

/** A TCP server that accepts connections, reads what it is sent and never says a word. */
export function startSilentServer(): Promise<TestServer> {
  return listen(net.createServer((socket) => socket.resume()));
}

/** A port on 127.0.0.1 nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
