import { PartialFailureError } from '../cli-errors.js';
import type { ItemFailure } from './management-client.js';

/**
 * Throws when items of a batch failed: the error names each (by `nameOf` its index) and carries `result`,
 * the part that was done, for the --json document.
 */
export function failIfAny(
  failed: readonly ItemFailure[],
  total: number,
  what: string,
  nameOf: (item: number) => string,
  result: Record<string, unknown>,
): void {
  if (failed.length === 0) return;
  throw new PartialFailureError(
    `${failed.length} of ${total} ${what} failed; the others were done`,
    result,
    failed.map((f) => ({
      item: nameOf(f.item),
      code: f.code,
      message: f.message,
      ...(f.status !== undefined ? { status: f.status } : {}),
    })),
  );
}
