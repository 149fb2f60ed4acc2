import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import {
  createParameters,
  documentOf,
  envelope,
  getParameters,
  listByReference,
  METHODS,
  PERMANENT_ERRORS,
  redacted,
  type Answer,
  type Credentials,
  type DocumentKind,
  type DocumentRequest,
  type RemoteDocument,
} from './eracuni.protocol.ts';

export type {
  DocumentKind,
  DocumentLine,
  DocumentRequest,
  RemoteDocument,
} from './eracuni.protocol.ts';

/**
 * The e-računi client (E8-F5) behind the small interface the invoicing module uses. Every
 * call: a timeout, retries with exponential backoff on 5xx, network errors, timeouts and
 * unreadable answers, none on an error the service reports as permanent (credentials, a
 * refused document); every call and its answer logged, credentials never.
 *
 * Idempotency by our own reference: createDocument first looks the reference up, and
 * looks again before every retried create, so a create that timed out after e-računi did
 * create the document finds it instead of making a second one.
 */
export interface InvoicingGateway {
  createDocument(req: DocumentRequest): Promise<RemoteDocument>;
  findByReference(kind: DocumentKind, reference: string): Promise<RemoteDocument | null>;
  getDocument(kind: DocumentKind, id: string): Promise<RemoteDocument>;
}

/** The service refused the call for good (bad credentials, a document it will not take). */
export class EracuniRejected extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`e-računi refused: ${code}: ${message}`);
    this.name = 'EracuniRejected';
    this.code = code;
  }
}

/** The service could not be reached or answered nothing usable, after every retry. */
export class EracuniUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EracuniUnavailable';
  }
}

class Transient extends Error {}

export interface EracuniClientOptions {
  url: string;
  credentials: Credentials;
  logger?: Logger;
  timeoutMs?: number;
  /** Attempts per call (first one included). */
  attempts?: number;
  /** First backoff; doubles per retry. */
  retryDelayMs?: number;
  /**
   * At most `calls` requests started per `windowMs` (e-računi allows 4 in 4 s per
   * company); a call over it waits its turn. Unset: no limit.
   */
  rateLimit?: { calls: number; windowMs: number };
}

/** A sliding window of call starts: take() resolves when a call may start now. */
function slidingWindow(calls: number, windowMs: number) {
  const starts: number[] = [];
  let queue: Promise<void> = Promise.resolve();
  return () => {
    const turn = queue.then(async () => {
      for (;;) {
        const now = Date.now();
        while (starts.length && starts[0]! <= now - windowMs) starts.shift();
        if (starts.length < calls) {
          starts.push(now);
          return;
        }
        await sleep(starts[0]! + windowMs - now);
      }
    });
    queue = turn;
    return turn;
  };
}

export function createEracuniClient(options: EracuniClientOptions): InvoicingGateway {
  const { url, credentials, logger } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const attempts = options.attempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const throttle = options.rateLimit
    ? slidingWindow(options.rateLimit.calls, options.rateLimit.windowMs)
    : async () => {};

  async function once(method: string, parameters: Record<string, unknown>): Promise<unknown> {
    const body = envelope(credentials, method, parameters);
    await throttle();
    const started = Date.now();
    let text: string;
    let status: number;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      logger?.warn(
        { eracuni: redacted(body), err, ms: Date.now() - started },
        'e-računi call failed',
      );
      throw new Transient(`e-računi ${method}: ${(err as Error).message}`, { cause: err });
    }
    logger?.info(
      { eracuni: redacted(body), status, answer: text.slice(0, 2_000), ms: Date.now() - started },
      'e-računi call',
    );
    if (status >= 500) throw new Transient(`e-računi ${method}: HTTP ${status}`);
    let answer: Answer;
    try {
      answer = JSON.parse(text) as Answer;
      if (!answer?.response || typeof answer.response.status !== 'string') throw new Error();
    } catch {
      throw new Transient(`e-računi ${method}: unreadable answer (HTTP ${status})`);
    }
    if (answer.response.status === 'ok') return answer.response.result;
    const { code, description } = answer.response;
    if (status >= 400 || PERMANENT_ERRORS.includes(code))
      throw new EracuniRejected(code, description);
    throw new Transient(`e-računi ${method}: ${code}: ${description}`);
  }

  /** One call with retries; `beforeRetry` may settle it instead (the lookup of a create). */
  async function call<T>(
    method: string,
    parameters: Record<string, unknown>,
    parse: (result: unknown) => T,
    beforeRetry?: () => Promise<T | null>,
  ): Promise<T> {
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      if (attempt > 1) {
        await sleep(retryDelayMs * 2 ** (attempt - 2));
        const settled = await beforeRetry?.().catch(() => null);
        if (settled) return settled;
      }
      try {
        const result = await once(method, parameters);
        try {
          return parse(result);
        } catch (err) {
          throw new Transient(`e-računi ${method}: ${(err as Error).message}`);
        }
      } catch (err) {
        if (!(err instanceof Transient)) throw err;
        last = err;
      }
    }
    throw new EracuniUnavailable(
      `e-računi unavailable after ${attempts} attempts: ${(last as Error).message}`,
      {
        cause: last,
      },
    );
  }

  const gateway: InvoicingGateway = {
    async findByReference(kind, reference) {
      return call(METHODS[kind].list, listByReference(reference), (result) => {
        const list = Array.isArray(result) ? result : [];
        const found = list.map(documentOf).filter((d) => d.reference === reference);
        return found[0] ?? null;
      });
    },
    async getDocument(kind, id) {
      return call(METHODS[kind].get, getParameters(id), documentOf);
    },
    async createDocument(req) {
      const existing = await gateway.findByReference(req.kind, req.reference);
      if (existing) return existing;
      return call(METHODS[req.kind].create, createParameters(req), documentOf, () =>
        gateway.findByReference(req.kind, req.reference),
      );
    },
  };
  return gateway;
}

export interface EracuniConfig {
  ERACUNI_URL?: string | undefined;
  ERACUNI_USERNAME: string;
  ERACUNI_PW: string;
  ERACUNI_TOKEN: string;
  ERACUNI_TIMEOUT_MS: number;
  ERACUNI_ATTEMPTS: number;
  ERACUNI_CALLS_PER_WINDOW: number;
  ERACUNI_WINDOW_MS: number;
}

const clients = new Map<string, InvoicingGateway>();

/** The process's client for this configuration; undefined with no ERACUNI_URL. */
export function getInvoicingGateway(
  config: EracuniConfig,
  logger?: Logger,
): InvoicingGateway | undefined {
  if (!config.ERACUNI_URL) return undefined;
  const key = JSON.stringify([
    config.ERACUNI_URL,
    config.ERACUNI_USERNAME,
    config.ERACUNI_TOKEN,
    config.ERACUNI_CALLS_PER_WINDOW,
  ]);
  let client = clients.get(key);
  if (!client) {
    client = createEracuniClient({
      url: config.ERACUNI_URL,
      credentials: {
        username: config.ERACUNI_USERNAME,
        password: config.ERACUNI_PW,
        token: config.ERACUNI_TOKEN,
      },
      logger,
      timeoutMs: config.ERACUNI_TIMEOUT_MS,
      attempts: config.ERACUNI_ATTEMPTS,
      rateLimit: { calls: config.ERACUNI_CALLS_PER_WINDOW, windowMs: config.ERACUNI_WINDOW_MS },
    });
    clients.set(key, client);
  }
  return client;
}
