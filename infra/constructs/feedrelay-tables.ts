import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLES, type TableDefinition, type TableName } from '../../src/adapters/aws-resources.js';

/** The DynamoDB data-plane actions feedrelay's adapters call (the document client's commands). */
export type DynamoDbAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'Scan'
  | 'DescribeTable'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem';

/**
 * What a function may do with a table: exactly the actions listed (what its composition calls), or one of the
 * broad sets `read` (Get, Query, Scan), `write` (Put, Update, Delete) or both.
 */
export type TableAccess = 'read' | 'write' | 'read-write' | readonly DynamoDbAction[];

/** The tables whose items are the user's data: kept (and protected from deletion) when the stack goes. */
const USER_DATA: ReadonlySet<TableName> = new Set<TableName>(['feeds', 'subscriptions', 'articles']);

/**
 * One table of `TABLES`, named prefix + logical name (as the adapters expect): on-demand, point-in-time
 * recovery, the key schema and TTL attribute of its definition. Tables holding user data are retained and
 * deletion-protected; the run records and step ledger, which expire by TTL anyway, go with the stack.
 */
export class RelayTable extends Table {
  readonly key: TableName;
  readonly definition: TableDefinition;
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: { readonly key: TableName; readonly prefix: string }) {
    const { key, prefix } = props;
    const definition: TableDefinition = TABLES[key];
    const retained = USER_DATA.has(key);
    super(scope, id, {
      tableName: `${prefix}${definition.name}`,
      partitionKey: { name: definition.partitionKey, type: AttributeType.STRING },
      ...(definition.sortKey !== undefined
        ? { sortKey: { name: definition.sortKey, type: AttributeType.STRING } }
        : {}),
      ...(definition.timeToLiveAttribute !== undefined ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: retained ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      deletionProtection: retained,
    });
    this.key = key;
    this.definition = definition;
    this.prefix = prefix;
  }

  /** Grants exactly the data-plane actions `access` names, on this table alone (it has no index). */
  grantAccess(grantee: IGrantable, access: TableAccess): Grant {
    if (typeof access !== 'string') {
      if (access.length === 0) throw new Error(`${this.node.path}: a grant names at least one action`);
      return Grant.addToPrincipal({
        grantee,
        actions: [...new Set(access)].sort().map((action) => `dynamodb:${action}`),
        resourceArns: [this.tableArn],
      });
    }
    switch (access) {
      case 'read':
        return this.grantReadData(grantee);
      case 'write':
        return this.grantWriteData(grantee);
      case 'read-write':
        return this.grantReadWriteData(grantee);
    }
  }
}

/**
 * Every table of `TABLES`, one `RelayTable` each, reachable by its logical name. Their names share a prefix,
 * by default the stack name and a dash (`FeedRelay-feeds`).
 */
export class FeedRelayTables extends Construct {
  readonly prefix: string;
  private readonly tables: Readonly<Record<TableName, RelayTable>>;

  constructor(scope: Construct, id: string, props: { readonly prefix?: string } = {}) {
    super(scope, id);
    this.prefix = props.prefix ?? `${Stack.of(this).stackName}-`;
    const tables = {} as Record<TableName, RelayTable>;
    for (const key of Object.keys(TABLES) as TableName[]) {
      tables[key] = new RelayTable(this, pascalCase(key), { key, prefix: this.prefix });
    }
    this.tables = tables;
  }

  table(key: TableName): RelayTable {
    return this.tables[key];
  }

  all(): RelayTable[] {
    return Object.values(this.tables);
  }
}

export const pascalCase = (name: string): string =>
  name.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, _sep: string, letter: string) => letter.toUpperCase());
