import {
  ApiException,
  Observable,
  type ConfigurationOptions,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';

/** An error from the API server (with its HTTP status) or from the way there (status undefined). */
export class KubeError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/** Per-request deadline: client-node has no timeout option, so each call gets an AbortSignal. */
export function withTimeout(ms: number, extra?: { contentType: string }): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(AbortSignal.timeout(ms));
          if (extra !== undefined) ctx.setHeaderParam('Content-Type', extra.contentType);
          return new Observable(Promise.resolve(ctx));
        },
        post: (ctx: ResponseContext) => new Observable(Promise.resolve(ctx)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

export function asKubeError(error: unknown): KubeError {
  if (error instanceof KubeError) return error;
  if (error instanceof ApiException) return new KubeError(`API server answered ${error.code}`, error.code);
  const name = (error as { name?: string }).name;
  if (name === 'AbortError' || name === 'TimeoutError') return new KubeError('request timed out', undefined);
  const statusCode = (error as { statusCode?: number }).statusCode;
  return new KubeError(error instanceof Error ? error.message : String(error), statusCode);
}

export async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (error) {
    throw asKubeError(error);
  }
}

/** The call's result, or null when the API server answers 404. */
export async function absentOn404<T>(f: () => Promise<T>): Promise<T | null> {
  try {
    return await call(f);
  } catch (error) {
    if (error instanceof KubeError && error.status === 404) return null;
    throw error;
  }
}
