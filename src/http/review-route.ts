import type { Request, RequestHandler, Response } from 'express';
import type { AdmissionResponse } from '../admission/responses.js';
import { failedOpen, reviewOf } from '../admission/responses.js';
import { objectName, parseReview, type AdmissionReview } from '../admission/review.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics, Outcome, Webhook } from '../observability/metrics.js';

/** What a webhook's pure handler returns: the answer, and the fields that explain it in logs and metrics. */
export interface Handled {
  readonly response: AdmissionResponse;
  readonly reason: string;
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly error?: unknown;
}

export interface RouteDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** True once SIGTERM arrived: answers then tell keep-alive clients to reconnect elsewhere. */
  readonly isShuttingDown: () => boolean;
}

/**
 * The HTTP side of one admission webhook: checks the body is an AdmissionReview, runs the handler,
 * answers in the request's apiVersion with its uid, and writes one log line and the metrics.
 */
export function reviewRoute(
  webhook: Webhook,
  handle: (review: AdmissionReview) => Promise<Handled>,
  deps: RouteDeps,
): RequestHandler {
  const { logger } = deps;
  const count = reviewCounter(webhook, deps.metrics);
  const duration = deps.metrics.reviewDuration.labels({ webhook });
  return async (req: Request, res: Response) => {
    const started = process.hrtime.bigint();
    const parsed = parseReview(req.body);
    if (!parsed.ok) {
      badRequest(res, 400, parsed.reason, { webhook, ...deps });
      return;
    }
    const review = parsed.value;
    const { request } = review;
    let handled: Handled;
    try {
      handled = await handle(review);
    } catch (error) {
      // The handlers fail open themselves; this catches a fault in that very code.
      handled = { response: failedOpen(request.uid), reason: 'internal-error', error };
    }
    closeIfDraining(res, deps);
    sendJson(res, 200, reviewOf(review, handled.response));

    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const outcome = outcomeOf(handled);
    count(outcome, handled.reason);
    duration.observe(seconds);
    const line = {
      webhook,
      uid: request.uid,
      namespace: request.namespace,
      name: objectName(request),
      operation: request.operation,
      dryRun: request.dryRun === true || undefined,
      outcome,
      reason: handled.reason,
      warnings: handled.response.warnings?.length ?? 0,
      ...handled.fields,
      durationMs: Math.round(seconds * 1e6) / 1e3,
    };
    if (handled.error === undefined) logger.info(line, 'review');
    else logger.error({ ...line, error: describe(handled.error) }, 'review failed open');
  };
}

/**
 * `reviews_total` for one webhook, its labelled children kept: prom-client otherwise sorts and joins the label
 * names and values into a key on every increment. Outcomes and reasons are closed sets, so the map stays small.
 */
function reviewCounter(webhook: Webhook, metrics: Metrics) {
  const children = new Map<string, { inc(): void }>();
  return (outcome: Outcome, reason: string) => {
    const key = `${outcome} ${reason}`;
    let child = children.get(key);
    if (child === undefined) {
      child = metrics.reviews.labels({ webhook, outcome, reason });
      children.set(key, child);
    }
    child.inc();
  };
}

function outcomeOf({ response, error }: Handled): Outcome {
  if (error !== undefined) return 'failed_open';
  if (!response.allowed) return 'denied';
  return response.patch === undefined ? 'allowed' : 'patched';
}

interface BadRequestDeps extends RouteDeps {
  readonly webhook: Webhook | 'unknown';
}

/** A request that is not a review we can answer: a short JSON error, never a 5xx. */
export function badRequest(res: Response, status: number, error: string, deps: BadRequestDeps) {
  const { webhook, metrics, logger } = deps;
  closeIfUnread(res);
  if (webhook !== 'unknown') metrics.reviews.inc({ webhook, outcome: 'bad_request', reason: `http-${status}` });
  logger.warn({ webhook, status, error }, 'bad request');
  if (res.headersSent) return;
  closeIfDraining(res, deps);
  res.status(status).json({ error });
}

/**
 * Answering before the request body was read leaves bytes on the connection that a keep-alive client
 * would trip over: say `Connection: close` so it opens a fresh one instead.
 */
export function closeIfUnread(res: Response): void {
  if (!res.req.complete && !res.headersSent) res.setHeader('Connection', 'close');
}

function closeIfDraining(res: Response, { isShuttingDown }: RouteDeps): void {
  if (isShuttingDown()) res.setHeader('Connection', 'close');
}

/**
 * What express's `res.json` sends for a POST, written as one string: `res.send` turns a body of 1,000 characters or
 * more into a Buffer, which Node then writes apart from the headers; a bare https server under load spent ~40 µs
 * more CPU per answer that way than with the same bytes as a string. Same status, headers, order and bytes
 * (test/http/answer-bytes.test.ts).
 */
export function sendJson(res: Response, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Name, message and the top of the stack: enough to debug, with no request data in it. */
function describe(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return { type: error.name, message: error.message, stack: error.stack?.split('\n').slice(0, 6).join('\n') };
}
