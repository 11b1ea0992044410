import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ServiceIdentifier } from 'inversify';
import type { TableNames } from './dynamodb-tables.js';

/** The physical table names the DynamoDB adapters write to. */
export const DYNAMODB_TABLE_NAMES = Symbol.for('DynamoDbTableNames') as ServiceIdentifier<TableNames>;

/** The one document client every DynamoDB adapter sends through (see `createDocumentClient`). */
export const DYNAMODB_DOCUMENT_CLIENT = Symbol.for(
  'DynamoDbDocumentClient',
) as ServiceIdentifier<DynamoDBDocumentClient>;

/** How long items are kept before DynamoDB's TTL (or the embedded stack's sweep) removes them. */
export interface Retention {
  readonly articleSeconds: number;
  readonly runSeconds: number;
}

export const DEFAULT_RETENTION: Retention = {
  articleSeconds: 90 * 24 * 60 * 60,
  runSeconds: 30 * 24 * 60 * 60,
};

export const DYNAMODB_RETENTION = Symbol.for('DynamoDbRetention') as ServiceIdentifier<Retention>;
