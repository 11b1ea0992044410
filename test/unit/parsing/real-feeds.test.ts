import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFeedParser } from '../../../src/adapters/parsing/sniffing-feed-parser.js';
import type { ParsedFeed, ParsedItem } from '../../../src/domain/article.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const corpus = path.resolve(repoRoot, 'test', 'fixtures', 'corpus', 'real-feeds');
const parser = createFeedParser();

/** Files of the corpus that are not feeds, and why. */
const NOT_FEEDS: Readonly<Record<string, string>> = {
  LICENSE: 'the licence of the corpus',
  'unrecognized.rss': 'an HTML "Document Moved" page saved under a feed name',
};

function parse(file: string): ParsedFeed {
  const result = parser.parse({ bytes: readFileSync(path.join(corpus, file)) });
  if (!result.ok) throw new Error(`${file}: ${result.code} ${result.message}`);
  return result.feed;
}

interface SpotCheck {
  readonly items: number;
  readonly feed: Partial<ParsedFeed['feed']>;
  readonly first: Partial<ParsedItem>;
}

const SPOT_CHECKS: Readonly<Record<string, SpotCheck>> = {
  'atom-customfields.atom': {
    items: 15,
    feed: { title: 'L2inc' },
    first: {
      guid: 'yt:video:lR-w1h5ONOY',
      link: 'https://www.youtube.com/watch?v=lR-w1h5ONOY',
      authors: [{ name: 'L2inc' }],
    },
  },
  'content-encoded.rss': {
    items: 7,
    feed: { title: 'Food in Invironment on Medium', updated: '2020-07-21T21:19:07.000Z' },
    first: { title: 'THE CREATIVE FORAGER', authors: [{ name: 'Jeremy Puma' }], published: '2018-04-09T18:55:38.000Z' },
  },
  'craigslist.rss': {
    items: 25,
    feed: { language: 'en-us' },
    first: { link: 'http://sfbay.craigslist.org/eby/apa/6186664607.html', published: '2017-06-21T17:33:10.000Z' },
  },
  'customfields.rss': {
    items: 15,
    feed: { title: "Varthabharathi : Kanrnataka's Leading Kannada News Portal", language: 'kn' },
    first: { link: 'http://www.varthabharati.in/article/english/74450', published: '2017-05-19T15:35:02.000Z' },
  },
  'encoding.rss': {
    items: 40,
    feed: { title: 'Jornal de Notícias - Últimas Notícias', language: 'pt-pt' },
    first: { title: 'Mãe de utente é a nova presidente da Raríssimas', categories: ['Nacional'] },
  },
  'feedburner.atom': {
    items: 25,
    feed: { title: 'Google Ads Developer Blog', updated: '2016-06-27T14:36:54.007Z' },
    first: {
      authors: [{ name: 'Google Ads Developer Advisor', email: 'noreply@blogger.com' }],
      published: '2016-06-03T14:38:00.000Z',
    },
  },
  'giantbomb-podcast.rss': {
    items: 730,
    feed: { title: 'Giant Bombcast', language: 'en-us' },
    first: {
      guid: '1600-2823',
      published: '2019-10-01T22:30:00.000Z',
      enclosures: [
        {
          url: 'https://dts.podtrac.com/redirect.mp3/www.giantbomb.com/podcasts/download/2823/603__Call_of_Tuesday-10-01-2019-6277737276.mp3',
          type: 'audio/mpeg',
          length: '105003355',
        },
      ],
    },
  },
  'guardian.rss': {
    items: 55,
    feed: { title: 'The Guardian', link: 'https://www.theguardian.com/us', updated: '2018-01-31T20:15:15.000Z' },
    first: { authors: [{ name: 'David Smith in Washington' }] },
  },
  'gulp-atom.atom': {
    items: 10,
    feed: { link: 'https://github.com/gulpjs/gulp/releases', language: 'en-US' },
    first: { title: 'v3.9.0', content: '<p>3.9.0</p>', authors: [{ name: 'contra' }] },
  },
  'heise.atom': {
    items: 15,
    feed: { title: 'heise developer neueste Meldungen', description: 'Informationen für Entwickler' },
    first: { guid: 'http://heise.de/-3088438', published: '2016-02-01T16:22:00.000Z' },
  },
  'heraldsun.rss': {
    items: 2,
    feed: { title: 'RSS0.92 Example' },
    first: {
      title: 'The First Item',
      enclosures: [{ url: 'http://www.oreilly.com/001.mp3', type: 'audio/mpeg', length: '54321' }],
    },
  },
  'incomplete-fields.atom': { items: 1, feed: { language: 'en-US' }, first: {} },
  'instant-article.rss': {
    items: 1,
    feed: { title: 'Instant Article Test' },
    first: { summary: 'Lorem ipsum', content: '<b>Lorem</b> ipsum', authors: [{ name: 'tobi' }] },
  },
  'item-itunes-episodeType.rss': {
    items: 1,
    feed: { title: 'Baywatch Berlin', language: 'de' },
    first: { title: 'Trailer', guid: 'cc973b648d6fb41e4e5ef7e4b4ee7604' },
  },
  'itunes-category.rss': {
    items: 1,
    feed: { link: 'http://www.taverncast.com/' },
    first: { title: 'Taverncast 62 - Temporal Anomaly' },
  },
  'itunes-href.rss': {
    items: 10,
    feed: { title: 'Transfermarkt', language: 'de-de' },
    first: { authors: [{ name: 'Transfermarkt' }] },
  },
  'itunes-keywords-array.rss': {
    items: 1,
    feed: { title: 'SWR2 Impuls - Wissen aktuell' },
    first: { published: '2020-03-10T15:05:00.000Z' },
  },
  'itunes-keywords-astext.rss': {
    items: 32,
    feed: { title: 'Endorphine für Delfine' },
    first: { guid: '3602b6b4-68e4-47a6-81b9-323cc79ed87f' },
  },
  'itunes-keywords.rss': {
    items: 1,
    feed: { language: 'en-us' },
    first: { categories: expect.arrayContaining(['beer', 'comedy']) as never },
  },
  'itunes-missing-image.rss': {
    items: 131,
    feed: { title: 'Taverncast - Happy Hour in Your Head - Since 2005' },
    first: {},
  },
  'many-links.rss': {
    items: 25,
    feed: { title: 'Google Testing Blog', link: 'http://testing.googleblog.com/' },
    first: { categories: ['Chris Lewis', 'Code Health', 'TotT'] },
  },
  'missing-fields.atom': { items: 1, feed: {}, first: { guid: 'tag:github.com,2008:Repository/11167738/v3.9.0' } },
  'narro.rss': { items: 1, feed: { title: 'foobar on Narro' }, first: { authors: [{ email: 'foobar@gmail.com' }] } },
  'pagination-links.rss': {
    items: 1,
    feed: { link: 'https://example.test/shows/new-show-1' },
    first: { authors: [{ name: 'Steve Thompson' }] },
  },
  'reddit-atom.rss': {
    items: 24,
    feed: { link: 'https://www.reddit.com/' },
    first: { title: 'The Difficulties in Space', categories: ['space'] },
  },
  'reddit-home.rss': {
    items: 24,
    feed: { title: 'reddit: the front page of the internet' },
    first: { guid: 't3_42tizy', categories: ['funny'] },
  },
  'reddit.rss': {
    items: 24,
    feed: { title: 'reddit: the front page of the internet' },
    first: { published: '2015-11-12T21:16:39.000Z' },
  },
  'rss-1.rss': {
    items: 69,
    feed: { title: 'Science twis', link: 'http://science.sciencemag.org' },
    first: { title: 'Food for fungi', authors: [{ name: 'Hines, P. J.' }], published: '2017-06-15T17:29:47.000Z' },
  },
  'uolNoticias.rss': {
    items: 15,
    feed: { title: 'UOL Noticias', description: 'Últimas Notícias' },
    first: { published: '2018-09-24T22:42:40.000Z' },
  },
  'xml2js-options.rss': { items: 69, feed: { title: 'Science twis' }, first: { title: 'Food for fungi' } },
};

describe('SniffingFeedParser on real feeds', () => {
  const files = readdirSync(corpus).sort();

  it('finds the corpus beside the repository, with a spot check for every feed in it', () => {
    // Act
    const unchecked = files.filter((file) => !(file in NOT_FEEDS) && !(file in SPOT_CHECKS));

    // Assess
    expect(files.length).toBeGreaterThan(20);
    expect(unchecked).toEqual([]);
  });

  it.each(files.filter((file) => !(file in NOT_FEEDS)))('parses %s with at least one article', (file) => {
    // Act
    const feed = parse(file);

    // Assess
    expect(feed.items.length).toBeGreaterThanOrEqual(1);
    for (const item of feed.items) {
      for (const date of [item.published, item.updated])
        if (date) expect(date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      for (const value of Object.values(item))
        expect(value === '' || (Array.isArray(value) && value.length === 0)).toBe(false);
    }
  });

  it.each(Object.entries(SPOT_CHECKS))('reads the expected fields of %s', (file, check) => {
    // Act
    const feed = parse(file);

    // Assess
    expect(feed.items).toHaveLength(check.items);
    expect(feed.feed).toMatchObject(check.feed);
    expect(feed.items[0]).toMatchObject(check.first);
  });

  it('says the saved "Document Moved" page is not a feed', () => {
    // Act
    const result = parser.parse({ bytes: readFileSync(path.join(corpus, 'unrecognized.rss')) });

    // Assess
    expect(result).toMatchObject({ ok: false, code: 'not_a_feed' });
  });
});
