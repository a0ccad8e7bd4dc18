// The metric names a PromQL expression selects, for the tests that check the dashboard and the
// alert rules against docs/metrics.md. Not a parser: strings, label matchers, ranges, Grafana
// variables and the argument lists of grouping modifiers are removed, then every identifier that is
// not a function call, keyword or aggregation is a metric name.
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  // Tokens with their digits, so a number (1e3) or a duration (5m) is one token, skipped below.
  for (const m of stripped.matchAll(/[a-zA-Z0-9_:.]+/g)) {
    const word = m[0];
    const after = stripped.slice(m.index! + word.length).trimStart();
    if (after.startsWith('(')) continue; // a function or an aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue;
    if (/^[0-9.]/.test(word)) continue;
    names.add(word);
  }
  return [...names].sort();
}
