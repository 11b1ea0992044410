import { RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { SECRETS_KEY } from '../../src/adapters/aws-resources.js';

/** What a function does with webhook secrets: seal new ones (subscribe, rotate) or open them (deliver). */
export type SecretsAccess = 'seal' | 'open';

/**
 * The KMS key that seals webhook signing secrets (envelope encryption: `KmsSecretCipher`). A customer managed
 * symmetric key with yearly rotation, kept when the stack goes (as the subscriptions table is: without the key
 * its secrets are lost). Grants go to the functions that seal or open, each for its one action, and only under
 * the encryption context feedrelay uses, so the key cannot be put to another use through them.
 */
export class SecretsKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'feedrelay: seals webhook signing secrets (envelope encryption of the subscriptions table)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** `seal`: kms:GenerateDataKey; `open`: kms:Decrypt; both on this key and under feedrelay's encryption context. */
  grant(grantee: IGrantable, access: SecretsAccess): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [access === 'seal' ? 'kms:GenerateDataKey' : 'kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: Object.fromEntries(
            Object.entries(SECRETS_KEY.encryptionContext).map(([k, v]) => [`kms:EncryptionContext:${k}`, v]),
          ),
        },
      }),
    );
  }
}
