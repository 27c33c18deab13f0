/** Something wrong with the input that an operator can fix; it becomes a warning, a log field or a refusal. */
export interface Problem {
  /** The full annotation or label key, e.g. `aigw-otel.io/metric-export-interval`. */
  readonly key: string;
  /** The offending value, if any: annotation values are configuration, never secrets. */
  readonly value?: string;
  readonly message: string;
  /** What kind of trouble, for the Event reason; absent means a bad annotation or label. */
  readonly kind?:
    'ca-missing' | 'ca-conflict' | 'client-cert-conflict' | 'env-from' | 'attribute-left-out' | 'protocol-not-for-core';
}

// The API server keeps each warning to 120 characters.
const MAX_WARNING_LENGTH = 120;
// Room left for the value inside a warning before it is cut with an ellipsis.
const MAX_QUOTED_VALUE = 32;
// Past 4096 characters in total the API server truncates warnings; 20 short ones stay well inside.
const MAX_WARNINGS = 20;

/** One line, at most 120 characters, naming the key, the value and why. */
export function formatProblem(p: Problem): string {
  const value = p.value === undefined ? '' : `="${clip(oneLine(p.value), MAX_QUOTED_VALUE)}"`;
  return clip(`${p.key}${value}: ${oneLine(p.message)}`, MAX_WARNING_LENGTH);
}

export function formatWarnings(problems: readonly Problem[]): string[] {
  const lines = [...new Set(problems.map(formatProblem))];
  if (lines.length <= MAX_WARNINGS) return lines;
  return [...lines.slice(0, MAX_WARNINGS - 1), `aigw-otel-injector: ${lines.length - MAX_WARNINGS + 1} more warnings`];
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ');
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
