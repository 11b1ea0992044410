import { MessageTooLargeError } from './errors.js';

/*
 * Batching by count and size, without the SDK: the EventBridge publisher batches with it too, and a function
 * that publishes without sending to SQS should not load the SQS client.
 */

export const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * Splits items into consecutive chunks of at most `maxEntries` items and at most `maxBytes` bytes; an item
 * larger than `maxBytes` on its own cannot be sent and is refused.
 */
export function chunkBySize<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  maxEntries: number,
  maxBytes: number,
  describe: (item: T) => string = () => 'a message',
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (size > maxBytes) {
      throw new MessageTooLargeError(
        `${describe(item)} is ${size} bytes, more than the ${maxBytes} bytes a batch may carry`,
      );
    }
    if (current.length === maxEntries || bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
