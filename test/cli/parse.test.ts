import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ATOM, ATOM_03, AWKWARD, HTML, JSON_FEED, LATIN1, RDF, RSS, type Doc } from './fixtures.js';
import { feedrelayInProcess } from './in-process.js';
import {
  errorOf,
  expectExit,
  expectUsage,
  feedrelay,
  ISO_UTC,
  jsonOf,
  runAll,
  scratch,
  type RunResult,
} from './support.js';

/**
 * `feedrelay parse`, `help` and unknown commands. The commands run in `beforeAll` (they are independent), in this
 * process but for a document on stdin and no command at all, processes as a user runs them; each test asserts on
 * its own.
 */

function expectIdsDistinct(doc: Doc): void {
  const ids = doc.articles.map((a) => a.id);
  for (const id of ids) expect(typeof id === 'string' && id.length > 0).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
}

describe('feedrelay parse, help, unknown commands', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let runs: Record<string, RunResult>;
  const missing = () => path.join(dir, 'no-such-feed.xml');

  beforeAll(async () => {
    ({ dir, cleanup } = await scratch());
    await writeFile(path.join(dir, 'feed.rss'), RSS);
    await writeFile(path.join(dir, 'feed.atom'), ATOM);
    await writeFile(path.join(dir, 'feed.json'), JSON_FEED);
    await writeFile(path.join(dir, 'page.html'), HTML);
    await writeFile(path.join(dir, 'feed.rdf'), RDF);
    await writeFile(path.join(dir, 'feed03.atom'), ATOM_03);
    await writeFile(path.join(dir, 'latin1.xml'), LATIN1);
    await writeFile(path.join(dir, 'awkward.xml'), AWKWARD);
    await writeFile(path.join(dir, 'truncated.xml'), RSS.slice(0, RSS.indexOf('<dc:creator>') + 6));
    const file = (name: string) => path.join(dir, name);
    runs = await runAll({
      rss: () => feedrelayInProcess(['parse', file('feed.rss'), '--json']),
      atom: () => feedrelayInProcess(['parse', file('feed.atom'), '--json']),
      json: () => feedrelayInProcess(['parse', file('feed.json'), '--json']),
      rdf: () => feedrelayInProcess(['parse', file('feed.rdf'), '--json']),
      atom03: () => feedrelayInProcess(['parse', file('feed03.atom'), '--json']),
      latin1: () => feedrelayInProcess(['parse', file('latin1.xml'), '--json']),
      awkward: () => feedrelayInProcess(['parse', file('awkward.xml'), '--json']),
      stdin: () => feedrelay(['parse', '-', '--json'], { input: RSS }),
      human: () => feedrelayInProcess(['parse', file('feed.atom')]),
      html: () => feedrelayInProcess(['parse', file('page.html'), '--json']),
      truncated: () => feedrelayInProcess(['parse', file('truncated.xml'), '--json']),
      missing: () => feedrelayInProcess(['parse', missing(), '--json']),
      noFile: () => feedrelayInProcess(['parse']),
      help: () => feedrelayInProcess(['help']),
      unknown: () => feedrelayInProcess(['frobnicate', '--json']),
      nothing: () => feedrelay([]),
    });
  }, 60_000);

  afterAll(() => cleanup());

  it('normalizes an RSS 2.0 document', () => {
    const run = runs.rss!;
    expectExit(run, 0);
    const doc = jsonOf<Doc>(run);
    expect(doc.feed).toMatchObject({
      title: 'Example RSS & more',
      link: 'https://example.com/',
      description: 'An RSS 2.0 feed',
      language: 'en-us',
    });
    expect(doc.articles).toHaveLength(2);
    expectIdsDistinct(doc);
    const [first, second] = doc.articles;
    expect(first).toMatchObject({ guid: 'rss-1', title: 'First post', link: 'https://example.com/posts/1' });
    expect(first!.published).toMatch(ISO_UTC);
    expect(Date.parse(first!.published!)).toBe(Date.parse('2025-06-03T07:39:21Z'));
    expect(first!.authors).toEqual([{ name: 'Jane Doe', email: 'jane@example.com' }]);
    expect(first!.categories).toEqual(['news', 'tech']);
    expect(first!.enclosures).toEqual([{ url: 'https://example.com/ep1.mp3', type: 'audio/mpeg', length: '12345' }]);
    expect(second).toMatchObject({ guid: 'rss-2', title: 'Second post', link: 'https://example.com/posts/2' });
    expect(second!.published).toMatch(ISO_UTC);
    expect(Date.parse(second!.published!)).toBe(Date.parse('2025-06-04T10:00:00Z'));
    expect(second!.authors).toEqual([{ name: 'John Roe' }]);
  });

  it('normalizes an Atom 1.0 document (alternate link, UTC dates, author with email, enclosure link)', () => {
    const run = runs.atom!;
    expectExit(run, 0);
    const doc = jsonOf<Doc>(run);
    expect(doc.feed).toMatchObject({ title: 'Example Atom', link: 'https://atom.example.org/' });
    expect(doc.articles).toHaveLength(2);
    expectIdsDistinct(doc);
    const [first, second] = doc.articles;
    expect(first).toMatchObject({
      guid: 'urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a',
      title: 'Atom entry one',
      link: 'https://atom.example.org/1',
    });
    expect(first!.published).toMatch(ISO_UTC);
    expect(Date.parse(first!.published!)).toBe(Date.parse('2025-06-05T08:30:00Z'));
    expect(first!.updated).toMatch(ISO_UTC);
    expect(Date.parse(first!.updated!)).toBe(Date.parse('2025-06-05T09:00:00Z'));
    expect(first!.authors).toEqual([{ name: 'Ada Lovelace', email: 'ada@example.org' }]);
    expect(first!.categories).toEqual(['science']);
    expect(first!.enclosures).toEqual([{ url: 'https://atom.example.org/1.ogg', type: 'audio/ogg', length: '999' }]);
    expect(second).toMatchObject({ title: 'Atom entry two', link: 'https://atom.example.org/2' });
  });

  it('normalizes a JSON Feed 1.1 document (tags as categories, attachments as enclosures)', () => {
    const run = runs.json!;
    expectExit(run, 0);
    const doc = jsonOf<Doc>(run);
    expect(doc.feed).toMatchObject({ title: 'Example JSON', link: 'https://json.example.net/' });
    expect(doc.articles).toHaveLength(2);
    expectIdsDistinct(doc);
    const [first] = doc.articles;
    expect(first).toMatchObject({ guid: 'j-1', title: 'JSON item', link: 'https://json.example.net/1' });
    expect(first!.published).toMatch(ISO_UTC);
    expect(Date.parse(first!.published!)).toBe(Date.parse('2025-06-06T13:00:00Z'));
    expect(Date.parse(first!.updated!)).toBe(Date.parse('2025-06-06T14:00:00Z'));
    expect(first!.authors).toEqual([{ name: 'Grace Hopper' }]);
    expect(first!.categories).toEqual(['a', 'b']);
    expect(first!.enclosures).toEqual([
      { url: 'https://json.example.net/1.pdf', type: 'application/pdf', length: '2048' },
    ]);
  });

  it('reads RSS 1.0 (RDF) and Atom 0.3', () => {
    expectExit(runs.rdf!, 0);
    const rdf = jsonOf<Doc>(runs.rdf!);
    expect(rdf.feed).toMatchObject({ title: 'RDF feed', link: 'http://rdf.example/' });
    expect(rdf.articles).toHaveLength(1);
    expect(rdf.articles[0]).toMatchObject({ title: 'RDF item', link: 'http://rdf.example/1' });
    expect(Date.parse(rdf.articles[0]!.published!)).toBe(Date.parse('2025-01-02T02:04:05Z'));
    expect(rdf.articles[0]!.authors).toEqual([{ name: 'R. D. F.' }]);

    expectExit(runs.atom03!, 0);
    const atom03 = jsonOf<Doc>(runs.atom03!);
    expect(atom03.feed).toMatchObject({ title: 'Atom 0.3 feed', link: 'http://a03.example/' });
    expect(atom03.articles[0]).toMatchObject({
      guid: 'tag:a03.example,2005:1',
      title: 'Old entry',
      link: 'http://a03.example/1',
    });
    expect(atom03.articles[0]!.published).toMatch(ISO_UTC);
  });

  it('decodes text by the XML declaration (ISO-8859-1)', () => {
    expectExit(runs.latin1!, 0);
    const doc = jsonOf<Doc>(runs.latin1!);
    expect(doc.feed.title).toBe('Caf\u00e9 cr\u00e8me');
    expect(doc.articles[0]!.title).toBe('\u00c9t\u00e9');
  });

  it('keeps every item, with distinct stable ids, when guids repeat or are missing; an unreadable date is left empty', () => {
    expectExit(runs.awkward!, 0);
    const doc = jsonOf<Doc>(runs.awkward!);
    expect(doc.articles.map((a) => a.title)).toEqual(['One', 'Two', 'No guid', 'No guid']);
    expectIdsDistinct(doc);
    expect(doc.articles[0]!.published ?? null).toBeNull();
    expect(Date.parse(doc.articles[1]!.published!)).toBe(Date.parse('2025-06-03T09:39:21Z'));
  });

  it('reads the document from stdin with "-", with the same stable ids as from the file', () => {
    expectExit(runs.stdin!, 0);
    expect(jsonOf<Doc>(runs.stdin!)).toEqual(jsonOf<Doc>(runs.rss!));
  });

  it('prints a human summary without --json', () => {
    const run = runs.human!;
    expectExit(run, 0);
    expect(run.stdout).toContain('Example Atom');
    expect(run.stdout).toContain('Atom entry one');
  });

  it('refuses an HTML page: exit 1, {"error": {"code": "not_a_feed"}}', () => {
    expectExit(runs.html!, 1);
    expect(errorOf(runs.html!).code).toBe('not_a_feed');
  });

  it('reports truncated XML as parse_error', () => {
    expectExit(runs.truncated!, 1);
    expect(errorOf(runs.truncated!).code).toBe('parse_error');
  });

  it('exits 2 with a one-line message naming a missing file', () => {
    expectUsage(runs.missing!, missing());
  });

  it('exits 2 without a file argument', () => {
    expectUsage(runs.noFile!, /parse/);
  });

  it('help: exit 0 with the usage on stdout', () => {
    const run = runs.help!;
    expectExit(run, 0);
    expect(run.stdout).toMatch(/Usage/);
    for (const command of ['demo', 'parse', 'fetch', 'feeds', 'subscriptions', 'subscribe', 'crawl', 'serve'])
      expect(run.stdout).toContain(command);
  });

  it('an unknown command: exit 2 with a one-line message naming it', () => {
    expectUsage(runs.unknown!, /frobnicate/);
  });

  it('no command at all: exit 2', () => {
    expectExit(runs.nothing!, 2);
  });
});
