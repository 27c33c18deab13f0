/**
 * Deadlines of the real-cluster tests of issue 19 §3 (auto-rollout, drift, second webhook, namespace watch, leader,
 * certificates), in one place. They are ceilings on a loaded 2-core machine, never expectations: every wait polls
 * for its condition and ends as soon as it holds.
 */

/** beforeAll: etcd, kube-apiserver and kube-controller-manager (up to 90 s each when loaded), install, workloads. */
export const START_MS = 300_000;
/** afterAll: each process gets SIGTERM, then SIGKILL after 10 s; the injector drains within 8 s. */
export const STOP_MS = 60_000;
/** One test: a reaction or two (REACT_MS) plus its kubectl calls. */
export const TEST_MS = 120_000;
/** A reaction to a change: a controller's new ReplicaSet or pod, a rollout or heal patch, an Event, a gauge. */
export const REACT_MS = 60_000;
/** The first Lease step: taken right after the first namespace list, then every 2 s. */
export const LEAD_MS = 30_000;
