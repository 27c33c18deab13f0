import type { RequestHandler } from 'express';
import { badRequest, type RouteDeps } from './review-route.js';
import type { Webhook } from '../observability/metrics.js';
import type { BodyBudget } from './body-budget.js';

const UTF8 = /^utf-?8$/i;

// What a client should wait before trying again when the body budget is spent; the API server does not retry,
// it applies failurePolicy (Ignore admits the pod), so this is for other clients.
const RETRY_AFTER_SECONDS = '1';

/**
 * Reads an AdmissionReview body: bounded, UTF-8, uncompressed (the API server sends nothing else), parsed once.
 * Refuses with 413 past the limit (without reading on), 415 for another charset or an encoding, 400 for bad JSON,
 * and 429 when the bodies in flight on all connections would exceed the shared budget.
 */
export function jsonBody(webhook: Webhook, limit: number, deps: RouteDeps, budget: BodyBudget): RequestHandler {
  const refuse = (res: Parameters<RequestHandler>[1], status: number, error: string) =>
    badRequest(res, status, error, { webhook, ...deps });
  const busy = (res: Parameters<RequestHandler>[1]) => {
    res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
    refuse(res, 429, 'too many large reviews in flight; retry');
  };
  return (req, res, next) => {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity')
      return refuse(res, 415, 'unsupported content encoding or charset');
    const charset = /;\s*charset="?([^";]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && !UTF8.test(charset))
      return refuse(res, 415, 'unsupported content encoding or charset');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return refuse(res, 413, `body larger than ${limit} bytes`);
    // Reserve what the request declares up front (the API server always sends Content-Length), the rest as it comes.
    if (!budget.take(declared)) return busy(res);
    let reserved = declared;
    res.once('close', () => budget.give(reserved));
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const stop = (answer: () => void) => {
      refused = true;
      req.off('data', onData);
      answer();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return stop(() => refuse(res, 413, `body larger than ${limit} bytes`));
      if (size > reserved) {
        if (!budget.take(size - reserved)) return stop(() => busy(res));
        reserved = size;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (refused) return;
      try {
        req.body = JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as unknown;
      } catch {
        return refuse(res, 400, 'body is not valid JSON');
      }
      next();
    });
  };
}
