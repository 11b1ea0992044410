import { Sha256Node } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Provider } from '@smithy/types';
import { ManagementApiError } from './errors.js';
import type { ApiRequest, RequestSigner } from './request-signers.js';

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
