import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import pg from 'pg';

/**
 * The per-route cost account of the on-sale bench (BENCH_COST_ACCOUNT, off in production):
 * for every request type its count, the process CPU it took, its PostgreSQL statements and
 * their round-trip time, so the bench report shows where an order's cost goes.
 *
 * CPU under concurrency: one event loop runs the requests' pieces one after another, so the
 * main thread's CPU is read (process.threadCpuUsage, 0.4 µs; process.cpuUsage sums every
 * thread and costs 1.2 µs, and showed as 18 % of a CPU profile) at every checkpoint — the
 * request's lifecycle hooks and the start and end of each of its statements — and the CPU
 * since the previous checkpoint is charged to the request that reached this one. A piece of
 * work ends at the next checkpoint of the request it belongs to, except where a request
 * awaits something that is not a statement (Redis, a timer): the CPU of the piece after it
 * goes to whichever request checks in next. Work outside every request (background timers,
 * WebSocket pushes, jobs) is `background`. The charges add up to the main thread's CPU;
 * `process_cpu_us` is the whole process's (GC helpers and libuv's pool: crypto, DNS).
 */
interface Cost {
  count: number;
  cpu_us: number;
  statements: number;
  db_ms: number;
}

interface Account {
  key: string;
  cost: Cost;
  /** Statement texts (their first 90 characters) this request sent, with how often. */
  texts: Map<string, number>;
  /** The account period it started in: a request in flight across a reset is not counted. */
  generation: number;
}

const als = new AsyncLocalStorage<Account>();
const ACCOUNT = Symbol('costAccount');
const ORIGINAL_QUERY = Symbol.for('hns.costAccount.pgQuery');

function emptyCost(): Cost {
  return { count: 0, cpu_us: 0, statements: 0, db_ms: 0 };
}

export interface CostAccount {
  install(app: FastifyInstance): void;
  /** The costs since the last reset, by `METHOD /route`, plus `background`. */
  snapshot(): {
    since_ms: number;
    process_cpu_us: number;
    routes: Record<string, Cost>;
    /** Per route, the statements it sent (first 90 characters) and how many times. */
    statements: Record<string, Record<string, number>>;
  };
  reset(): void;
}

export function createCostAccount(): CostAccount {
  let costs = new Map<string, Cost>();
  let generation = 0;
  let texts = new Map<string, Map<string, number>>();
  const short = new Map<string, string>();
  const shorten = (text: string) => {
    let out = short.get(text);
    if (out === undefined && short.size < 10_000) {
      short.set(text, (out = text.replace(/\s+/g, ' ').trim().slice(0, 90)));
    }
    return out ?? text.slice(0, 90);
  };
  let background = emptyCost();
  let last = process.threadCpuUsage();
  let start = { at: Date.now(), cpu: process.cpuUsage() };

  const costOf = (key: string) => {
    let c = costs.get(key);
    if (!c) costs.set(key, (c = emptyCost()));
    return c;
  };
  /** Charges the CPU since the previous checkpoint to `account` (or the background). */
  const checkpoint = (account: Account | undefined) => {
    const now = process.threadCpuUsage();
    (account?.cost ?? background).cpu_us += now.user - last.user + (now.system - last.system);
    last = now;
  };

  // Every statement of the process goes through pg.Client#query (Kysely's dialect and
  // pg-boss alike); the promise form is the only one the app uses on its hot path. A second
  // account (tests build several apps) wraps pg's own method, not the first account's.
  const proto = pg.Client.prototype as unknown as Record<symbol, unknown>;
  const query = (proto[ORIGINAL_QUERY] ??= pg.Client.prototype.query) as (
    ...args: unknown[]
  ) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const account = als.getStore();
    checkpoint(account);
    const cost = account?.cost ?? background;
    cost.statements++;
    if (account) {
      const first = args[0] as string | { text?: string } | undefined;
      const text = shorten((typeof first === 'string' ? first : first?.text) ?? '?');
      account.texts.set(text, (account.texts.get(text) ?? 0) + 1);
    }
    const t0 = performance.now();
    const out = query.apply(this, args);
    if (out && typeof (out as Promise<unknown>).then === 'function') {
      return (out as Promise<unknown>).then(
        (res) => {
          checkpoint(account);
          cost.db_ms += performance.now() - t0;
          return res;
        },
        (err: unknown) => {
          checkpoint(account);
          cost.db_ms += performance.now() - t0;
          throw err;
        },
      );
    }
    return out;
  } as typeof pg.Client.prototype.query;

  const accountOf = (request: FastifyRequest) =>
    (request as unknown as { [ACCOUNT]?: Account })[ACCOUNT];

  return {
    install(app) {
      app.addHook('onRequest', (request, _reply, done) => {
        const key = `${request.method} ${request.routeOptions.url ?? 'unmatched'}`;
        const account: Account = { key, cost: emptyCost(), texts: new Map(), generation };
        (request as unknown as { [ACCOUNT]?: Account })[ACCOUNT] = account;
        checkpoint(account);
        // The rest of the lifecycle runs in the request's context…
        als.run(account, done);
      });
      // …but a body arrives in the socket's: enter it again once it is parsed.
      app.addHook('preValidation', (request, _reply, done) => {
        const account = accountOf(request);
        checkpoint(account);
        if (account) als.run(account, done);
        else done();
      });
      app.addHook('onSend', (request, _reply, payload, done) => {
        checkpoint(accountOf(request));
        done(null, payload);
      });
      app.addHook('onResponse', (request, _reply, done) => {
        const account = accountOf(request);
        checkpoint(account);
        if (account && account.generation === generation) {
          const c = costOf(account.key);
          c.count++;
          c.cpu_us += account.cost.cpu_us;
          c.statements += account.cost.statements;
          c.db_ms += account.cost.db_ms;
          let t = texts.get(account.key);
          if (!t) texts.set(account.key, (t = new Map()));
          for (const [text, n] of account.texts) t.set(text, (t.get(text) ?? 0) + n);
        }
        done();
      });
    },
    snapshot() {
      checkpoint(undefined);
      const cpu = process.cpuUsage();
      const routes: Record<string, Cost> = {};
      for (const [k, c] of [...costs].sort((a, b) => b[1].cpu_us - a[1].cpu_us)) routes[k] = c;
      routes.background = background;
      const statements: Record<string, Record<string, number>> = {};
      for (const [k, t] of texts) {
        statements[k] = Object.fromEntries([...t].sort((a, b) => b[1] - a[1]).slice(0, 25));
      }
      return {
        statements,
        since_ms: Date.now() - start.at,
        process_cpu_us: cpu.user - start.cpu.user + (cpu.system - start.cpu.system),
        routes,
      };
    },
    reset() {
      generation++;
      costs = new Map();
      texts = new Map();
      background = emptyCost();
      last = process.threadCpuUsage();
      start = { at: Date.now(), cpu: process.cpuUsage() };
    },
  };
}
