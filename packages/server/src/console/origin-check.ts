// The console's CSRF defence (docs/console.md): a POST to /cluster/* whose Origin header is present
// and is not the node's own origin is refused (403 CROSS_ORIGIN). The node's own origin is the one
// the request was addressed to (its Host header, with the scheme of the connection), or the
// advertised client address; a browser always sends Origin on a cross-site POST, and tokens never
// travel in cookies, so a foreign page can neither borrow a session nor pass this check.

/** The offending Origin of a refused request, or undefined when it may go on. */
export function foreignOrigin(method: string, path: string, headers: { origin?: string | string[]; host?: string }, secure: boolean, advertised: readonly string[]): string | undefined {
  if (method !== 'POST' || !path.startsWith('/cluster/')) return undefined;
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  const value = Array.isArray(origin) ? origin.join(',') : origin;
  const scheme = secure ? 'https' : 'http';
  const own = [headers.host, ...advertised].filter((h): h is string => typeof h === 'string' && h.length > 0).map((h) => `${scheme}://${h}`.toLowerCase());
  return own.includes(value.trim().toLowerCase()) ? undefined : value;
}
