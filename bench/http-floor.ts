// The framework floor: GET /health/live through the full app (plugins, hooks, auth, metrics)
// on a real listener, driven by autocannon in this process. Later benchmarks report their
// cost as a ratio to this number measured in the same run.
import autocannon from 'autocannon';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/platform/logging.ts';
import { createRuntime } from '../src/platform/runtime/runtime.ts';
import { writeResult } from './lib/results.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);

export async function measure(url: string, options: Partial<autocannon.Options> = {}) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    pipelining: 1,
    ...options,
  });
  return {
    requests_per_second: Math.round(result.requests.average),
    latency_ms: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    errors: result.errors + result.non2xx,
    total_requests: result.requests.total,
  };
}

if (import.meta.main) {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
  const logger = createLogger('warn');
  const runtime = await createRuntime(config, logger, { supervise: false });
  const app = await buildApp(runtime.deps);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const floor = await measure(`http://127.0.0.1:${port}/health/live`);
  await app.close();
  await runtime.close();
  const file = await writeResult('http-floor', {
    endpoint: 'GET /health/live',
    connections: CONNECTIONS,
    duration_seconds: DURATION,
    ...floor,
  });
  console.log(JSON.stringify(floor), `\nwrote ${file}`);
}
