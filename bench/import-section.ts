/**
 * Section 6: `feedrelay subscriptions import FILE` of N JSONL lines, timed from outside as a user would run it:
 * the built CLI (`bin/feedrelay.js`, so `npm run build` first) as a child process on a new data directory, its
 * wall time from spawn to exit. Two files: N webhooks of one feed, and N spread over 500 feeds; every other line
 * names its secret, the others leave it to be generated. Each shape is imported `runs` times into a fresh data
 * directory, then once more into the last one (the re-import: nothing new is created). Target: ≤ 3 s.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const IMPORT_TARGET_MS = 3_000;

export interface ImportShapeResult {
  readonly feeds: number;
  readonly lines: number;
  /** Wall time of each fresh import, in run order. */
  readonly wallMs: readonly number[];
  readonly medianMs: number;
  /** The import of the same file into the data directory that holds it already. */
  readonly reimportMs: number;
  /** What the CLI printed (`--json`) for the last fresh import and for the re-import, its generated secrets counted. */
  readonly imported: unknown;
  readonly reimported: unknown;
}

export interface ImportSectionResult {
  readonly targetMs: number;
  /** The 1-, 5- and 15-minute load averages when the section started: the machine's business besides this. */
  readonly loadAverage: readonly number[];
  readonly shapes: readonly ImportShapeResult[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'feedrelay.js');

/** The JSONL lines: line i subscribes webhook i to feed i mod `feeds`; even lines give their secret. */
function jsonl(lines: number, feeds: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    out.push(
      JSON.stringify({
        feed: `https://feeds.example.com/${i % feeds}.xml`,
        webhook: `https://hooks.example.net/h/${i}`,
        ...(i % 2 === 0 ? { secret: `whsec_${randomBytes(24).toString('base64')}` } : {}),
      }),
    );
  }
  return `${out.join('\n')}\n`;
}

/** Runs the CLI once; its wall time and its JSON output (a failure throws with its stderr). */
async function importOnce(file: string, dataDir: string): Promise<{ ms: number; output: unknown }> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'subscriptions', 'import', file, '--data-dir', dataDir, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const ms = Math.round(performance.now() - started);
  if (code !== 0) throw new Error(`subscriptions import exited ${code}: ${stderr.trim()}`);
  return { ms, output: JSON.parse(stdout) as unknown };
}

export async function importSection(options: {
  readonly lines: number;
  readonly runs: number;
  readonly progress: (line: string) => void;
}): Promise<ImportSectionResult> {
  if (!existsSync(join(ROOT, 'dist', 'entrypoints', 'cli', 'main.js'))) {
    throw new Error('the CLI is not built: run npm run build first (the section runs bin/feedrelay.js)');
  }
  const scratch = await mkdtemp(join(tmpdir(), 'feedrelay-bench-import-'));
  const loadAverage = loadavg().map((l) => Math.round(l * 100) / 100);
  try {
    const shapes: ImportShapeResult[] = [];
    for (const feeds of [1, 500]) {
      const file = join(scratch, `subscriptions-${feeds}.jsonl`);
      await writeFile(file, jsonl(options.lines, feeds));
      const wallMs: number[] = [];
      let last: { dataDir: string; output: unknown } | undefined;
      for (let run = 0; run < options.runs; run++) {
        options.progress(`import: ${options.lines} lines over ${feeds} feed(s), run ${run + 1} of ${options.runs}`);
        const dataDir = join(scratch, `data-${feeds}-${run}`);
        const { ms, output } = await importOnce(file, dataDir);
        wallMs.push(ms);
        if (last) await rm(last.dataDir, { recursive: true, force: true });
        last = { dataDir, output };
      }
      options.progress(`import: ${options.lines} lines over ${feeds} feed(s), again into the same data directory`);
      const again = await importOnce(file, last!.dataDir);
      const sorted = [...wallMs].sort((a, b) => a - b);
      shapes.push({
        feeds,
        lines: options.lines,
        wallMs,
        medianMs: sorted[Math.floor(sorted.length / 2)]!,
        reimportMs: again.ms,
        imported: withSecretsCounted(last!.output),
        reimported: withSecretsCounted(again.output),
      });
    }
    return { targetMs: IMPORT_TARGET_MS, loadAverage, shapes };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The CLI's report with its generated secrets (one per line without a secret) counted, not listed. */
function withSecretsCounted(output: unknown): unknown {
  if (typeof output !== 'object' || output === null || !('secrets' in output)) return output;
  const { secrets, ...rest } = output as { secrets: unknown };
  return { ...rest, secretsShown: Array.isArray(secrets) ? secrets.length : 0 };
}
