/**
 * The parts of a Pod the injector reads or writes, as structural types over the JSON the API server sends.
 * Every other field rides along untouched: pods are never rebuilt from a typed model.
 */
interface Open {
  [k: string]: unknown;
}
export interface EnvVar extends Open {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
export interface VolumeMount extends Open {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
export interface Container extends Open {
  name: string;
  image?: string;
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
}
export interface Volume extends Open {
  name: string;
  configMap?: { name?: string; [k: string]: unknown };
}
export interface PodMetadata extends Open {
  name?: string;
  generateName?: string;
  namespace?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}
export interface PodSpec extends Open {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
}
export interface Pod extends Open {
  metadata?: PodMetadata;
  spec: PodSpec;
}

// The API server refuses a pod whose annotations (keys and values) exceed 256 KiB, but only after admission.
// Such a pod never runs, so it is not decided on: that spares the work a tenant's 100,000 keys would cost.
export const MAX_ANNOTATIONS_SIZE = 256 * 1024;

/** Keys plus values, in UTF-16 units: never more than the bytes the API server counts. */
function annotationsSize(annotations: Record<string, unknown>): number {
  let size = 0;
  // Stryker disable next-line ConditionalExpression: called only on a map already checked to hold strings.
  for (const [k, v] of Object.entries(annotations)) size += k.length + (typeof v === 'string' ? v.length : 0);
  return size;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStringMap = (x: unknown): boolean => isRecord(x) && Object.values(x).every((v) => typeof v === 'string');
const optional = (x: unknown, check: (y: unknown) => boolean): boolean => x === undefined || check(x);
const arrayOf = (check: (y: unknown) => boolean) => (x: unknown) => Array.isArray(x) && x.every(check);
const named = (x: unknown): x is { name: string } & Record<string, unknown> =>
  isRecord(x) && typeof x.name === 'string';

const isEnvVar = (x: unknown): boolean => named(x) && optional(x.value, (v) => typeof v === 'string');
const isMount = (x: unknown): boolean => named(x) && typeof x.mountPath === 'string';
const isVolume = (x: unknown): boolean => named(x) && optional(x.configMap, isRecord);
const isContainer = (x: unknown): boolean =>
  named(x) &&
  optional(x.image, (v) => typeof v === 'string') &&
  optional(x.env, arrayOf(isEnvVar)) &&
  optional(x.volumeMounts, arrayOf(isMount));

/**
 * The first part of a pod that does not have the shape the injector relies on, or undefined if all is well.
 * The API server only sends valid pods; this guards against everything else that can reach the port.
 */
export function podShapeProblem(x: unknown): string | undefined {
  if (!isRecord(x)) return 'object is not a JSON object';
  const { metadata, spec } = x;
  if (!optional(metadata, isRecord)) return 'metadata is not an object';
  if (isRecord(metadata)) {
    if (!optional(metadata.annotations, isStringMap)) return 'metadata.annotations is not a map of strings';
    if (isRecord(metadata.annotations) && annotationsSize(metadata.annotations) > MAX_ANNOTATIONS_SIZE) {
      return 'metadata.annotations exceed the 256 KiB the API server allows';
    }
    if (!optional(metadata.labels, isStringMap)) return 'metadata.labels is not a map of strings';
  }
  if (!isRecord(spec)) return 'spec is missing';
  if (!arrayOf(isContainer)(spec.containers)) return 'spec.containers is not a list of containers';
  if (!optional(spec.initContainers, Array.isArray)) return 'spec.initContainers is not a list';
  if (!optional(spec.volumes, arrayOf(isVolume))) return 'spec.volumes is not a list of volumes';
  return undefined;
}
