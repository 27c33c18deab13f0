import { Agent, request } from 'node:https';

export interface LoadResult {
  /** 200 with a whole AdmissionReview allowing the pod. */
  ok: number;
  /** A status line or bytes came back, but not a whole good answer: what must never happen. */
  halfAnswered: string[];
  /** No byte of an answer: connection refused or closed before the request was read. Safe to retry. */
  notAnswered: string[];
  /** When each outcome happened, to tell before and after an event. */
  timeline: { at: number; kind: 'ok' | 'half' | 'none' }[];
}

/**
 * How many reviews were answered in full at or after `since` (ms since the epoch): that load kept flowing through a
 * phase, whatever rate a busy machine allows.
 */
export const answeredSince = (result: LoadResult, since: number): number =>
  result.timeline.filter((t) => t.kind === 'ok' && t.at >= since).length;

/** Posts reviews in a loop over keep-alive connections, as the API server does, until `stop()`. */
export function keepSending(port: number, ca: Buffer | (() => Buffer), body: string, workers = 4) {
  let agent = new Agent({ keepAlive: true, maxSockets: workers });
  const result: LoadResult = { ok: 0, halfAnswered: [], notAnswered: [], timeline: [] };
  let running = true;
  const record = (kind: 'ok' | 'half' | 'none', detail?: string) => {
    result.timeline.push({ at: Date.now(), kind });
    if (kind === 'ok') result.ok++;
    else (kind === 'half' ? result.halfAnswered : result.notAnswered).push(detail ?? '');
  };
  const one = () =>
    new Promise<void>((resolve) => {
      let answered = false;
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/mutate-pods?timeout=10s',
          method: 'POST',
          agent,
          ca: typeof ca === 'function' ? ca() : ca,
          servername: 'localhost',
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        },
        (res) => {
          answered = true;
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('error', (e) => (record('half', e.message), resolve()));
          res.on('end', () => {
            const good = res.statusCode === 200 && /"allowed":true/.test(text) && text.trim().endsWith('}');
            record(good ? 'ok' : 'half', `HTTP ${res.statusCode}: ${text.slice(0, 100)}`);
            resolve();
          });
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (!answered) record('none', e.code ?? e.message);
        resolve();
      });
      req.end(body);
    });
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      await one();
      // After a refusal, pause like a client backing off rather than spinning.
      if (result.timeline.at(-1)?.kind === 'none') await new Promise((r) => setTimeout(r, 20));
    }
  });
  return {
    result,
    /** New connections from here on (after a CA change, say). */
    reconnect: () => {
      agent.destroy();
      agent = new Agent({ keepAlive: true, maxSockets: workers });
    },
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return result;
    },
  };
}
