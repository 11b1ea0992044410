import { createHash, timingSafeEqual } from 'node:crypto';
import { errorResponse, type ApiRequest, type ApiResponse } from './api-http.js';
import { ApiError } from './errors.js';
import { isJsonMediaType } from './request-input.js';

/**
 * Who may use the management API `serve` runs on loopback: a client that names the loopback address it listens
 * on (`Host`), comes from no other web origin (`Origin`), and shows the bearer token. A web page open in the
 * user's browser can do none of these: its cross-site requests carry its own `Origin`, a DNS-rebound name
 * carries a foreign `Host`, and it does not know the token.
 */
export interface LocalAccess {
  readonly token: string;
  /** The port `serve` listens on (127.0.0.1). */
  readonly port: number;
}

/** What refuses the request, as an answer (401, 403, 415), or undefined when it may go on to the routes. */
export function localAccessRefusal(request: ApiRequest, access: LocalAccess): ApiResponse | undefined {
  const hosts = [`127.0.0.1:${access.port}`, `localhost:${access.port}`];
  const host = request.headers.host?.toLowerCase();
  if (host === undefined || !hosts.includes(host)) {
    return refuse(403, 'forbidden_host', `the Host header must name this server (${hosts.join(' or ')})`);
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !hosts.some((h) => origin.toLowerCase() === `http://${h}`)) {
    return refuse(403, 'forbidden_origin', 'requests from other web origins are refused');
  }
  if (!bearerMatches(request.headers.authorization, access.token)) {
    return errorResponse(
      new ApiError(401, 'unauthorized', 'every route requires "Authorization: Bearer <token>" (see api-token)', {
        'www-authenticate': 'Bearer realm="feedrelay"',
      }),
    );
  }
  // A body that is not JSON is refused on every route, whether or not the route reads one.
  const type = request.headers['content-type'];
  if ((type !== undefined || request.body.byteLength > 0) && (type === undefined || !isJsonMediaType(type))) {
    return refuse(415, 'unsupported_media_type', 'request bodies must be application/json');
  }
  return undefined;
}

function refuse(status: number, code: string, message: string): ApiResponse {
  return errorResponse(new ApiError(status, code, message));
}

/** Compares the presented token with the expected one in constant time (over their SHA-256 digests). */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const presented = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? '';
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(token)) && presented.length > 0;
}
