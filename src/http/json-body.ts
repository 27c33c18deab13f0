import type { RequestHandler } from 'express';
import { badRequest, type RouteDeps } from './review-route.js';
import type { Webhook } from '../observability/metrics.js';

const UTF8 = /^utf-?8$/i;

/**
 * Reads an AdmissionReview body: bounded, UTF-8, uncompressed (the API server sends nothing else), parsed once.
 * Refuses with 413 past the limit (without reading on), 415 for another charset or an encoding, 400 for bad JSON.
 */
export function jsonBody(webhook: Webhook, limit: number, deps: RouteDeps): RequestHandler {
  const refuse = (res: Parameters<RequestHandler>[1], status: number, error: string) =>
    badRequest(res, status, error, { webhook, ...deps });
  return (req, res, next) => {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity')
      return refuse(res, 415, 'unsupported content encoding or charset');
    const charset = /;\s*charset="?([^";]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && !UTF8.test(charset))
      return refuse(res, 415, 'unsupported content encoding or charset');
    if (Number(req.headers['content-length'] ?? 0) > limit) return refuse(res, 413, `body larger than ${limit} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      refuse(res, 413, `body larger than ${limit} bytes`);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (size > limit) return;
      try {
        req.body = JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as unknown;
      } catch {
        return refuse(res, 400, 'body is not valid JSON');
      }
      next();
    });
  };
}
