/**
 * One configuration change rolls a workload once (issue 18, 2): the drift monitor does not heal a workload that
 * auto-rollout is rolling, nor one whose template already asks for the current configuration, whichever
 * annotation carries it; and auto-rollout does not roll again a template a heal has brought up to date.
 * The stand-in runs no controllers, so the old pods stay running and stale, as they do for the tens of seconds a
 * real rollout takes: every scan of the drift monitor sees them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configHash, CONFIG_HASH } from '../../src/core/rollout.js';
import { HEALED } from '../../src/rollout/drift-monitor.js';
import { eventually } from '../helpers/eventually.js';
import type { TestInjector } from '../helpers/injector.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';
import {
  a,
  admittedPod,
  leads,
  missingPod,
  patchesOf,
  quietFor,
  replica,
  template,
  templateAnnotations,
} from './drift-setup.js';

const config = (endpoint: string) => ({ [a('endpoint')]: endpoint, [a('auto-rollout')]: 'true' });
const first = config('https://collector:4317');
const second = config('https://collector-2:4317');
// Scans every 200 ms: a second patch, if any, would come within a few of them.
const DRIFT = { periodMs: 200, healPacingMs: 20, requestTimeoutMs: 1000 };

let api: StandInApiServer;
let injector: TestInjector;
beforeAll(async () => {
  api = await new StandInApiServer().start();
  // Configured at the first configuration; the change below makes its pod stale.
  api.setNamespace('changes', first);
  api.setWorkload('Deployment', 'changes', 'aigw', template());
  admittedPod(api, 'changes', 'aigw', first);
  // Pods that missed their configuration, of templates already asking for the current one (a rollout under way).
  api.setNamespace('asks', second);
  const now = configHash(second);
  const asking: [string, Record<string, string>][] = [
    ['by-config-hash', { [CONFIG_HASH]: now }],
    ['by-healed', { [HEALED]: now }],
    ['healed-after-an-older-rollout', { [CONFIG_HASH]: 'feedfacefeedface', [HEALED]: now }],
  ];
  for (const [name, annotations] of asking) {
    api.setWorkload('Deployment', 'asks', name, template(annotations));
    missingPod(api, 'asks', name);
  }
  // Healed at the first configuration: a later rollout takes over, and a revert must still roll.
  api.setNamespace('reverts', first);
  api.setWorkload('Deployment', 'reverts', 'aigw', template({ [HEALED]: configHash(first) }));
  admittedPod(api, 'reverts', 'aigw', first);
  injector = await replica(api, 'injector-a', DRIFT);
  await eventually(() => leads(injector), 5000, 'leading');
});
afterAll(async () => {
  await injector.stop();
  await api.stop();
});

describe('one configuration change, one rollout', () => {
  it('a change in an auto-rollout namespace patches its workload once: config-hash, no heal after it', async () => {
    api.setNamespace('changes', second);
    await eventually(() => templateAnnotations(api, 'Deployment', 'changes', 'aigw')[CONFIG_HASH] !== undefined, 5000);
    await quietFor(1500); // seven periods of the drift monitor, every one of them seeing the stale pod
    expect(patchesOf(api, 'changes', 'aigw')).toBe(1);
    expect(templateAnnotations(api, 'Deployment', 'changes', 'aigw')).toEqual({ [CONFIG_HASH]: configHash(second) });
  });

  it('a rollout of a healed template removes healed, so a revert rolls it back: two changes, two patches', async () => {
    const annotations = () => templateAnnotations(api, 'Deployment', 'reverts', 'aigw');
    api.setNamespace('reverts', second);
    await eventually(() => annotations()[CONFIG_HASH] === configHash(second), 5000, 'rolled to the second');
    expect(annotations()).toEqual({ [CONFIG_HASH]: configHash(second) });
    api.setNamespace('reverts', first);
    await eventually(() => annotations()[CONFIG_HASH] === configHash(first), 5000, 'rolled back to the first');
    await quietFor(1000); // five scans, each seeing pods admitted under one configuration or the other
    expect(patchesOf(api, 'reverts', 'aigw')).toBe(2);
    expect(annotations()).toEqual({ [CONFIG_HASH]: configHash(first) });
  });

  it.each(['by-config-hash', 'by-healed', 'healed-after-an-older-rollout'])(
    'a template already asking for the current configuration (%s) is neither healed nor rolled',
    async (name) => {
      await quietFor(1000); // the catch-up of a new leader and five scans have come and gone
      expect(patchesOf(api, 'asks', name)).toBe(0);
    },
  );
});
