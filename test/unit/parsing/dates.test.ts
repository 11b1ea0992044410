import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { toIsoDate } from '../../../src/adapters/parsing/dates.js';

describe('toIsoDate', () => {
  it.each([
    ['Thu, 01 Jan 2004 19:48:21 GMT', '2004-01-01T19:48:21.000Z'],
    ['Thu, 01 Jan 2004 19:48:21 UT', '2004-01-01T19:48:21.000Z'],
    ['Thu, 01 Jan 2004 19:48:21 Z', '2004-01-01T19:48:21.000Z'],
    ['Thu, 01 Jan 2004 14:48:21 EST', '2004-01-01T19:48:21.000Z'],
    ['Thu, 01 Jul 2004 15:48:21 EDT', '2004-07-01T19:48:21.000Z'],
    ['Thu, 01 Jan 2004 13:48:21 CST', '2004-01-01T19:48:21.000Z'],
    ['Thu, 01 Jul 2004 14:48:21 CDT', '2004-07-01T19:48:21.000Z'],
    ['Thu, 01 Jan 2004 12:48:21 MST', '2004-01-01T19:48:21.000Z'],
    ['Thu, 01 Jul 2004 13:48:21 MDT', '2004-07-01T19:48:21.000Z'],
    ['Thu, 01 Jan 2004 11:48:21 PST', '2004-01-01T19:48:21.000Z'],
    ['Thu, 01 Jul 2004 12:48:21 PDT', '2004-07-01T19:48:21.000Z'],
    ['Thu, 01 Jan 2004 18:48:21 A', '2004-01-01T19:48:21.000Z'],
    ['Thu, 01 Jan 2004 07:48:21 M', '2004-01-01T19:48:21.000Z'],
    ['Thu, 01 Jan 2004 20:48:21 N', '2004-01-01T19:48:21.000Z'],
    ['Fri, 02 Jan 2004 07:48:21 Y', '2004-01-01T19:48:21.000Z'],
  ])('reads the RFC 822 zone of %s', (raw, expected) => {
    // Act
    const iso = toIsoDate(raw);

    // Assess
    expect(iso).toBe(expected);
  });

  it.each([
    ['Thu, 01 Jan 2004 21:48:21 +0200', '2004-01-01T19:48:21.000Z'],
    ['01 Jan 04 19:48 -0000', '2004-01-01T19:48:00.000Z'],
    ['Thu,01 January 2004 19:48:21 +00:00', '2004-01-01T19:48:21.000Z'],
    ['Mon, 1 Feb 1999 1:02:03 GMT', '1999-02-01T01:02:03.000Z'],
    ['Sun, 19 May 2002 15:21:36', '2002-05-19T15:21:36.000Z'],
    ['2017-06-15T10:29:47-07:00', '2017-06-15T17:29:47.000Z'],
    ['2019-10-12T07:20:50.52Z', '2019-10-12T07:20:50.520Z'],
    ['2016-02-01T17:54:50+01:00', '2016-02-01T16:54:50.000Z'],
    ['2004-01-01 19:48:21', '2004-01-01T19:48:21.000Z'],
    ['20040101T194821Z', '2004-01-01T19:48:21.000Z'],
    ['2004-01-01', '2004-01-01T00:00:00.000Z'],
    ['2004-03', '2004-03-01T00:00:00.000Z'],
    ['  2004-01-01T19:48:21Z\n', '2004-01-01T19:48:21.000Z'],
    ['Seg, 24 Set 2018 19:42:40 -0300', '2018-09-24T22:42:40.000Z'],
    ['Do, 12 Dez 2019 08:00:00 +0100', '2019-12-12T07:00:00.000Z'],
    ['mar., 05 févr. 2019 10:00:00 +0100', '2019-02-05T09:00:00.000Z'],
  ])('reads %j as an instant', (raw, expected) => {
    // Act
    const iso = toIsoDate(raw);

    // Assess
    expect(iso).toBe(expected);
  });

  it.each([
    '',
    '   ',
    'not a date',
    'Item 1',
    'Thu, 31 Feb 2004 10:00:00 GMT',
    '2004-13-01',
    'Thu, 01 Jan 2004 10:00:00 XYZ',
    '2004-01-01T25:00:00Z',
  ])('leaves %j unread', (raw) => {
    // Act
    const iso = toIsoDate(raw);

    // Assess
    expect(iso).toBeUndefined();
  });

  it('reads back every instant written as RFC 1123 or ISO 8601', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true }),
        (date) => {
          // Prepare
          const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);

          // Act
          const fromRfc = toIsoDate(whole.toUTCString());
          const fromIso = toIsoDate(date.toISOString());

          // Assess
          expect(fromRfc).toBe(whole.toISOString());
          expect(fromIso).toBe(date.toISOString());
        },
      ),
    );
  });
});
