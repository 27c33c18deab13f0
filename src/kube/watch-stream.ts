import type { KubeConfig } from '@kubernetes/client-node';
import { request as httpRequest, STATUS_CODES, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { createInterface } from 'node:readline';

/** An error before or during a watch; `statusCode` when the API server answered with one. */
export type WatchError = Error & { statusCode?: number };

/**
 * A Kubernetes watch over Node's own HTTP client, with client-node's credentials. client-node's `Watch` cannot be
 * cancelled before the response's headers arrive (its signal is replaced by one only returned after them), so a
 * stalled API server would hold the informer forever; here a deadline covers the headers, and the returned
 * function ends the watch at any time. Each line of the stream is one event; `onDone` is called exactly once.
 */
export interface WatchRequest {
  readonly path: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly headersTimeoutMs: number;
}

export async function openWatch(
  kc: KubeConfig,
  { path, params, headersTimeoutMs }: WatchRequest,
  onEvent: (type: string, object: Record<string, unknown>) => void,
  onDone: (error: WatchError | undefined) => void,
): Promise<() => void> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error('no current cluster in the Kubernetes configuration');
  const url = new URL(cluster.server + path);
  url.searchParams.set('watch', 'true');
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, String(value));
  const options: RequestOptions = {};
  await kc.applyToHTTPSOptions(options);

  const controller = new AbortController();
  let done = false;
  const finish = (error: WatchError | undefined) => {
    if (done) return;
    done = true;
    clearTimeout(deadline);
    controller.abort();
    onDone(error);
  };
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  const req = send(url, { ...options, method: 'GET', signal: controller.signal }, (res) => {
    clearTimeout(deadline);
    // Ending the watch aborts the response too, which then emits an error: expected, and handled here.
    res.on('error', (error) => finish(error));
    if (res.statusCode !== 200) {
      res.resume();
      const code = res.statusCode ?? 0;
      return finish(Object.assign(new Error(STATUS_CODES[code] ?? `HTTP ${code}`), { statusCode: code }));
    }
    stream(res, onEvent, finish);
  });
  const deadline = setTimeout(
    () => finish(new Error(`watch: no response headers within ${headersTimeoutMs} ms`)),
    headersTimeoutMs,
  );
  // Aborting is how a watch ends: not an error once `finish` has run.
  req.on('error', (error) => finish(error));
  req.end();
  return () => finish(undefined);
}

function stream(
  res: IncomingMessage,
  onEvent: (type: string, object: Record<string, unknown>) => void,
  finish: (error: WatchError | undefined) => void,
): void {
  const lines = createInterface({ input: res, crlfDelay: Infinity });
  // readline re-emits the response's errors (a cut connection) on itself.
  lines.on('error', (error: Error) => finish(error));
  lines.on('line', (line) => {
    let event: { type?: unknown; object?: unknown };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      return; // a torn line: the watchdog or the next watch catches what it carried
    }
    if (typeof event.type === 'string' && typeof event.object === 'object' && event.object !== null) {
      onEvent(event.type, event.object as Record<string, unknown>);
    }
  });
  lines.on('close', () => finish(undefined));
}
