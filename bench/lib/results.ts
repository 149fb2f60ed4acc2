import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** bench/results, or BENCH_RESULTS_DIR (e.g. a scratch directory for smoke runs). */
export const RESULTS_DIR = path.resolve(
  process.env.BENCH_RESULTS_DIR ?? path.join(import.meta.dirname, '../results'),
);

/** Writes <RESULTS_DIR>/<name>-<YYYY-MM-DD>.json with the machine it ran on. */
export async function writeResult(name: string, result: Record<string, unknown>): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const file = path.join(RESULTS_DIR, `${name}-${date}.json`);
  const machine = {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  await writeFile(
    file,
    `${JSON.stringify({ name, measured_at: new Date().toISOString(), machine, ...result }, null, 2)}\n`,
  );
  return file;
}
