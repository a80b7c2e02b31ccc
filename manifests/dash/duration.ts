/**
 * xs:duration (ISO 8601 durations such as `PT1H2M3.5S`, XML Schema Part 2 §3.2.6) ↔ seconds.
 *
 * The round trip is exact: `parseIsoDurationS(formatIsoDurationS(s)) === s` for every finite number.
 * The writer prints the shortest decimal that reads back as `s` (split into hours, minutes and
 * seconds), and the reader adds the components in exact integer arithmetic before the one rounding
 * to a double, so the digits written are the digits read.
 */

/** Longest duration text we read: fits every finite double written out (up to ~330 digits), bounds the big-integer work. */
const MAX_DURATION_CHARS = 400;

/** Years and months have no fixed length; DASH players (dash.js) take 365 and 30 days. */
const DAYS_PER_YEAR = 365n;
const DAYS_PER_MONTH = 30n;
const SECONDS_PER_DAY = 86_400n;

// -P nY nM nD T nH nM n.nS; fractions only on seconds; at least one component; T needs one after it.
const DURATION_RE =
  /^(-)?P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?=\d|\.\d)(?:(\d+)H)?(?:(\d+)M)?(?:(?:(\d+)(?:\.(\d*))?|\.(\d+))S)?)?$/;

/** Seconds of an xs:duration, or undefined when the text is not one. Surrounding whitespace is allowed. */
export function parseIsoDurationS(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed.length > MAX_DURATION_CHARS) return undefined;
  const m = DURATION_RE.exec(trimmed);
  if (m === null) return undefined;
  const [, sign, years, months, days, hours, minutes, seconds, fraction, fractionOnly] = m;
  const totalDays = big(years) * DAYS_PER_YEAR + big(months) * DAYS_PER_MONTH + big(days);
  const whole = totalDays * SECONDS_PER_DAY + big(hours) * 3600n + big(minutes) * 60n + big(seconds);
  const digits = fraction ?? fractionOnly ?? '';
  const value = Number(`${whole}.${digits === '' ? '0' : digits}`);
  if (!Number.isFinite(value)) return undefined;
  // -PT0S is zero, not negative zero.
  return sign === '-' && value !== 0 ? -value : value;
}

function big(digits: string | undefined): bigint {
  return digits === undefined ? 0n : BigInt(digits);
}

/** `PT1H2M3.5S` for 3723.5; throws RangeError for NaN and infinities. */
export function formatIsoDurationS(seconds: number): string {
  if (!Number.isFinite(seconds)) throw new RangeError(`${seconds} is not a finite duration`);
  const sign = seconds < 0 ? '-' : '';
  const [intPart = '0', fracPart = ''] = plainDecimal(Math.abs(seconds)).split('.');
  const whole = BigInt(intPart);
  const h = whole / 3600n;
  const m = (whole % 3600n) / 60n;
  const s = whole % 60n;
  let out = `${sign}PT`;
  if (h > 0n) out += `${h}H`;
  if (m > 0n) out += `${m}M`;
  if (s > 0n || fracPart !== '' || (h === 0n && m === 0n))
    out += `${s}${fracPart === '' ? '' : `.${fracPart}`}S`;
  return out;
}

/**
 * The shortest decimal that reads back as `n` (as `String(n)`), without exponent notation:
 * 1e21 → `1000000000000000000000`, 1.5e-7 → `0.00000015`.
 */
export function plainDecimal(n: number): string {
  const text = String(n);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (m === null) return text;
  const [, sign = '', intDigits = '', fracDigits = '', exponent = '0'] = m;
  const digits = intDigits + fracDigits;
  const point = intDigits.length + Number(exponent);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
