import type { Logger } from 'pino';
import type { ApiRequest, ApiResponse } from './api-http.js';
import { ApiError } from './errors.js';

/** What a route's handler is given: the request, its path parameters (decoded) and whatever the API binds. */
export interface RouteContext<S> {
  readonly request: ApiRequest;
  readonly params: Readonly<Record<string, string>>;
  readonly services: S;
  readonly logger: Logger;
}

/**
 * One route: a method, a path template whose `{name}` segments are parameters, and its handler. A route table
 * is a list of these; adding a route is adding one entry.
 */
export interface Route<S> {
  readonly method: string;
  readonly path: string;
  readonly handle: (context: RouteContext<S>) => Promise<ApiResponse>;
}

interface CompiledRoute<S> extends Route<S> {
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

/** A parameter is one path segment: an id, never a slash. */
const SEGMENT = '([^/]+)';

/**
 * Finds the route of a request. A path no route has is 404; a path some route has, with another method, is
 * 405 with the methods it does have in `Allow`. Percent-encoded parameters are decoded; one that does not
 * decode names nothing, so it is 404.
 */
export class Router<S> {
  private readonly routes: readonly CompiledRoute<S>[];

  constructor(routes: readonly Route<S>[]) {
    this.routes = routes.map((route) => {
      const names: string[] = [];
      const source = route.path
        .split('/')
        .map((part) => {
          const name = /^\{(\w+)\}$/.exec(part)?.[1];
          if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(name);
          return SEGMENT;
        })
        .join('/');
      return { ...route, pattern: new RegExp(`^${source}$`), names };
    });
  }

  match(request: ApiRequest): { route: Route<S>; params: Record<string, string> } {
    const allowed: string[] = [];
    for (const route of this.routes) {
      const found = route.pattern.exec(request.path);
      if (!found) continue;
      if (route.method !== request.method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      for (const [index, name] of route.names.entries()) {
        try {
          params[name] = decodeURIComponent(found[index + 1]!);
        } catch {
          throw notFound(request);
        }
      }
      return { route, params };
    }
    if (allowed.length > 0) {
      const allow = [...new Set(allowed)].join(', ');
      throw new ApiError(
        405,
        'method_not_allowed',
        `${request.method} is not allowed on ${request.path}; allowed: ${allow}`,
        {
          allow,
        },
      );
    }
    throw notFound(request);
  }
}

function notFound(request: ApiRequest): ApiError {
  return new ApiError(404, 'not_found', `no route ${request.method} ${request.path.slice(0, 200)}`);
}
