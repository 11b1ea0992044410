import { Aspects, Validations, type IAspect } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';

export interface OperatorAlertsProps {
  /** Subscribed by e-mail to the topic when given (the address confirms the subscription once). */
  readonly email?: string;
}

/**
 * The operators' SNS topic: every alarm of the stack, wherever it is defined, notifies it when it goes into
 * alarm and when it is OK again (an aspect adds the actions at synthesis).
 */
export class OperatorAlerts extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: OperatorAlertsProps = {}) {
    super(scope, id);
    if (props.email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.email)) {
      throw new Error(`alarmEmail must be an e-mail address, got ${JSON.stringify(props.email)}`);
    }
    this.topic = new Topic(this, 'Topic', { displayName: 'feedrelay alarms', enforceSSL: true });
    if (props.email !== undefined) {
      const subscription = this.topic.addSubscription(new EmailSubscription(props.email));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'an alarm e-mail that cannot be delivered loses nothing: the alarm and its history stay in CloudWatch and on the dashboard',
      });
    }
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'alarm notifications carry only alarm names and states; CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key for this alone is not warranted',
    });
    Aspects.of(scope).add(new NotifyOnAlarm(new SnsAction(this.topic)));
  }
}

/** Adds the action to every alarm it visits, for ALARM and for OK. */
class NotifyOnAlarm implements IAspect {
  constructor(private readonly action: SnsAction) {}

  visit(node: IConstruct): void {
    if (node instanceof Alarm) {
      node.addAlarmAction(this.action);
      node.addOkAction(this.action);
    }
  }
}
