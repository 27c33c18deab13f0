import { fail, ok, type Parsed } from '../core/result.js';

export const API_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];

interface GroupVersionKind {
  group?: string;
  version?: string;
  kind?: string;
}
interface GroupVersionResource {
  group?: string;
  version?: string;
  resource?: string;
}

/** The fields of an AdmissionRequest the webhooks read; the rest is ignored. */
export interface AdmissionRequest {
  uid: string;
  kind?: GroupVersionKind;
  resource?: GroupVersionResource;
  subResource?: string;
  name?: string;
  namespace?: string;
  operation?: string;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface AdmissionReview {
  apiVersion: ApiVersion;
  kind: 'AdmissionReview';
  request: AdmissionRequest;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const optionalString = (x: unknown) => x === undefined || typeof x === 'string';

/** Checks that a parsed body is an AdmissionReview the webhooks can answer; the reason is safe to return. */
export function parseReview(body: unknown): Parsed<AdmissionReview> {
  if (!isRecord(body)) return fail('body is not a JSON object');
  if (body.kind !== 'AdmissionReview') return fail('kind is not AdmissionReview');
  if (!(API_VERSIONS as readonly unknown[]).includes(body.apiVersion)) {
    return fail(`apiVersion must be one of ${API_VERSIONS.join(', ')}`);
  }
  const { request } = body;
  if (!isRecord(request)) return fail('request is missing');
  if (typeof request.uid !== 'string' || request.uid === '') return fail('request.uid is missing');
  for (const field of ['namespace', 'operation', 'name', 'subResource'] as const) {
    if (!optionalString(request[field])) return fail(`request.${field} is not a string`);
  }
  for (const field of ['kind', 'resource'] as const) {
    if (request[field] !== undefined && !isRecord(request[field])) return fail(`request.${field} is not an object`);
  }
  return ok(body as unknown as AdmissionReview);
}

// Kubernetes names are at most 253 characters; the API server validates them only after admission.
const MAX_LOGGED_NAME = 253;

/** A short, log-safe name for the object under review: its name, or its generateName prefix, cut to a name's length. */
export function objectName(request: AdmissionRequest): string | undefined {
  const metadata = isRecord(request.object) && isRecord(request.object.metadata) ? request.object.metadata : {};
  const name = request.name || metadata.name || metadata.generateName;
  return typeof name === 'string' ? name.slice(0, MAX_LOGGED_NAME) : undefined;
}
