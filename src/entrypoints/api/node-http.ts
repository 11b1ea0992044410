import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { bodyTooLarge, MAX_BODY_BYTES, parseQueryString, type ApiRequest, type ApiResponse } from './api-http.js';

/**
 * Serves a management API handler from Node's HTTP server: reads the request (a body larger than 1 MiB is
 * answered 413 as soon as that is known, from `Content-Length` or while reading, and not read further), hands
 * it over as an `ApiRequest` and writes the answer.
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

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  handle: (request: ApiRequest) => Promise<ApiResponse>,
): Promise<void> {
  const declared = Number(request.headers['content-length'] ?? 0);
  const body = declared > MAX_BODY_BYTES ? undefined : await readBody(request);
  if (body === undefined) {
    // The rest of the body is not read: the connection closes once the answer is out.
    write(response, bodyTooLarge(), { connection: 'close' });
    response.on('finish', () => request.destroy());
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

/** The body, or undefined as soon as it is larger than `MAX_BODY_BYTES`. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
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
