import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const MAIN = path.resolve(import.meta.dirname, '../../src/main.ts');

export interface ServiceProcess {
  name: string;
  role: 'serve' | 'worker';
  url?: string;
  child: ChildProcess;
  /** Highest resident memory seen (kB), sampled from /proc while it runs. */
  peakRssKb: number;
  restarts: number;
  output(): string;
}

/** Starts `node bin/hns-ticketing.js <role>` with the env; resolves once it listens (serve) or runs (worker). */
export async function startService(
  name: string,
  role: 'serve' | 'worker',
  env: Record<string, string>,
  port?: number,
): Promise<ServiceProcess> {
  // BENCH_CPU_PROF_DIR=<dir> writes a V8 CPU profile per service process on clean exit.
  const profile = process.env.BENCH_CPU_PROF_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`]
    : [];
  if (process.env.BENCH_NODE_IMPORT) profile.push(`--import=${process.env.BENCH_NODE_IMPORT}`);
  // BENCH_NODE_FLAGS: extra Node/V8 flags for the service processes (e.g. GC settings to try).
  if (process.env.BENCH_NODE_FLAGS) profile.push(...process.env.BENCH_NODE_FLAGS.split(/\s+/));
  const child = spawn(process.execPath, [...profile, MAIN, role], {
    env: {
      ...process.env,
      ...env,
      ...(port !== undefined ? { PORT: String(port), HOST: '127.0.0.1' } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const onData = (d: Buffer) => {
    out += d;
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const svc: ServiceProcess = { name, role, child, peakRssKb: 0, restarts: 0, output: () => out };
  // Readiness without depending on the log level: the API answers /health/ready; a worker
  // counts as up once it has stayed alive through its start-up (migrate, queue install).
  const url = port !== undefined ? `http://127.0.0.1:${port}` : undefined;
  const started = Date.now();
  const deadline = started + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited with ${child.exitCode}:\n${out.slice(-3000)}`);
    if (url) {
      const ok = await fetch(`${url}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) {
        svc.url = url;
        return svc;
      }
    } else if (Date.now() - started > 3_000) {
      return svc;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not start in time:\n${out.slice(-3000)}`);
}

/** Samples VmRSS of each live process every `ms`, keeping the peak. Returns a stop function. */
export function sampleMemory(services: () => ServiceProcess[], ms = 250): () => void {
  const timer = setInterval(() => {
    for (const s of services()) {
      if (!s.child.pid || s.child.exitCode !== null) continue;
      try {
        const status = readFileSync(`/proc/${s.child.pid}/status`, 'utf8');
        const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
        s.peakRssKb = Math.max(s.peakRssKb, rss);
      } catch {
        // the process just exited
      }
    }
  }, ms);
  return () => clearInterval(timer);
}

export async function stopService(
  svc: ServiceProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  // Ended already (exited, or killed by a signal: exitCode stays null then): its 'exit'
  // event has fired and would never fire again.
  if (svc.child.exitCode !== null || svc.child.signalCode !== null) return svc.child.exitCode;
  const exited = new Promise<number | null>((r) => svc.child.once('exit', (code) => r(code)));
  svc.child.kill(signal);
  return exited;
}
