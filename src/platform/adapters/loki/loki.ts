/**
 * Grafana Loki push API client (POST {LOKI_URL}/loki/api/v1/push, JSON body):
 * `{ streams: [{ stream: { label: value }, values: [[ "<unix ns>", "<line>" ], …] }] }`.
 * Entries with the same label set are grouped into one stream. Optional basic auth
 * (Grafana Cloud: instance id + API token) and `X-Scope-OrgID` for multi-tenant Loki.
 */
export interface LokiEntry {
  labels: Record<string, string>;
  /** Unix epoch in nanoseconds, as a decimal string. */
  timestampNs: string;
  line: string;
}

export interface LokiClient {
  push(entries: LokiEntry[]): Promise<void>;
}

export interface LokiOptions {
  url: string;
  username?: string;
  password?: string;
  tenantId?: string;
  timeoutMs?: number;
}

export class LokiPushError extends Error {
  /** HTTP status, or undefined when Loki could not be reached at all. */
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LokiPushError';
    this.status = status;
  }
  /**
   * 400 means Loki refused the entries themselves (too old, too long, bad labels): sending
   * them again cannot succeed. Everything else (unreachable, 401/403 misconfiguration,
   * 429 rate limit, 5xx) may succeed later and is retried.
   */
  get permanent(): boolean {
    return this.status === 400;
  }
}

export function createLokiClient(options: LokiOptions): LokiClient {
  const endpoint = new URL(
    'loki/api/v1/push',
    options.url.endsWith('/') ? options.url : `${options.url}/`,
  );
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.username !== undefined || options.password !== undefined) {
    const pair = `${options.username ?? ''}:${options.password ?? ''}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  if (options.tenantId) headers['x-scope-orgid'] = options.tenantId;
  const timeoutMs = options.timeoutMs ?? 5_000;

  return {
    async push(entries) {
      if (entries.length === 0) return;
      const streams = new Map<string, { stream: Record<string, string>; values: string[][] }>();
      for (const entry of entries) {
        const key = JSON.stringify(Object.entries(entry.labels).sort());
        let stream = streams.get(key);
        if (!stream) {
          stream = { stream: entry.labels, values: [] };
          streams.set(key, stream);
        }
        stream.values.push([entry.timestampNs, entry.line]);
      }
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers,
          body: JSON.stringify({ streams: [...streams.values()] }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new LokiPushError(`Loki unreachable: ${(err as Error).message}`, undefined, {
          cause: err,
        });
      }
      if (!response.ok) {
        const text = (await response.text().catch(() => '')).slice(0, 500);
        throw new LokiPushError(`Loki answered ${response.status}: ${text}`, response.status);
      }
      // Drain the body so the connection can be reused.
      await response.arrayBuffer().catch(() => undefined);
    },
  };
}
