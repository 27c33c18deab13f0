import { mutatePod, type MutateDeps } from '../admission/mutate-pods.js';
import { isKnownKey, PREFIX, ROLE_LABEL } from '../core/annotations.js';
import { validateNamespace } from '../admission/validate-namespaces.js';
import { warningEvents, type WarningEvent } from '../admission/warning-events.js';
import type { Metrics, Webhook } from '../observability/metrics.js';
import type { ReviewHandler } from './webhook-app.js';

export interface HandlerDeps extends MutateDeps {
  readonly metrics: Metrics;
  /** Where warnings go as Kubernetes Events; absent in standalone mode. */
  readonly recordEvent?: (event: WarningEvent) => void;
}

/** Adapts the pure admission handlers to the HTTP route: answer, reason and log fields. */
export function reviewHandlers({ metrics, recordEvent, ...mutateDeps }: HandlerDeps): Record<Webhook, ReviewHandler> {
  return {
    'mutate-pods': async ({ request }) => {
      const outcome = await mutatePod(request, mutateDeps);
      for (const role of outcome.roles) metrics.injections.inc({ role, result: outcome.reason });
      for (const p of outcome.problems)
        metrics.warnings.inc({ annotation: warningLabel(p.key), kind: p.kind ?? 'annotation' });
      if (recordEvent !== undefined) for (const event of warningEvents(request, outcome)) recordEvent(event);
      return {
        response: outcome.response,
        reason: outcome.reason,
        error: outcome.error,
        fields: {
          roles: outcome.roles.join(',') || undefined,
          problems: keysOf(outcome.problems),
          kept: outcome.kept.length > 0 ? outcome.kept : undefined,
        },
      };
    },
    'validate-namespaces': ({ request }) => {
      const outcome = validateNamespace(request);
      return Promise.resolve({
        response: outcome.response,
        reason: outcome.reason,
        fields: { problems: keysOf(outcome.problems) },
      });
    },
  };
}

/**
 * The annotation a warning is about, as a metric label: one of our keys, or a fixed word. Never the key as the
 * tenant wrote it (any string under the prefix would be a new series).
 */
function warningLabel(key: string): string {
  if (key === ROLE_LABEL) return 'role';
  if (key.startsWith(PREFIX) && isKnownKey(key.slice(PREFIX.length))) return key.slice(PREFIX.length);
  if (key.startsWith(PREFIX)) return 'unknown';
  return key.startsWith('container ') ? 'container' : 'pod';
}

const keysOf = (problems: readonly { key: string }[]) => (problems.length > 0 ? problems.map((p) => p.key) : undefined);
