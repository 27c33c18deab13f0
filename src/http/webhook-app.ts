import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { bodyBudget } from './body-budget.js';
import { jsonBody } from './json-body.js';
import type { AdmissionReview } from '../admission/review.js';
import type { Webhook } from '../observability/metrics.js';
import { badRequest, closeIfUnread, reviewRoute, type Handled, type RouteDeps } from './review-route.js';

// The API server caps its own requests near 3 MiB and a review carries object and oldObject;
// 7 MiB leaves room for two legal 1 MiB pods plus JSON overhead, and refuses anything larger.
export const BODY_LIMIT_BYTES = 7 * 1024 * 1024;
// Bodies held at once across all connections. A review is ~5-15 KB, so this is hundreds of honest reviews at
// once, but only one of the largest: a hostile 5 MB body can take ~100 MB of heap while it is parsed and decided
// (measured by test/http/hostile.test.ts), and the container's limit is 256 MiB.
export const IN_FLIGHT_BODY_BYTES = 8 * 1024 * 1024;

export type ReviewHandler = (review: AdmissionReview) => Promise<Handled>;

/** The routes the server answers; the webhook configurations in manifests/ must point at these. */
export const PATHS: Readonly<Record<Webhook, string>> = {
  'mutate-pods': '/mutate-pods',
  'validate-namespaces': '/validate-namespaces',
};

/** The HTTPS side: the admission webhooks and nothing else. */
export function createWebhookApp(handlers: Readonly<Record<Webhook, ReviewHandler>>, deps: RouteDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const budget = bodyBudget(IN_FLIGHT_BODY_BYTES);
  for (const webhook of Object.keys(PATHS) as Webhook[]) {
    const path = PATHS[webhook];
    app.post(
      path,
      requireJson(webhook, deps),
      jsonBody(webhook, BODY_LIMIT_BYTES, deps, budget),
      reviewRoute(webhook, handlers[webhook], deps),
    );
    app.all(path, (_req, res) => {
      closeIfUnread(res);
      res.status(405).set('Allow', 'POST').json({ error: 'method not allowed; POST an AdmissionReview' });
    });
  }
  app.use((_req, res) => {
    closeIfUnread(res);
    res.status(404).json({ error: 'not found' });
  });
  app.use(bodyErrors(deps));
  return app;
}

function requireJson(webhook: Webhook, deps: RouteDeps): RequestHandler {
  return (req, res, next) => {
    const type = req.is('application/json');
    if (type === 'application/json') return next();
    if (type === null) return badRequest(res, 400, 'empty body; POST an AdmissionReview', { webhook, ...deps });
    badRequest(res, 415, 'content type must be application/json', { webhook, ...deps });
  };
}

const webhookAt = (path: string): Webhook | 'unknown' =>
  (Object.keys(PATHS) as Webhook[]).find((w) => PATHS[w] === path) ?? 'unknown';

/** The last resort: an error from express itself (a malformed URL, say) is the client's, never a 5xx. */
function bodyErrors(deps: RouteDeps): ErrorRequestHandler {
  return (err: { status?: number; message?: string }, req, res, _next) => {
    const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 400;
    deps.logger.warn({ err: err.message, path: req.path }, 'request refused by express');
    badRequest(res, status, 'bad request', { webhook: webhookAt(req.path), ...deps });
  };
}
