import { describe, expect, it } from '@jest/globals';
import type { DescribeStacksCommandInput, DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import {
  CloudFormationApiUrl,
  type StackDescriber,
} from '../../../src/adapters/management-api/cloudformation-api-url.js';

/** A CloudFormation that knows some stacks by name, as DescribeStacks answers for them. */
class FakeCloudFormation implements StackDescriber {
  readonly asked: string[] = [];

  constructor(
    private readonly stacks: Record<string, { OutputKey: string; OutputValue: string }[]>,
    private readonly failure?: Error,
  ) {}

  async describeStacks(input: DescribeStacksCommandInput): Promise<DescribeStacksCommandOutput> {
    this.asked.push(input.StackName ?? '');
    if (this.failure) throw this.failure;
    const outputs = this.stacks[input.StackName ?? ''];
    if (!outputs) {
      throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), { name: 'ValidationError' });
    }
    return {
      $metadata: {},
      Stacks: [
        {
          StackName: input.StackName,
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(0),
          Outputs: outputs,
        },
      ],
    };
  }
}

const DEPLOYED = {
  'feedrelay-prod': [
    { OutputKey: 'EventBusName', OutputValue: 'feedrelay' },
    { OutputKey: 'ApiUrl', OutputValue: 'https://abc123.execute-api.eu-west-1.amazonaws.com/' },
  ],
  'feedrelay-old': [{ OutputKey: 'EventBusName', OutputValue: 'feedrelay' }],
};

describe('CloudFormationApiUrl', () => {
  it("finds the management API at the stack's ApiUrl output", async () => {
    const cloudFormation = new FakeCloudFormation(DEPLOYED);

    const url = await new CloudFormationApiUrl(cloudFormation).of('feedrelay-prod');

    expect(url.href).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/');
    expect(cloudFormation.asked).toEqual(['feedrelay-prod']);
  });

  it('says so, listing the outputs it has, when the stack has no ApiUrl output', async () => {
    const lookup = new CloudFormationApiUrl(new FakeCloudFormation(DEPLOYED)).of('feedrelay-old');

    await expect(lookup).rejects.toMatchObject({
      code: 'no_api_url',
      message:
        'stack feedrelay-old has no ApiUrl output (it has EventBusName): deploy a feedrelay version with the management API',
    });
  });

  it('is stack_not_found, naming the stack, when there is no such stack', async () => {
    const lookup = new CloudFormationApiUrl(new FakeCloudFormation(DEPLOYED)).of('nope');

    await expect(lookup).rejects.toMatchObject({ code: 'stack_not_found' });
    await expect(lookup).rejects.toThrow(/^stack nope does not exist/);
  });

  it('is no_credentials when the default chain finds no credentials', async () => {
    const missing = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });

    const lookup = new CloudFormationApiUrl(new FakeCloudFormation(DEPLOYED, missing)).of('feedrelay-prod');

    await expect(lookup).rejects.toMatchObject({ code: 'no_credentials' });
    await expect(lookup).rejects.toThrow(/AWS_PROFILE/);
  });

  it('is aws_error with the service error otherwise', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });

    const lookup = new CloudFormationApiUrl(new FakeCloudFormation(DEPLOYED, throttled)).of('feedrelay-prod');

    await expect(lookup).rejects.toMatchObject({
      code: 'aws_error',
      message: 'cannot describe stack feedrelay-prod: Throttling: Rate exceeded',
    });
  });

  it('refuses an ApiUrl output that is not a URL', async () => {
    const lookup = new CloudFormationApiUrl(
      new FakeCloudFormation({ odd: [{ OutputKey: 'ApiUrl', OutputValue: 'not a url' }] }),
    ).of('odd');

    await expect(lookup).rejects.toMatchObject({
      code: 'no_api_url',
      message: 'stack odd: ApiUrl is not a URL: "not a url"',
    });
  });
});
