/** Encodes a value the way PHP's `http_build_query` does, which is how Bitrix24 sends events. */

/** PHP's urlencode: everything but letters, digits and `-_.` is percent-encoded, space becomes `+`. */
export function phpUrlencode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

export type Encodable = string | number | boolean | null | undefined | Encodable[] | { [key: string]: Encodable };

export function httpBuildQuery(value: { [key: string]: Encodable }): string {
  const pairs: string[] = [];
  const walk = (prefix: string, inner: Encodable): void => {
    if (inner === null || inner === undefined) return;
    if (typeof inner === 'object') {
      const entries = Array.isArray(inner) ? inner.map((v, i) => [String(i), v] as const) : Object.entries(inner);
      for (const [key, v] of entries) walk(`${prefix}[${key}]`, v);
      return;
    }
    const text = typeof inner === 'boolean' ? (inner ? '1' : '0') : String(inner);
    pairs.push(`${phpUrlencode(prefix)}=${phpUrlencode(text)}`);
  };
  for (const [key, v] of Object.entries(value)) walk(key, v);
  return pairs.join('&');
}
