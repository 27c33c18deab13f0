import { Agent, request } from 'node:https';

export interface LoadResult {
  ok: number;
  failed: number;
  errors: string[];
}

/** Posts reviews in a loop over keep-alive connections, as the API server does, until `stop()`. */
export function keepSending(port: number, ca: Buffer | (() => Buffer), body: string, workers = 4) {
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const result: LoadResult = { ok: 0, failed: 0, errors: [] };
  let running = true;
  const one = () =>
    new Promise<void>((resolve) => {
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
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => {
            const good = res.statusCode === 200 && text.includes('"allowed":true');
            if (good) result.ok++;
            else {
              result.failed++;
              result.errors.push(`HTTP ${res.statusCode}: ${text.slice(0, 100)}`);
            }
            resolve();
          });
        },
      );
      req.on('error', (e) => {
        result.failed++;
        result.errors.push(e.message);
        resolve();
      });
      req.end(body);
    });
  const loops = Array.from({ length: workers }, async () => {
    while (running) await one();
  });
  return {
    result,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return result;
    },
  };
}
