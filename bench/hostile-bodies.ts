/**
 * `npm run bench:hostile`: what a hostile feed costs the fetcher, in wall time and memory, with the bounds the
 * unit tests used to assert (a unit test asserts behaviour; timings and memory are measured here, in a process of
 * their own). Gzip and brotli bombs of 1 GiB, an endless 2 GiB body, a fetch function's 200 fetches at once of
 * bodies of the size cap (5 MiB), and an XML billion-laughs bomb for the parser. Exit status 1 when a case is
 * over its bound.
 *
 *   npm run bench:hostile            # a readable table
 *   npm run bench:hostile -- --json  # one JSON document
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { HttpFeedFetcher } from '../src/adapters/http/http-feed-fetcher.js';
import { createFeedParser } from '../src/adapters/parsing/sniffing-feed-parser.js';

const MiB = 1024 * 1024;

interface Case {
  readonly name: string;
  /** The outcome the fetcher (or parser) must give: its error code. */
  readonly expected: string;
  readonly maxMs: number;
  /** A deadline must not fire early either. */
  readonly minMs?: number;
  readonly maxGrowthMiB: number;
  run(): Promise<string>;
}

interface Measured {
  readonly name: string;
  readonly outcome: string;
  readonly ms: number;
  readonly growthMiB: number;
  readonly ok: boolean;
}

async function bomb(compressor: zlib.Gzip | zlib.BrotliCompress, total: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  compressor.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => compressor.on('end', resolve));
  const zeros = Buffer.alloc(MiB);
  for (let written = 0; written < total; written += zeros.length) {
    if (!compressor.write(zeros)) await new Promise((resolve) => compressor.once('drain', resolve));
  }
  compressor.end();
  await done;
  return Buffer.concat(chunks);
}

async function serve(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/feed.xml`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function fetchOnce(handler: http.RequestListener, maxBytes: number, timeoutMs?: number): Promise<string> {
  const server = await serve(handler);
  try {
    const options = { allowedNetworks: ['127.0.0.0/8'], maxBytes, ...(timeoutMs ? { timeoutMs } : {}) };
    const fetcher = new HttpFeedFetcher(options, createFeedParser());
    const result = await fetcher.fetch({ url: server.url });
    return result.kind === 'failed' ? result.error.code : result.kind;
  } finally {
    await server.close();
  }
}

const compressedBomb = (encoding: 'gzip' | 'br', body: Buffer): http.RequestListener => {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': encoding });
    res.end(body);
  };
};

const endless: http.RequestListener = (_req, res) => {
  const chunk = Buffer.alloc(256 * 1024, 'x');
  res.writeHead(200, { 'content-type': 'application/rss+xml' });
  let sent = 0;
  const pump = (): void => {
    while (sent < 2048 * MiB) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.on('close', () => (sent = Infinity));
  pump();
};

const trickle: http.RequestListener = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/rss+xml' });
  const timer = setInterval(() => res.write(Buffer.alloc(1024, 'x')), 10);
  res.on('close', () => clearInterval(timer));
};

/**
 * A server in a process of its own (so that its buffers are not counted here, and its bodies really are under
 * way at once): every request gets a body of `bodyBytes`, written 64 KiB every 10 ms.
 */
async function serveElsewhere(bodyBytes: number): Promise<{ url: string; close(): void }> {
  const script = `
    const http = require('node:http');
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-length': String(${bodyBytes}) });
      let left = ${bodyBytes};
      const timer = setInterval(() => {
        if (left <= 0) { clearInterval(timer); res.end(); return; }
        res.write(chunk.subarray(0, Math.min(left, chunk.length)));
        left -= chunk.length;
      }, 10);
      res.on('close', () => clearInterval(timer));
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (data: Buffer) => resolve(data.toString().trim()));
  });
  return { url: `http://127.0.0.1:${port}/feed.xml`, close: () => child.kill() };
}

/**
 * As many fetches at once as a fetch function makes (`LAMBDA_RELAY_DEFAULTS`), each a body of the size cap:
 * what they hold is the fetcher's byte budget (`maxBytesAtOnce`), not 200 × 5 MiB. The outcomes, counted.
 */
async function fetchManyAtOnce(fetches: number, bodyBytes: number): Promise<string> {
  const server = await serveElsewhere(bodyBytes);
  try {
    // A deadline of 30 s: on two busy cores, 1,000 MiB through one fetcher takes about 10 s.
    const fetcher = new HttpFeedFetcher({ allowedNetworks: ['127.0.0.0/8'], timeoutMs: 30_000 }, createFeedParser());
    const results = await Promise.all(Array.from({ length: fetches }, () => fetcher.fetch({ url: server.url })));
    const outcomes = new Map<string, number>();
    for (const result of results) {
      const outcome = result.kind === 'failed' ? result.error.code : result.kind;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    return [...outcomes].map(([outcome, count]) => `${outcome} ×${count}`).join(', ');
  } finally {
    server.close();
  }
}

function billionLaughs(): string {
  const levels = Array.from({ length: 9 }, (_, index) => {
    const previous = index === 0 ? 'lol' : `lol${index}`;
    return `<!ENTITY lol${index + 1} "${`&${previous};`.repeat(10)}">`;
  });
  return `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${levels.join('')}]>
    <rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title></item></channel></rss>`;
}

/** Samples the resident set size every 5 ms while `work` runs; returns its outcome, time and peak growth. */
async function measure(work: () => Promise<string>): Promise<{ outcome: string; ms: number; growthMiB: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  const started = performance.now();
  try {
    const outcome = await work();
    return { outcome, ms: Math.round(performance.now() - started), growthMiB: Math.round((peak - before) / MiB) };
  } finally {
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage.rss());
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
  const gzip = await bomb(zlib.createGzip({ level: 9, strategy: zlib.constants.Z_RLE }), 1024 * MiB);
  const br = await bomb(
    zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }),
    1024 * MiB,
  );
  const cases: Case[] = [
    {
      name: 'gzip bomb, 1 GiB inflated, 1 MiB limit',
      expected: 'too_large',
      maxMs: 2000,
      maxGrowthMiB: 300,
      run: () => fetchOnce(compressedBomb('gzip', gzip), MiB),
    },
    {
      name: 'brotli bomb, 1 GiB inflated, 1 MiB limit',
      expected: 'too_large',
      maxMs: 2000,
      maxGrowthMiB: 300,
      run: () => fetchOnce(compressedBomb('br', br), MiB),
    },
    {
      name: '2 GiB body, 64 MiB limit',
      expected: 'too_large',
      maxMs: 5000,
      maxGrowthMiB: 300,
      run: () => fetchOnce(endless, 64 * MiB),
    },
    {
      name: 'a body trickling for ever, 1 s deadline',
      expected: 'timeout',
      minMs: 950,
      maxMs: 1500,
      maxGrowthMiB: 64,
      run: () => fetchOnce(trickle, 1024 * MiB, 1000),
    },
    {
      name: 'a server that never answers, 1 s deadline',
      expected: 'timeout',
      minMs: 950,
      maxMs: 1500,
      maxGrowthMiB: 64,
      run: () => fetchOnce(() => undefined, MiB, 1000),
    },
    {
      // Read whole, then not a feed (they are 5 MiB of "x"). Without the byte budget they took 760–1,050 MiB.
      name: '200 bodies of 5 MiB at once, 5 MiB/s each',
      expected: 'not_a_feed ×200',
      maxMs: 20_000,
      maxGrowthMiB: 400,
      run: () => fetchManyAtOnce(200, 5 * MiB),
    },
    {
      name: 'billion laughs (XML entities), parsed',
      expected: 'parse_error',
      maxMs: 1000,
      maxGrowthMiB: 64,
      run: async () => {
        const result = createFeedParser().parse({ bytes: new TextEncoder().encode(billionLaughs()) });
        return result.ok ? 'parsed' : result.code;
      },
    },
  ];
  const measured: Measured[] = [];
  for (const c of cases) {
    const { outcome, ms, growthMiB } = await measure(c.run);
    measured.push({
      name: c.name,
      outcome,
      ms,
      growthMiB,
      ok: outcome === c.expected && ms <= c.maxMs && ms >= (c.minMs ?? 0) && growthMiB <= c.maxGrowthMiB,
    });
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ hostileBodies: measured }, null, 2)}\n`);
  else {
    for (const [m, c] of measured.map((m, i) => [m, cases[i]!] as const)) {
      const bound = c.minMs === undefined ? `≤ ${c.maxMs}` : `${c.minMs}–${c.maxMs}`;
      process.stdout.write(
        `${m.ok ? 'ok  ' : 'OVER'} ${m.name}: ${m.outcome} (want ${c.expected}) in ${m.ms} ms (${bound}), ` +
          `RSS +${m.growthMiB} MiB (bound ${c.maxGrowthMiB})\n`,
      );
    }
  }
  return measured.every((m) => m.ok) ? 0 : 1;
}

process.exitCode = await main();
