import { mutatePod, type NamespaceLookup } from '../admission/mutate-pods.js';
import { validateNamespace } from '../admission/validate-namespaces.js';
import type { Metrics, Webhook } from '../observability/metrics.js';
import type { ReviewHandler } from './webhook-app.js';

export interface HandlerDeps {
  readonly lookup: NamespaceLookup;
  readonly metrics: Metrics;
}

/** Adapts the pure admission handlers to the HTTP route: answer, reason and log fields. */
export function reviewHandlers({ lookup, metrics }: HandlerDeps): Record<Webhook, ReviewHandler> {
  return {
    'mutate-pods': async ({ request }) => {
      const outcome = await mutatePod(request, lookup);
      for (const role of outcome.roles) metrics.injections.inc({ role, result: outcome.reason });
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
      return Promise.resolve({ response: outcome.response, reason: outcome.reason, fields: { problems: keysOf(outcome.problems) } });
    },
  };
}

const keysOf = (problems: readonly { key: string }[]) => (problems.length > 0 ? problems.map((p) => p.key) : undefined);
