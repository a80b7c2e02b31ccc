/** Small helpers shared by the DASH modules. */

/**
 * `{ key: value }` when the value is defined, else `{}`: spread it into an object literal so that an
 * absent value is an absent property (exactOptionalPropertyTypes).
 */
export function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The record, or undefined when it has no keys (generic fallbacks are absent when empty). */
export function nonEmptyRecord<V>(record: Record<string, V>): Record<string, V> | undefined {
  return Object.keys(record).length > 0 ? record : undefined;
}

/** The array, or undefined when empty. */
export function nonEmpty<T>(items: T[]): T[] | undefined {
  return items.length > 0 ? items : undefined;
}

/** At most `max` characters of a value, for messages. */
export function shorten(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
