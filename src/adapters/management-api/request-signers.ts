import { Sha256Node } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Provider } from '@smithy/types';
import { ManagementApiError } from './errors.js';

/** One request to the management API, as it will be sent. */
export interface ApiRequest {
  readonly method: string;
  readonly url: URL;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * How a request proves who sends it: a bearer token for `feedrelay serve`, SigV4 for API Gateway with IAM
 * authorization. Returns the headers to send (the request's own plus the proof).
 */
export interface RequestSigner {
  /** Says which credentials are used, for a refusal's message ("bearer token from …"). */
  readonly description: string;
  sign(request: ApiRequest): Promise<Record<string, string>>;
}

/** `Authorization: Bearer <token>`, as `feedrelay serve` requires. */
export class BearerTokenSigner implements RequestSigner {
  constructor(
    private readonly token: string,
    readonly description: string,
  ) {}

  async sign(request: ApiRequest): Promise<Record<string, string>> {
    return { ...request.headers, authorization: `Bearer ${this.token}` };
  }
}

export interface SigV4Options {
  readonly region: string;
  /** Where the credentials come from: the default provider chain in the CLI, fixed ones in tests. */
  readonly credentials: AwsCredentialIdentity | Provider<AwsCredentialIdentity>;
  /** The signing time; the system clock unless given. */
  readonly now?: () => Date;
  readonly description?: string;
}

/**
 * AWS Signature Version 4 for API Gateway (`execute-api`), over method, path, query, the `host` and
 * `content-type` headers and the body's SHA-256. A credential provider that finds nothing is a
 * `no_credentials` error naming where credentials may come from.
 */
export class SigV4RequestSigner implements RequestSigner {
  readonly description: string;
  private readonly signer: SignatureV4;
  private readonly now: () => Date;

  constructor(options: SigV4Options) {
    const { credentials } = options;
    this.signer = new SignatureV4({
      service: 'execute-api',
      region: options.region,
      sha256: Sha256Node,
      credentials:
        typeof credentials === 'function'
          ? async () => {
              try {
                return await credentials();
              } catch (cause) {
                throw new ManagementApiError(
                  'no_credentials',
                  'no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ' +
                    `or sign in with "aws sso login" (${(cause as Error).message})`,
                  undefined,
                  { cause },
                );
              }
            }
          : credentials,
    });
    this.now = options.now ?? (() => new Date());
    this.description = options.description ?? `AWS credentials (SigV4, ${options.region})`;
  }

  async sign(request: ApiRequest): Promise<Record<string, string>> {
    const { url } = request;
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of url.searchParams) {
      const seen = query[key];
      query[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
    }
    const signed = await this.signer.sign(
      {
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers: { ...request.headers, host: url.host },
        ...(request.body !== undefined ? { body: request.body } : {}),
      },
      { signingDate: this.now() },
    );
    return signed.headers;
  }
}
