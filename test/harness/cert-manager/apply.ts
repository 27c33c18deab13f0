/**
 * `kubectl apply --server-side` of objects exactly as given. Unlike test/helpers/cluster-install.ts's applyObjects,
 * no CRDs of ours (test/helpers/crds.ts) go first: with cert-manager's own CRDs installed, ours would overwrite them.
 */
import { yamlOf } from '../../helpers/cluster-install.js';
import type { ControlPlane } from '../../helpers/control-plane.js';
import type { K8sObject } from '../../manifests/render.js';

export async function applyObjectsAsIs(cp: ControlPlane, objects: readonly K8sObject[]): Promise<string> {
  if (objects.length === 0) return '';
  const r = await cp.kubectl(['apply', '--server-side', '--field-manager=aigw-test', '-f', '-'], {
    input: yamlOf(objects),
  });
  return r.stdout;
}
