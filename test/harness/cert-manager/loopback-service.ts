/**
 * There is no cluster network here (no kube-proxy, no pod IPs), so a webhook's Service cannot lead to a pod. Instead
 * of a `url` (which would make the API server check the serving certificate against 127.0.0.1, a name cert-manager's
 * certificates do not carry), the Service becomes `type: ExternalName` with `externalName: 127.0.0.1`: the API
 * server's service resolver (k8s.io/apiserver pkg/util/proxy ResolveCluster) then dials 127.0.0.1 at the webhook's
 * `clientConfig.service.port`, and still verifies the certificate for `<service>.<namespace>.svc`, the name
 * cert-manager issued it for. So the caBundle cert-manager injected and the certificate it issued are checked exactly
 * as in a cluster. The one other change: each webhook's `clientConfig.service.port` becomes the process's free port.
 *
 * One implementation, loopback-post-renderer.mjs, serves both helm (as its --post-renderer) and kustomize renderings.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { yamlOf } from '../../helpers/cluster-install.js';
import { parseObjects } from '../../helpers/helm.js';
import type { K8sObject } from '../../manifests/render.js';

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

const SCRIPT = resolve('test/harness/cert-manager/loopback-post-renderer.mjs');

/** The objects with the Service routed to 127.0.0.1:port (see above). */
export function routeServiceToLoopback(objects: readonly K8sObject[], service: ServiceRef, port: number): K8sObject[] {
  const out = execFileSync(process.execPath, [SCRIPT, service.namespace, service.name, String(port)], {
    input: yamlOf(objects),
    encoding: 'utf8',
  });
  return parseObjects(out);
}

/** An executable for helm's --post-renderer that does the same at every install and upgrade. */
export function loopbackPostRenderer(service: ServiceRef, port: number): string {
  const file = join(mkdtempSync(join(tmpdir(), 'aigw-cm-post-renderer-')), 'loopback.sh');
  writeFileSync(
    file,
    `#!/bin/sh\nexec '${process.execPath}' '${SCRIPT}' '${service.namespace}' '${service.name}' ${port}\n`,
  );
  chmodSync(file, 0o755);
  return file;
}
