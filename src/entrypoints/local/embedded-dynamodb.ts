import { mkdir } from 'node:fs/promises';
import type { AwsCredentialIdentity, HttpAuthScheme, HttpRequest } from '@smithy/types';
import { join } from 'node:path';
import { DataDirBusyError, DataDirUnusableError, fileSystemReason } from './data-dir-lock.js';
import { DynamoStoreError, startDynaliteThread, type DynaliteThread } from './dynalite-thread.js';

/*
 * The DynamoDB half of the embedded stack, on its own: commands that only read and write the tables (feeds,
 * subscriptions) start this and nothing else (no SQS server, no queues, no runtime).
 */

/** Local visibility time-out: failed or crashed messages come back after this long (AWS: 6 × function time-out). */
export const LOCAL_VISIBILITY_TIMEOUT_SECONDS = 10;
/** Attempts per AWS request on the embedded stack: enough for injected faults (`aws=0.1`) to be ridden out. */
export const LOCAL_MAX_ATTEMPTS = 8;

/** The settings of every SDK client that talks to the embedded stack (`endpoint` aside). */
export function localClientConfig(maxAttempts: number = LOCAL_MAX_ATTEMPTS) {
  return {
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    maxAttempts,
    retryMode: 'standard' as const,
    requestHandler: { httpAgent: { maxSockets: 256 } },
    httpAuthSchemes: [LOCAL_AUTH_SCHEME],
  };
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Requests to the embedded stack are not signed: dynalite and fauxqs check that an `Authorization` header is
 * there, never what it says, and Signature Version 4 (hashing every payload, a chain of HMACs) took about 40 %
 * of the SDK's CPU per request. The header names the local credentials, with no signature.
 */
const LOCAL_AUTH_SCHEME: HttpAuthScheme = {
  schemeId: 'aws.auth#sigv4',
  identityProvider: () => async (): Promise<AwsCredentialIdentity> => LOCAL_CREDENTIALS,
  signer: {
    async sign(request: HttpRequest): Promise<HttpRequest> {
      request.headers['authorization'] =
        `AWS4-HMAC-SHA256 Credential=${LOCAL_CREDENTIALS.accessKeyId}/20260101/us-east-1/local/aws4_request, SignedHeaders=host, Signature=unsigned`;
      request.headers['x-amz-date'] = '20260101T000000Z';
      return request;
    },
  },
};

/**
 * Starts dynalite on a loopback port, its tables in `<dataDir>/dynamodb` (in memory without a data directory).
 * A store that cannot be created or opened is the data directory's problem, and said so.
 */
export async function startEmbeddedDynamoDb(dataDir?: string): Promise<DynaliteThread> {
  const path = dataDir === undefined ? undefined : join(dataDir, 'dynamodb');
  if (path !== undefined) {
    await mkdir(path, { recursive: true }).catch((error: unknown) => {
      throw new DataDirUnusableError(dataDir!, fileSystemReason(error, path), { cause: error });
    });
  }
  try {
    return await startDynaliteThread({
      ...(path ? { path } : {}),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
  } catch (error) {
    if (!(error instanceof DynamoStoreError) || dataDir === undefined) throw error;
    if (error.locked) throw new DataDirBusyError(dataDir, `another process (LevelDB's lock on ${path})`);
    throw new DataDirUnusableError(
      dataDir,
      `its DynamoDB store ${path} cannot be opened (${error.reason}); move that directory aside to start with empty tables`,
      { cause: error },
    );
  }
}
