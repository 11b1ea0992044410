import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { CloudFormationApiUrl, sdkStackDescriber } from '../../../adapters/management-api/cloudformation-api-url.js';
import { ManagementApiError } from '../../../adapters/management-api/errors.js';
import type { RequestSigner } from '../../../adapters/management-api/request-signers.js';
import { SigV4RequestSigner } from '../../../adapters/management-api/sigv4-request-signer.js';

/**
 * A deployed stack's management API: its URL from the stack's `ApiUrl` output, and a SigV4 signer for the
 * stack's region with the default credential chain (environment, shared config and SSO, container and
 * instance roles) — the same credentials `aws cloudformation describe-stacks` would use.
 */
export async function stackApi(
  stack: string,
  region: string | undefined,
  timeoutMs: number,
): Promise<{ url: URL; signer: RequestSigner }> {
  const credentials = defaultProvider();
  const cloudFormation = new CloudFormationClient({
    ...(region ? { region } : {}),
    credentials,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: Math.min(timeoutMs, 5000), requestTimeout: timeoutMs },
  });
  try {
    let resolved: string;
    try {
      resolved = await cloudFormation.config.region();
    } catch (cause) {
      throw new ManagementApiError(
        'no_region',
        '--target aws: no AWS region: pass --region, or set AWS_REGION (or a region in the AWS profile)',
        undefined,
        { cause },
      );
    }
    const url = await new CloudFormationApiUrl(sdkStackDescriber(cloudFormation)).of(stack);
    return {
      url,
      signer: new SigV4RequestSigner({
        region: resolved,
        credentials,
        description: `AWS credentials for ${resolved} (SigV4)`,
      }),
    };
  } finally {
    cloudFormation.destroy();
  }
}
