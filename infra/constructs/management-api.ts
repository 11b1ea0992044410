import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface ManagementApiProps {
  /** The function that serves every route (`src/entrypoints/lambda/api.ts`). */
  readonly handler: IFunction;
  /** How long access logs are kept. Default one month. */
  readonly logRetention?: RetentionDays;
  /** Requests per second the stage lets through (steady, burst). Default 20 and 40: an operator's API. */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

/** What each access log line holds (HTTP API `$context` variables): who called what, and how it went. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  caller: '$context.identity.caller',
  userArn: '$context.identity.userArn',
  sourceIp: '$context.identity.sourceIp',
  method: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
};

/**
 * The management API in AWS: an API Gateway HTTP API whose every route requires IAM authorization (SigV4,
 * service `execute-api`), all of them proxied to one function that routes itself (so that an unknown route or
 * a wrong method gets the API's own 404 and 405), on the `$default` stage with JSON access logs and throttling.
 */
export class ManagementApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: ManagementApiProps) {
    super(scope, id);
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'feedrelay management API: feeds, subscriptions and runs (IAM-authorized)',
      createDefaultStage: false,
      defaultAuthorizer: new HttpIamAuthorizer(),
    });
    const integration = new HttpLambdaIntegration('Handler', props.handler);
    Validations.of(props.handler).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'invoked synchronously by API Gateway: a failure is the caller’s answer (a 5xx), there is no event to keep for a retry',
    });
    this.httpApi.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration });
    this.httpApi.addRoutes({ path: '/', methods: [HttpMethod.ANY], integration });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const throttle = props.throttle ?? { rateLimit: 20, burstLimit: 40 };
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
  }

  /** The API's base URL (`https://<id>.execute-api.<region>.amazonaws.com/`). */
  get url(): string {
    return this.stage.url;
  }
}
