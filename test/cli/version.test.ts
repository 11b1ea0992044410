import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { expectExit, feedrelay, jsonOf } from './support.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('feedrelay --version', () => {
  it("prints the package's version, and under --json one document naming it", async () => {
    const plain = await feedrelay(['--version']);
    const json = await feedrelay(['--version', '--json']);

    expectExit(plain, 0);
    expect(plain.stdout).toBe(`feedrelay ${version}\n`);
    expectExit(json, 0);
    expect(jsonOf(json)).toEqual({ version });
  });
});
