import type { Pod } from './pod.js';
import type { Problem } from './problems.js';
import type { Role } from './targets.js';

/** Why a pod was left as it came; each is a log field and a metric label. */
export type SkipReason =
  | 'malformed-pod'
  | 'not-an-ai-gateway-pod'
  | 'injection-disabled'
  | 'namespace-not-annotated'
  | 'nothing-configured'
  | 'already-configured';

interface Common {
  /** The roles found among the target containers, sorted. */
  readonly roles: readonly Role[];
  readonly problems: readonly Problem[];
}

export type Decision =
  | (Common & { readonly inject: false; readonly reason: SkipReason })
  | (Common & {
      readonly inject: true;
      readonly reason: 'injected';
      /** A new pod object; the input is never modified. */
      readonly pod: Pod;
      /** `container/VAR` for each managed env var the pod already set and that was left alone. */
      readonly kept: readonly string[];
    });

export const skip = (reason: SkipReason, roles: readonly Role[], problems: readonly Problem[]): Decision => ({
  inject: false,
  reason,
  roles,
  problems,
});
