'use strict';
// Virtual time. The platform never reads the wall clock: "now" is the latest virtual instant it has been
// told (setupRun's start, a tick's now, a payment's paidAt, the X-Lendsim-Virtual-Time header of any
// request or partner answer). Instants are epoch milliseconds; calendar dates are 'YYYY-MM-DD' strings read
// in the run's IANA time zone (Asia/Shanghai unless setupRun says otherwise).

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const formatters = new Map();

function formatter(tz) {
  let found = formatters.get(tz);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, found);
  }
  return found;
}

/** Whether `tz` is an IANA zone this Node knows. */
function isTimeZone(tz) {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Date.UTC without its quirk of reading years 0–99 as 1900–1999. */
function utc(y, mo, d, h = 0, mi = 0, s = 0) {
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, 0);
  return t.getTime();
}

function validDate(y, m, d) {
  const t = new Date(utc(y, m, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/** Whether `text` is an RFC 3339 date-time (with an offset). */
function isDateTime(text) {
  const m = typeof text === 'string' && DATE_TIME.exec(text);
  return Boolean(m && m[8] && validDate(+m[1], +m[2], +m[3]) && +m[4] < 24 && +m[5] < 60 && +m[6] < 61);
}

/** Whether `text` is a calendar date, YYYY-MM-DD. */
function isDate(text) {
  const m = typeof text === 'string' && DATE.exec(text);
  return Boolean(m && validDate(+m[1], +m[2], +m[3]));
}

/** The parts of an instant on the wall clock of `tz`. */
function wall(ms, tz) {
  const parts = {};
  for (const { type, value } of formatter(tz).formatToParts(new Date(ms))) parts[type] = value;
  return {
    year: +parts.year,
    month: +parts.month,
    day: +parts.day,
    hour: +parts.hour,
    minute: +parts.minute,
    second: +parts.second,
  };
}

/** How far `tz` is ahead of UTC at instant `ms`, in milliseconds (whole seconds). */
function offset(ms, tz) {
  const w = wall(ms, tz);
  const asUtc = utc(w.year, w.month, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant of a wall-clock time in `tz` ('YYYY-MM-DD', 'HH:MM[:SS]'). */
function zoned(date, time, tz) {
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi, s = 0] = time.split(':').map(Number);
  const asUtc = utc(y, mo, d, h, mi, s);
  let guess = asUtc - offset(asUtc, tz);
  guess = asUtc - offset(guess, tz); // a second pass settles a guess that crossed a zone transition
  return guess;
}

/** An RFC 3339 instant as epoch ms; one without an offset is read in `tz`. NaN if it is not one. */
function parseInstant(text, tz) {
  const m = typeof text === 'string' && DATE_TIME.exec(text);
  if (!m || !validDate(+m[1], +m[2], +m[3])) return NaN;
  if (m[8]) return Date.parse(text.replace(' ', 'T'));
  const fraction = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  return zoned(`${m[1]}-${m[2]}-${m[3]}`, `${m[4]}:${m[5]}:${m[6]}`, tz) + fraction;
}

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** The local calendar date of instant `ms` in `tz`. */
function localDate(ms, tz) {
  const w = wall(ms, tz);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** The local time of day of instant `ms` in `tz`, as seconds since midnight. */
function localSeconds(ms, tz) {
  const w = wall(ms, tz);
  return w.hour * 3600 + w.minute * 60 + w.second;
}

/** Instant `ms` as RFC 3339 in `tz`: 2019-05-10T20:15:00+08:00 (an offset with seconds, such as a zone's
 * local mean time before 1901, is rounded to the minute, as RFC 3339 has no seconds in offsets). */
function formatInstant(ms, tz) {
  const off = Math.round(offset(ms, tz) / MINUTE);
  const t = new Date(ms + off * MINUTE);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  const millis = t.getUTCMilliseconds();
  return (
    `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T` +
    `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}${millis ? `.${pad(millis, 3)}` : ''}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** 'YYYY-MM-DD' plus `days` calendar days. */
function addDays(date, days) {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(utc(y, m, d) + days * DAY);
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** Whole days from date `a` to date `b` (b - a). */
function daysBetween(a, b) {
  const [ya, ma, da] = a.split('-').map(Number);
  const [yb, mb, db] = b.split('-').map(Number);
  return Math.round((utc(yb, mb, db) - utc(ya, ma, da)) / DAY);
}

/** The due date of installment `no` of a loan disbursed on `disburseDate`, due on `dueDay` each month. */
function monthlyDate(disburseDate, no, dueDay) {
  const [y, m] = disburseDate.split('-').map(Number);
  const months = y * 12 + (m - 1) + no;
  return `${pad(Math.floor(months / 12), 4)}-${pad((months % 12) + 1)}-${pad(dueDay)}`;
}

/** Every month from the month of date `first` to that of date `last`, as 'YYYY-MM'. */
function monthsBetween(first, last) {
  const out = [];
  let [y, m] = first.split('-').map(Number);
  const [ly, lm] = last.split('-').map(Number);
  while (y < ly || (y === ly && m <= lm)) {
    out.push(`${pad(y, 4)}-${pad(m)}`);
    [y, m] = m === 12 ? [y + 1, 1] : [y, m + 1];
  }
  return out;
}

module.exports = {
  MINUTE,
  HOUR,
  DAY,
  addDays,
  daysBetween,
  formatInstant,
  isDate,
  isDateTime,
  isTimeZone,
  localDate,
  localSeconds,
  monthlyDate,
  monthsBetween,
  parseInstant,
  zoned,
};
