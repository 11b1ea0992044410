import {
  DescribeStacksCommand,
  type CloudFormationClient,
  type DescribeStacksCommandInput,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { ManagementApiError } from './errors.js';

/** The one CloudFormation call the lookup makes; a `CloudFormationClient` fits, and so does a test's fake. */
export interface StackDescriber {
  describeStacks(input: DescribeStacksCommandInput): Promise<DescribeStacksCommandOutput>;
}

/** The SDK's client as a `StackDescriber`. */
export const sdkStackDescriber = (client: CloudFormationClient): StackDescriber => ({
  describeStacks: (input) => client.send(new DescribeStacksCommand(input)),
});

/** The stack output that holds the management API's URL. */
export const API_URL_OUTPUT = 'ApiUrl';

/**
 * Finds a deployed feedrelay stack's management API: the `ApiUrl` output of `DescribeStacks`. A stack that
 * does not exist, one without that output (deployed before the API existed), and missing credentials are
 * `ManagementApiError`s that say so.
 */
export class CloudFormationApiUrl {
  constructor(private readonly cloudFormation: StackDescriber) {}

  async of(stackName: string): Promise<URL> {
    let output: DescribeStacksCommandOutput;
    try {
      output = await this.cloudFormation.describeStacks({ StackName: stackName });
    } catch (error) {
      throw describeFailure(stackName, error);
    }
    const stack = output.Stacks?.[0];
    if (!stack) throw new ManagementApiError('stack_not_found', `stack ${stackName} does not exist`);
    const value = stack.Outputs?.find((o) => o.OutputKey === API_URL_OUTPUT)?.OutputValue;
    if (!value) {
      const names = (stack.Outputs ?? []).map((o) => o.OutputKey).filter(Boolean);
      throw new ManagementApiError(
        'no_api_url',
        `stack ${stackName} has no ${API_URL_OUTPUT} output (it has ${names.length ? names.join(', ') : 'none'}): ` +
          'deploy a feedrelay version with the management API',
      );
    }
    try {
      return new URL(value);
    } catch (cause) {
      throw new ManagementApiError(
        'no_api_url',
        `stack ${stackName}: ${API_URL_OUTPUT} is not a URL: ${JSON.stringify(value)}`,
        undefined,
        { cause },
      );
    }
  }
}

function describeFailure(stackName: string, error: unknown): ManagementApiError {
  if (error instanceof ManagementApiError) return error;
  const { name, message } = error as { name?: string; message?: string };
  if (name === 'ValidationError' && /does not exist/i.test(message ?? '')) {
    return new ManagementApiError('stack_not_found', `stack ${stackName} does not exist (${message})`, undefined, {
      cause: error,
    });
  }
  if (name === 'CredentialsProviderError') {
    return new ManagementApiError(
      'no_credentials',
      'no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ' +
        `or sign in with "aws sso login" (${message})`,
      undefined,
      { cause: error },
    );
  }
  if (name === 'TimeoutError' || name === 'RequestTimeout') {
    return new ManagementApiError('timeout', `CloudFormation did not answer in time (${message})`, undefined, {
      cause: error,
    });
  }
  return new ManagementApiError(
    'aws_error',
    `cannot describe stack ${stackName}: ${name ?? 'Error'}: ${message ?? String(error)}`,
    undefined,
    { cause: error },
  );
}
