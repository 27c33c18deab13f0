/**
 * Every Event on a workload names it as `kubectl describe` looks it up (issue 18, 4): kind, apiVersion, name,
 * namespace and uid — the uid of a listed workload, or of the pod's owner from its ownerReferences.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corePod, review } from '../fixtures/pods.js';
import { eventually } from '../helpers/eventually.js';
import type { TestInjector } from '../helpers/injector.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';
import { a, admittedPod, leads, missingPod, replica, template } from './drift-setup.js';

const endpoint = (url: string) => ({ [a('endpoint')]: url });
// The uid of the ReplicaSet the fixture pod names as its controlling owner.
const REPLICA_SET_UID = String((corePod().metadata?.ownerReferences as { uid: string }[])[0]?.uid);

let api: StandInApiServer;
let injector: TestInjector;
beforeAll(async () => {
  api = await new StandInApiServer().start();
  api.setNamespace('reported', endpoint('https://collector:4317'));
  api.setWorkload('Deployment', 'reported', 'aigw', template());
  missingPod(api, 'reported', 'aigw');
  // A StatefulSet's pod names the StatefulSet itself as its owner, with its uid.
  api.setWorkload('StatefulSet', 'reported', 'proc', template());
  const p = corePod({ app: 'proc' });
  const uid = (api.workload('StatefulSet', 'reported', 'proc')?.metadata as { uid: string }).uid;
  const ownerReferences = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'proc', uid, controller: true }];
  api.setPod('reported', { ...p, metadata: { ...p.metadata, name: 'proc-0', ownerReferences } });
  api.setNamespace('rolled', { ...endpoint('https://collector:4317'), [a('auto-rollout')]: 'true' });
  api.setWorkload('Deployment', 'rolled', 'aigw', template());
  admittedPod(api, 'rolled', 'aigw', endpoint('https://collector:4317'));
  api.setNamespace('warned', { ...endpoint('https://collector:4317'), [a('ca-configmap')]: 'collector-ca' });
  // Scans every 200 ms: the drift Events come within the first scans.
  injector = await replica(api, 'injector-a', { periodMs: 200, healPacingMs: 20, requestTimeoutMs: 1000 });
  await eventually(() => leads(injector), 5000, 'leading');
});
afterAll(async () => {
  await injector.stop();
  await api.stop();
});

const uidOf = (kind: 'Deployment' | 'StatefulSet', namespace: string, name: string) =>
  (api.workload(kind, namespace, name)?.metadata as { uid: string }).uid;

describe('Events found where kubectl describe looks', () => {
  it.each([
    {
      name: 'TelemetryConfigMissing on a Deployment (its uid from the listing)',
      reason: 'TelemetryConfigMissing',
      object: () => ({
        kind: 'Deployment',
        namespace: 'reported',
        name: 'aigw',
        uid: uidOf('Deployment', 'reported', 'aigw'),
      }),
    },
    {
      name: 'TelemetryConfigMissing on a StatefulSet',
      reason: 'TelemetryConfigMissing',
      object: () => ({
        kind: 'StatefulSet',
        namespace: 'reported',
        name: 'proc',
        uid: uidOf('StatefulSet', 'reported', 'proc'),
      }),
    },
    {
      name: 'TelemetryConfigRollout on a rolled Deployment',
      reason: 'TelemetryConfigRollout',
      act: () => {
        api.setNamespace('rolled', { ...endpoint('https://collector-2:4317'), [a('auto-rollout')]: 'true' });
        return Promise.resolve();
      },
      object: () => ({
        kind: 'Deployment',
        namespace: 'rolled',
        name: 'aigw',
        uid: uidOf('Deployment', 'rolled', 'aigw'),
      }),
    },
    {
      name: "an injection warning on the pod's owner (its uid from the pod's ownerReferences)",
      reason: 'CollectorCAMissing',
      act: async () => {
        await injector.post(review(corePod(), { namespace: 'warned' })).expect(200);
      },
      object: () => ({ kind: 'ReplicaSet', namespace: 'warned', name: 'aigw-6d4b9c7f8d', uid: REPLICA_SET_UID }),
    },
  ])('$name', async ({ reason, act, object }) => {
    await act?.();
    const described = () => api.describedEvents(object()).filter((e) => e.reason === reason);
    await eventually(() => described().length > 0, 5000, `no ${reason} Event under ${object().kind}/${object().name}`);
    expect(described()[0]?.involvedObject).toEqual({ apiVersion: 'apps/v1', ...object() });
  });
});
