import type { Operation } from '../core/patch.js';
import type { AdmissionReview, ApiVersion } from './review.js';

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly patchType?: 'JSONPatch';
  readonly patch?: string;
  readonly warnings?: readonly string[];
  readonly status?: { readonly code: number; readonly reason?: string; readonly message: string };
}

export interface AdmissionReviewResponse {
  readonly apiVersion: ApiVersion;
  readonly kind: 'AdmissionReview';
  readonly response: AdmissionResponse;
}

const withWarnings = (warnings: readonly string[]) => (warnings.length > 0 ? { warnings } : {});

/** Admitted unchanged. */
export const allowed = (uid: string, warnings: readonly string[] = []): AdmissionResponse => ({
  uid,
  allowed: true,
  ...withWarnings(warnings),
});

/** Admitted with a patch; an empty patch is no patch at all (no patchType either). */
export const patched = (uid: string, ops: readonly Operation[], warnings: readonly string[] = []): AdmissionResponse =>
  ops.length === 0
    ? allowed(uid, warnings)
    : {
        uid,
        allowed: true,
        patchType: 'JSONPatch',
        patch: Buffer.from(JSON.stringify(ops)).toString('base64'),
        ...withWarnings(warnings),
      };

/** Refused, with a message the API server shows to the client after its own prefix. */
export const denied = (uid: string, message: string, warnings: readonly string[] = []): AdmissionResponse => ({
  uid,
  allowed: false,
  status: { code: 400, reason: 'BadRequest', message },
  ...withWarnings(warnings),
});

/** Our own failure: admitted unchanged so no deploy is ever blocked by it, with a warning that says so. */
export const failedOpen = (uid: string): AdmissionResponse =>
  allowed(uid, ['aigw-otel-injector: internal error; admitted unchanged, nothing injected']);

/** Wraps a response in an AdmissionReview of the request's own apiVersion. */
export const reviewOf = (
  request: Pick<AdmissionReview, 'apiVersion'>,
  response: AdmissionResponse,
): AdmissionReviewResponse => ({
  apiVersion: request.apiVersion,
  kind: 'AdmissionReview',
  response,
});
