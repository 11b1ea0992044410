import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { bodyTooLarge, MAX_BODY_BYTES, parseQueryString, type ApiRequest, type ApiResponse } from './api-http.js';

/**
 * Serves a management API handler from Node's HTTP server: reads the request (a body larger than 1 MiB, known
 * from `Content-Length` or while reading, is answered 413 and no more of it is kept),
 * hands it over as an `ApiRequest` and writes the answer.
 */
export function nodeRequestListener(
  handle: (request: ApiRequest) => Promise<ApiResponse>,
  logger: Logger,
): RequestListener {
  return (request, response) => {
    void serve(request, response, handle).catch((error: unknown) => {
      logger.error({ err: error }, 'management API connection failed');
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
  };
}

/** What is discarded of a too-large body before the connection is cut. */
const MAX_DISCARDED_BYTES = 4 * MAX_BODY_BYTES;

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  handle: (request: ApiRequest) => Promise<ApiResponse>,
): Promise<void> {
  const declared = Number(request.headers['content-length'] ?? 0);
  const body = declared > MAX_BODY_BYTES ? undefined : await readBody(request);
  if (body === undefined) {
    // Nothing more is kept. What the client is still sending is read and discarded first, up to a bound, so
    // that it has written its request when the answer comes (a client still writing into a closed connection
    // may never read it); past the bound, the answer goes at once and the connection is cut.
    let discarded = 0;
    let answered = false;
    const answer = () => {
      if (answered) return;
      answered = true;
      write(response, bodyTooLarge(), { connection: 'close' });
    };
    request.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded <= MAX_DISCARDED_BYTES) return;
      answer();
      response.once('finish', () => request.destroy());
    });
    request.once('end', answer);
    request.resume();
    return;
  }
  const target = request.url ?? '/';
  const query = target.indexOf('?');
  write(
    response,
    await handle({
      method: request.method ?? 'GET',
      path: query < 0 ? target : target.slice(0, query),
      query: parseQueryString(query < 0 ? '' : target.slice(query + 1)),
      headers: headersOf(request),
      body,
    }),
  );
}

/** The body, or undefined as soon as it is larger than `MAX_BODY_BYTES` (the stream is left open, paused). */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      request.off('data', onData).off('end', onEnd).off('error', reject);
      request.pause();
      resolve(undefined);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    request.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

function headersOf(request: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function write(response: ServerResponse, answer: ApiResponse, extra: Record<string, string> = {}): void {
  response.writeHead(answer.status, { ...answer.headers, ...extra }).end(answer.body);
}
