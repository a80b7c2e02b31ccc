/**
 * Where the parser read each model element, kept beside the model (not in it) so that models compare
 * equal whatever text they came from. Only objects the parser returned have lines; copies do not.
 *
 * The line is stamped onto the element as an ECMAScript private field through a base constructor that
 * returns its argument (so `#line` is installed on that object). A private field is invisible to
 * property enumeration, spreading, JSON, structural equality and `Object.getOwnPropertySymbols`, and is
 * not copied, exactly like an entry in a WeakMap, but it costs about as much as adding a property,
 * whereas a WeakMap entry per segment dominated parsing time (and garbage collection) on long playlists.
 */
class Identity {
  constructor(element: object) {
    return element;
  }
}

class LineStamp extends Identity {
  #line: number;
  #tagLines: Map<string, number> | undefined;

  private constructor(element: object, line: number) {
    super(element);
    this.#line = line;
  }

  static set(element: object, line: number): void {
    if (#line in element) element.#line = line;
    else new LineStamp(element, line);
  }

  static line(element: object): number | undefined {
    return #line in element ? element.#line : undefined;
  }

  static tagLines(element: object, create: true): Map<string, number>;
  static tagLines(element: object, create: false): Map<string, number> | undefined;
  static tagLines(element: object, create: boolean): Map<string, number> | undefined {
    if (!(#line in element)) {
      if (!create) return undefined;
      new LineStamp(element, NaN);
    }
    const stamped = element as LineStamp;
    return create ? (stamped.#tagLines ??= new Map<string, number>()) : stamped.#tagLines;
  }
}

export function recordLine(element: object, line: number): void {
  LineStamp.set(element, line);
}

/** Records the line of a playlist-level tag (first occurrence wins). */
export function recordTagLine(playlist: object, tag: string, line: number): void {
  const lines = LineStamp.tagLines(playlist, true);
  if (!lines.has(tag)) lines.set(tag, line);
}

/**
 * The 1-based line an element of a parsed playlist came from: a variant (its EXT-X-STREAM-INF), a
 * rendition, a segment (its EXTINF), a segment's `byteRange`, `map` or key (their tags), the
 * playlist itself (line 1). With `tag`, the line of that playlist-level tag, e.g.
 * `hlsLineOf(media, 'EXT-X-TARGETDURATION')`. Undefined for objects the parser did not make.
 */
export function hlsLineOf(element: object, tag?: string): number | undefined {
  if (tag !== undefined) return LineStamp.tagLines(element, false)?.get(tag);
  const line = LineStamp.line(element);
  return line === undefined || Number.isNaN(line) ? undefined : line;
}
