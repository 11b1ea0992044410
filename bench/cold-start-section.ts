/**
 * Section 5: cold starts, measured by `bench/cold-start.ts` (`measureColdStarts()`) when that module is there;
 * otherwise the section says so. The module is loaded by a computed specifier so that this file type-checks
 * with or without it.
 */
import { existsSync } from 'node:fs';

export type ColdStartSectionResult =
  { readonly measured: true; readonly result: unknown } | { readonly measured: false; readonly reason: string };

export async function coldStartSection(): Promise<ColdStartSectionResult> {
  if (!existsSync(new URL('./cold-start.ts', import.meta.url))) {
    return { measured: false, reason: 'bench/cold-start.ts is not there' };
  }
  const specifier = './cold-start.js';
  try {
    const module = (await import(specifier)) as { measureColdStarts?: () => unknown };
    if (typeof module.measureColdStarts !== 'function') {
      return { measured: false, reason: 'bench/cold-start.ts exports no measureColdStarts()' };
    }
    return { measured: true, result: await module.measureColdStarts() };
  } catch (error) {
    return { measured: false, reason: `measureColdStarts() failed: ${(error as Error).message}` };
  }
}
