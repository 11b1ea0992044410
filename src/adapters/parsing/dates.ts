/** Month abbreviations: English, and the German, Dutch, French, Spanish, Portuguese and Italian seen in feeds. */
// prettier-ignore
const MONTHS: Readonly<Record<string, number>> = {
  jan: 0, jän: 0, ene: 0, gen: 0, janv: 0,
  feb: 1, fev: 1, fév: 1, févr: 1,
  mar: 2, mär: 2, mrz: 2, mars: 2,
  apr: 3, abr: 3, avr: 3,
  may: 4, mai: 4, mei: 4, mag: 4,
  jun: 5, juin: 5, giu: 5,
  jul: 6, juil: 6, lug: 6,
  aug: 7, ago: 7, aoû: 7, aou: 7,
  sep: 8, set: 8, sept: 8,
  oct: 9, okt: 9, out: 9, ott: 9,
  nov: 10,
  dec: 11, dez: 11, dic: 11, déc: 11,
};

/** Offsets in minutes of the zone names feeds use (RFC 822's own, and common ones seen in the wild). */
// prettier-ignore
const ZONES: Readonly<Record<string, number>> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0, WET: 0,
  EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
  AST: -240, ADT: -180, AKST: -540, AKDT: -480, HST: -600, NST: -210, NDT: -150,
  BST: 60, CET: 60, CEST: 120, MET: 60, MEST: 120, WEST: 60, EET: 120, EEST: 180, MSK: 180,
  IST: 330, JST: 540, KST: 540, AEST: 600, AEDT: 660, ACST: 570, ACDT: 630, AWST: 480, NZST: 720, NZDT: 780,
};

/** RFC 822 military zones, with the signs RFC 822 gives them: A–I, K–M west of Greenwich, N–Y east. */
function militaryOffset(letter: string): number | undefined {
  const code = letter.toUpperCase().charCodeAt(0);
  if (letter.length !== 1 || code < 65 || code > 90 || letter.toUpperCase() === 'J') return undefined;
  if (letter.toUpperCase() === 'Z') return 0;
  if (code <= 73) return -(code - 64) * 60;
  if (code <= 77) return -(code - 65) * 60;
  return (code - 77) * 60;
}

function zoneOffset(zone: string): number | undefined {
  const text = zone.replace(/\(.*\)/, '').trim();
  if (text === '') return 0;
  const numeric = text.match(/^(?:(?:GMT|UTC?)\s*)?([+-])(\d{1,2})(?::?(\d{2}))?$/i);
  if (numeric) {
    const minutes = Number(numeric[2]) * 60 + Number(numeric[3] ?? 0);
    return numeric[1] === '-' ? -minutes : minutes;
  }
  const named = ZONES[text.toUpperCase()];
  if (named !== undefined) return named;
  return militaryOffset(text);
}

function instant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
  offsetMinutes: number,
): string | undefined {
  if (month < 0 || month > 11 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60) return undefined;
  const local = Date.UTC(year, month, day, hour, minute, Math.min(second, 59), millis);
  const probe = new Date(Date.UTC(year, month, day));
  if (probe.getUTCDate() !== day || probe.getUTCMonth() !== month) return undefined;
  const date = new Date(local - offsetMinutes * 60_000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function monthIndex(name: string): number {
  const lower = name.toLowerCase().replace(/\.$/, '');
  return MONTHS[lower.slice(0, 4)] ?? MONTHS[lower.slice(0, 3)] ?? -1;
}

function fullYear(year: string): number {
  const value = Number(year);
  if (year.length === 2) return value < 50 ? 2000 + value : 1900 + value;
  return value;
}

const RFC_822 =
  /^(?:\p{L}{2,}\.?,?\s*)?(\d{1,2})[\s-]+(\p{L}{3,})\.?,?[\s-]+(\d{4}|\d{2})(?:,?\s+|T)(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,](\d+))?\s*(.*)$/u;
const RFC_822_DATE_ONLY = /^(?:\p{L}{2,}\.?,?\s*)?(\d{1,2})[\s-]+(\p{L}{3,})\.?,?[\s-]+(\d{4})$/u;
const ISO_8601 =
  /^(\d{4})-?(\d{2})-?(\d{2})(?:[Tt\s]+(\d{2}):?(\d{2})(?::?(\d{2}))?(?:[.,](\d+))?\s*(Z|[+-]\d{2}(?::?\d{2})?|[A-Za-z]{1,5})?)?$/;
const ISO_PARTIAL = /^(\d{4})(?:-(\d{2}))?$/;
const US_STYLE =
  /^(?:[A-Za-z]{2,},?\s*)?([A-Za-z]{3,})\.?\s+(\d{1,2}),?\s+(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(.*))?$/;

function millisOf(fraction: string | undefined): number {
  return fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0;
}

/**
 * Reads a feed date (RFC 822/1123 with numeric, named or military zones; ISO 8601 and W3C-DTF as in `dc:date`;
 * a few common variants) and returns it as ISO-8601 UTC, or undefined when it cannot be read. A date without a
 * zone is taken as UTC.
 */
export function toIsoDate(raw: string | undefined): string | undefined {
  const text = raw?.replace(/\s+/g, ' ').trim();
  if (!text) return undefined;

  const iso = text.match(ISO_8601);
  if (iso) {
    const offset = iso[8] === undefined ? 0 : zoneOffset(iso[8]);
    if (offset === undefined) return undefined;
    return instant(
      Number(iso[1]),
      Number(iso[2]) - 1,
      Number(iso[3]),
      Number(iso[4] ?? 0),
      Number(iso[5] ?? 0),
      Number(iso[6] ?? 0),
      millisOf(iso[7]),
      offset,
    );
  }
  const partial = text.match(ISO_PARTIAL);
  if (partial) return instant(Number(partial[1]), Number(partial[2] ?? 1) - 1, 1, 0, 0, 0, 0, 0);

  const rfc = text.match(RFC_822);
  if (rfc) {
    const offset = zoneOffset(rfc[8] ?? '');
    if (offset === undefined) return undefined;
    return instant(
      fullYear(rfc[3]!),
      monthIndex(rfc[2]!),
      Number(rfc[1]),
      Number(rfc[4]),
      Number(rfc[5]),
      Number(rfc[6] ?? 0),
      millisOf(rfc[7]),
      offset,
    );
  }
  const rfcDate = text.match(RFC_822_DATE_ONLY);
  if (rfcDate) return instant(Number(rfcDate[3]), monthIndex(rfcDate[2]!), Number(rfcDate[1]), 0, 0, 0, 0, 0);

  const us = text.match(US_STYLE);
  if (us) {
    const offset = zoneOffset(us[7] ?? '');
    if (offset === undefined) return undefined;
    return instant(
      Number(us[3]),
      monthIndex(us[1]!),
      Number(us[2]),
      Number(us[4] ?? 0),
      Number(us[5] ?? 0),
      Number(us[6] ?? 0),
      0,
      offset,
    );
  }
  return undefined;
}
