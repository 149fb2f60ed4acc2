import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server speaking Grafana Loki's push API (POST /loki/api/v1/push, JSON body) for
 * tests and benchmarks. Like Loki it stores an entry once when stream, timestamp and line
 * all equal an existing entry; `received` counts every entry pushed, duplicates included.
 * It can be stopped and started again on the same port to simulate an outage, or told to
 * answer errors.
 */
export interface LokiStoredEntry {
  labels: Record<string, string>;
  timestampNs: string;
  line: string;
}

export interface LocalLoki {
  url: string;
  port: number;
  /** Unique entries, in arrival order. */
  entries: LokiStoredEntry[];
  /** Every entry pushed, duplicates included. */
  received: number;
  /** Headers of every push request. */
  requests: IncomingHttpHeaders[];
  /** Parsed JSON lines of the unique entries. */
  lines<T = Record<string, unknown>>(): T[];
  /** Answer the next `count` pushes with this status instead of storing them. */
  failNext(count: number, status?: number): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalLoki(options: { port?: number } = {}): Promise<LocalLoki> {
  const seen = new Set<string>();
  let failures = 0;
  let failStatus = 503;
  let server: Server | null = null;
  let port = options.port ?? 0;

  const loki: LocalLoki = {
    url: '',
    port: 0,
    entries: [],
    received: 0,
    requests: [],
    lines: <T>() => loki.entries.map((e) => JSON.parse(e.line) as T),
    failNext(count, status = 503) {
      failures = count;
      failStatus = status;
    },
    async start() {
      if (server) return;
      const s = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (req.method !== 'POST' || req.url !== '/loki/api/v1/push') {
            res.writeHead(404).end('404 page not found\n');
            return;
          }
          loki.requests.push(req.headers);
          if (failures > 0) {
            failures--;
            res.writeHead(failStatus).end('injected failure\n');
            return;
          }
          let body: {
            streams?: Array<{ stream: Record<string, string>; values: [string, string][] }>;
          };
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            res.writeHead(400).end('invalid JSON\n');
            return;
          }
          for (const stream of body.streams ?? []) {
            for (const [ts, line] of stream.values) {
              loki.received++;
              const key = `${JSON.stringify(stream.stream)}\u0000${ts}\u0000${line}`;
              if (seen.has(key)) continue;
              seen.add(key);
              loki.entries.push({ labels: stream.stream, timestampNs: ts, line });
            }
          }
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      port = (s.address() as AddressInfo).port;
      loki.port = port;
      loki.url = `http://127.0.0.1:${port}`;
      server = s;
    },
    async stop() {
      const s = server;
      if (!s) return;
      server = null;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    close: () => loki.stop(),
  };
  await loki.start();
  return loki;
}
