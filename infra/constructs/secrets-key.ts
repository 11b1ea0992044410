import { RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { KEY_RING, SECRETS_KEY } from '../../src/adapters/aws-resources.js';
import type { RelayTable } from './feedrelay-tables.js';

/** What a function does with webhook secrets: seal new ones (subscribe, rotate) or open them (deliver). */
export type SecretsAccess = 'seal' | 'open';

/**
 * The KMS key that seals webhook signing secrets (envelope encryption: `KmsSecretCipher`). A customer managed
 * symmetric key with yearly rotation, kept when the stack goes (as the subscriptions table is: without the key
 * its secrets are lost). Grants go to the functions that seal or open, each for its one action, and only under
 * the encryption context feedrelay uses, so the key cannot be put to another use through them.
 *
 * With it the keyring (`KEY_RING`): the encrypted data keys, once each, in one partition of `keyRing` (the
 * subscriptions table). A sealer may put an item there, an opener get one, and neither anything else through
 * this grant.
 */
export class SecretsKey extends Construct {
  readonly key: Key;
  readonly keyRing: RelayTable;

  constructor(scope: Construct, id: string, props: { readonly keyRing: RelayTable }) {
    super(scope, id);
    if (props.keyRing.key !== KEY_RING.table) {
      throw new Error(`the keyring lives in the ${KEY_RING.table} table, not ${props.keyRing.key}`);
    }
    this.keyRing = props.keyRing;
    this.key = new Key(this, 'Key', {
      description: 'feedrelay: seals webhook signing secrets (envelope encryption of the subscriptions table)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * `seal`: kms:GenerateDataKey, and PutItem in the keyring (a new data key is kept there before it seals);
   * `open`: kms:Decrypt, and GetItem in the keyring. KMS only on this key and under feedrelay's encryption
   * context; DynamoDB only on the keyring's partition (`dynamodb:LeadingKeys`).
   */
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
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [access === 'seal' ? 'dynamodb:PutItem' : 'dynamodb:GetItem'],
        resources: [this.keyRing.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [KEY_RING.partition] } },
      }),
    );
  }
}
