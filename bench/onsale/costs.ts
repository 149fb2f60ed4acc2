import { readdir, readFile } from 'node:fs/promises';
import { requestJson } from '../lib/http-client.ts';
import type { ServiceProcess } from '../lib/processes.ts';
import { round } from '../lib/stats.ts';

/**
 * The per-route cost account of a sale (issue 28): the API processes count, for every
 * request type, the CPU it took and its statements (src/platform/http/cost-account.ts,
 * GET /health/costs, on with BENCH_COST_ACCOUNT); the bench resets them when the sale starts
 * (logins are before it), reads a killed instance's just before the kill and the others'
 * when the sale is over, and divides by the completed orders. Worker CPU comes from /proc.
 */
interface RouteCost {
  count: number;
  cpu_us: number;
  statements: number;
  db_ms: number;
}
interface Snapshot {
  since_ms: number;
  process_cpu_us: number;
  routes: Record<string, RouteCost>;
  statements?: Record<string, Record<string, number>>;
}

export interface CostReport {
  /** API CPU (all processes, all requests of the sale, background included) ÷ orders. */
  api_cpu_ms_per_order: number;
  /** Statements the API sent ÷ orders (workers' excluded). */
  api_statements_per_order: number;
  /** Worker CPU ÷ orders (emails, invoices, queue ticks, sweeps). */
  worker_cpu_ms_per_order: number | null;
  api_cpu_seconds: number;
  /** API CPU per completed order by thread name (/proc): main thread, V8 helpers, libuv pool. */
  api_cpu_ms_per_order_by_thread: Record<string, number>;
  /** Per request type, the statements it sends (first 90 characters) per request. */
  statements: Record<string, Record<string, number>>;
  /** Per request type: requests, and per request CPU, statements and their round trips. */
  routes: Record<
    string,
    {
      count: number;
      cpu_ms: number;
      statements: number;
      db_ms: number;
      cpu_ms_per_order: number;
      share_of_api_cpu: number;
    }
  >;
}

/** CPU ms per thread name (main `node`, V8's `V8 DefaultWorke`, `libuv-worker`) of a process. */
async function threadCpu(pid: number | undefined): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!pid) return out;
  try {
    for (const tid of await readdir(`/proc/${pid}/task`)) {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
      if (!stat) continue;
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * 10;
      out.set(name, (out.get(name) ?? 0) + ms);
    }
  } catch {
    // The process is gone (killed): its threads count as nothing here.
  }
  return out;
}

export function createCostCollector() {
  const saved: Snapshot[] = [];
  /** API CPU by thread name over the sale (ms), from /proc (a killed process's up to its kill). */
  const threads = new Map<string, number>();
  const threadStart = new Map<number, Map<string, number>>();
  const addThreads = async (s: ServiceProcess) => {
    const pid = s.child.pid;
    if (!pid) return;
    const now = await threadCpu(pid);
    const start = threadStart.get(pid) ?? new Map<string, number>();
    for (const [name, ms] of now) {
      threads.set(name, (threads.get(name) ?? 0) + ms - (start.get(name) ?? 0));
    }
  };
  const workerStart = new Map<number, number>();
  const cpuOfPid = async (pid: number | undefined) => {
    if (!pid) return 0;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime, fields 14 and 15 (1-based) of the whole line: in clock ticks (100 Hz).
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return 0;
    }
  };
  const read = async (s: ServiceProcess, reset = false): Promise<Snapshot | null> => {
    if (!s.url) return null;
    try {
      const res = await requestJson<Snapshot>(
        s.url,
        'GET',
        `/health/costs${reset ? '?reset=1' : ''}`,
      );
      return res.status === 200 ? res.body : null;
    } catch {
      return null;
    }
  };
  return {
    /** The sale starts: every API account from zero, the workers' CPU noted. */
    async start(services: ServiceProcess[]) {
      for (const s of services) {
        if (s.role === 'serve') {
          await read(s, true);
          threadStart.set(s.child.pid!, await threadCpu(s.child.pid));
        } else workerStart.set(s.child.pid!, await cpuOfPid(s.child.pid));
      }
    },
    /** An instance is about to be killed: keep what it counted. */
    async keep(s: ServiceProcess) {
      const snap = await read(s);
      if (snap) saved.push(snap);
      await addThreads(s);
    },
    async finish(services: ServiceProcess[], orders: number): Promise<CostReport> {
      const snaps = [...saved];
      let workerMs = 0;
      for (const s of services) {
        if (s.role === 'serve') {
          const snap = await read(s);
          if (snap) snaps.push(snap);
          await addThreads(s);
        } else {
          workerMs += (await cpuOfPid(s.child.pid)) - (workerStart.get(s.child.pid!) ?? 0);
        }
      }
      const merged = new Map<string, RouteCost>();
      const texts = new Map<string, Map<string, number>>();
      let cpuUs = 0;
      for (const snap of snaps) {
        cpuUs += snap.process_cpu_us;
        for (const [k, t] of Object.entries(snap.statements ?? {})) {
          const m = texts.get(k) ?? new Map<string, number>();
          for (const [text, n] of Object.entries(t)) m.set(text, (m.get(text) ?? 0) + n);
          texts.set(k, m);
        }
        for (const [k, c] of Object.entries(snap.routes)) {
          const m = merged.get(k) ?? { count: 0, cpu_us: 0, statements: 0, db_ms: 0 };
          m.count += c.count;
          m.cpu_us += c.cpu_us;
          m.statements += c.statements;
          m.db_ms += c.db_ms;
          merged.set(k, m);
        }
      }
      // The routes are charged main-thread CPU; the rest of the process's is its other threads'.
      const mainUs = [...merged.values()].reduce((n, c) => n + c.cpu_us, 0);
      merged.set('(other threads: GC, libuv pool)', {
        count: 0,
        cpu_us: Math.max(0, cpuUs - mainUs),
        statements: 0,
        db_ms: 0,
      });
      const per = (n: number, d: number, digits = 2) => (d > 0 ? round(n / d, digits) : 0);
      const routes: CostReport['routes'] = {};
      let statements = 0;
      for (const [k, c] of [...merged].sort((a, b) => b[1].cpu_us - a[1].cpu_us)) {
        statements += c.statements;
        const n = Math.max(1, c.count);
        routes[k] = {
          count: c.count,
          cpu_ms: per(c.cpu_us / 1000, n, 3),
          statements: per(c.statements, n),
          db_ms: per(c.db_ms, n),
          cpu_ms_per_order: per(c.cpu_us / 1000, orders),
          share_of_api_cpu: per(c.cpu_us, cpuUs, 3),
        };
      }
      const statementsPer: CostReport['statements'] = {};
      for (const [k, t] of texts) {
        const n = Math.max(1, merged.get(k)?.count ?? 1);
        statementsPer[k] = Object.fromEntries(
          [...t].sort((a, b) => b[1] - a[1]).map(([text, c]) => [text, round(c / n, 2)]),
        );
      }
      return {
        statements: statementsPer,
        api_cpu_ms_per_order: per(cpuUs / 1000, orders),
        api_statements_per_order: per(statements, orders),
        worker_cpu_ms_per_order: workerStart.size ? per(workerMs, orders) : null,
        api_cpu_seconds: round(cpuUs / 1e6),
        api_cpu_ms_per_order_by_thread: Object.fromEntries(
          [...threads].sort((a, b) => b[1] - a[1]).map(([name, ms]) => [name, per(ms, orders)]),
        ),
        routes,
      };
    },
  };
}
