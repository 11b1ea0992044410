/**
 * Where subscribers' own sinks may be, as the deployer allows them (CDK context `sinkTargets`): ARN patterns
 * of SQS queues the deliver function may send to. None by default: an SQS subscription is then refused by IAM
 * (AccessDenied: its deliveries are rejected) until its queue matches a pattern here. The queue's own policy
 * (or, across accounts, its resource policy) must allow the deliver function's role too.
 */
export interface SinkTargets {
  /** e.g. `arn:aws:sqs:eu-west-1:123456789012:feedrelay-*`. `*` and `?` are IAM wildcards within a part. */
  readonly sqsQueueArns: readonly string[];
}

export const NO_SINK_TARGETS: SinkTargets = { sqsQueueArns: [] };

/** An SQS queue ARN (pattern): partition, service, region, account and name each spelled out or wildcarded. */
const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9*?-]+:(\d{12}|[\d*?]+):[A-Za-z0-9_*?.-]{1,80}$/;

/**
 * Reads the `sinkTargets` context, `{"sqsQueueArns": [ARN…]}` (a JSON string on the command line), and checks
 * every ARN: a pattern that would allow any queue of any account (`*`, a wildcard account and name) is refused.
 */
export function parseSinkTargets(context: unknown): SinkTargets {
  if (context === undefined) return NO_SINK_TARGETS;
  let value = context;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new Error(`context sinkTargets must be JSON like {"sqsQueueArns": ["arn:aws:sqs:…"]}, got ${value}`);
    }
  }
  const record = value as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('context sinkTargets must be an object like {"sqsQueueArns": ["arn:aws:sqs:…"]}');
  }
  const unknown = Object.keys(record).find((key) => key !== 'sqsQueueArns');
  if (unknown !== undefined)
    throw new Error(`context sinkTargets has an unknown field "${unknown}" (known: sqsQueueArns)`);
  const arns = record.sqsQueueArns ?? [];
  if (!Array.isArray(arns) || !arns.every((arn) => typeof arn === 'string')) {
    throw new Error('context sinkTargets.sqsQueueArns must be a list of SQS queue ARNs');
  }
  for (const arn of arns as string[]) {
    if (!SQS_ARN.test(arn)) {
      throw new Error(
        `context sinkTargets.sqsQueueArns: ${JSON.stringify(arn)} is not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)`,
      );
    }
    const [, , , , account, name] = arn.split(':');
    if (/^[*?]+$/.test(account!) && /^[*?]+$/.test(name!)) {
      throw new Error(
        `context sinkTargets.sqsQueueArns: ${JSON.stringify(arn)} would allow every queue of every account`,
      );
    }
  }
  return { sqsQueueArns: arns as string[] };
}
