import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lineChart } from '../lib/chart.ts';
import { RESULTS_DIR, writeResult } from '../lib/results.ts';
import { round } from '../lib/stats.ts';
import type { OnsaleResult } from './run.ts';

/** bench/results/onsale-<stadium>[-<variant>]-<date>.{json,md,svg}. */
export async function writeOnsaleReport(result: OnsaleResult, variant?: string): Promise<string[]> {
  const slug = [result.stadium, variant]
    .filter(Boolean)
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-');
  const name = `onsale-${slug}`;
  const json = await writeResult(name, { ...result });
  const base = json.replace(/\.json$/, '');

  const svg = lineChart(`On-sale ${result.stadium}: ${result.seats} seats, ${result.fans} fans`, [
    {
      title: 'Seats sold',
      yLabel: 'seats',
      series: [
        { label: 'sold', color: '#c8102e', points: result.timeline.map((p) => [p.t, p.sold]) },
      ],
    },
    {
      title: 'POST /cart/add latency (p99 so far)',
      yLabel: 'ms',
      series: [
        {
          label: 'p99',
          color: '#1f4e9c',
          points: result.timeline.filter((p) => p.p99_ms > 0).map((p) => [p.t, p.p99_ms]),
        },
      ],
    },
  ]);
  await writeFile(`${base}.svg`, svg);

  const rows = Object.entries(result.latency_ms)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `| ${k} | ${v.count} | ${v.p50} | ${v.p95} | ${v.p99} | ${v.max} |`);
  const errors = Object.entries(result.errors).map(([k, v]) => `| ${k} | ${v} |`);
  const violations = Object.entries(result.violations).map(([k, v]) => `| ${k} | ${v} |`);
  const costs = Object.entries(result.costs.routes).map(
    ([k, c]) =>
      `| ${k} | ${c.count} | ${c.cpu_ms} | ${c.statements} | ${c.db_ms} | ${c.cpu_ms_per_order} | ${round(c.share_of_api_cpu * 100, 1)} % |`,
  );
  const cartP99 = result.latency_ms['POST /cart/add']?.p99;
  const md = `# On-sale benchmark: ${result.stadium}

${result.seats} seats, ${result.fans} fans, ${result.instances} API instances, ${result.workers} worker(s).

| figure | value |
| --- | --- |
| time to sell out | ${result.sellout_seconds === null ? 'not sold out' : `${result.sellout_seconds} s`} |
| sale duration | ${result.sale_seconds} s |
| seats sold / orders | ${result.seats_sold} / ${result.orders_completed} |
| seats/s, orders/s | ${result.seats_per_second}, ${result.orders_per_second} |
| queue joins/s | ${result.queue_join_per_second} |
| raw claim limit (same DB, same concurrency) | ${result.raw_claim_seats_per_second} seats/s |
| full path / raw | ${result.raw_ratio} |
| sale floor: hold + order + sale with tickets straight on the DB, same concurrency | ${result.raw_sale_seats_per_second} seats/s |
| full path / sale floor | ${result.raw_sale_ratio} |
| least time to sell out on this machine (seats ÷ sale floor) | ${result.sellout_floor_seconds === null ? 'n/a' : `${result.sellout_floor_seconds} s`} |
| bare claim (pgbench, 4 seats, SKIP LOCKED, 32 clients, same server) | ${result.bare_claim_seats_per_second ?? 'n/a'} seats/s |
| invariants | ${result.invariants_ok ? 'all hold' : 'VIOLATED'} |

## The issue-28 ratios (same run)

| figure | value |
| --- | --- |
| sale floor ÷ bare claim | ${result.sale_floor_vs_bare_claim ?? 'n/a'} |
| full path ÷ sale floor | ${result.raw_sale_ratio} |
| API CPU per completed order (every request of the sale, logins before it excluded) | ${result.costs.api_cpu_ms_per_order} ms |
| API CPU per completed order by thread (/proc) | ${Object.entries(
    result.costs.api_cpu_ms_per_order_by_thread,
  )
    .map(([k, v]) => `${k} ${v} ms`)
    .join(', ')} |
| API statements per completed order | ${result.costs.api_statements_per_order} |
| worker CPU per completed order | ${result.costs.worker_cpu_ms_per_order ?? 'n/a'} ms |
| \`POST /cart/add\` p99 | ${cartP99 ?? 'n/a'} ms |

## Where the cost goes (per request type)

CPU is the API processes' (src/platform/http/cost-account.ts: the process CPU between two
checkpoints of a request — its hooks and the start and end of each statement — is charged to
it; \`background\` is what ran outside every request); statements and their round trips
(pool wait excluded) are counted per request. Per order: the type's total ÷ completed orders.

| request type | requests | CPU ms / request | statements / request | DB round trips ms / request | CPU ms / order | share of API CPU |
| --- | --- | --- | --- | --- | --- | --- |
${costs.join('\n')}

### Statements per request (first 90 characters, the most frequent of each type)

${Object.entries(result.costs.statements)
  .filter(([k]) => (result.costs.routes[k]?.statements ?? 0) >= 1)
  .map(
    ([k, t]) =>
      `- **${k}**: ${Object.entries(t)
        .slice(0, 14)
        .map(([text, n]) => `${n} × \`${text.replace(/`/g, "'")}\``)
        .join('; ')}`,
  )
  .join('\n')}

Faults injected: ${result.faults.join('; ') || 'none'}.
${
  result.fault_stalls.length
    ? `
| fault | at | stall (longest time with no seat sold in the 30 s after it) |
| --- | --- | --- |
${result.fault_stalls.map((f) => `| ${f.fault} | ${f.at_s} s | ${f.stall_s} s |`).join('\n')}
| (longest gap before the first fault) | | ${result.baseline_gap_s === null ? 'n/a' : `${result.baseline_gap_s} s`} |
`
    : ''
}
Processes that exited by themselves: ${result.unexpected_exits.join(', ') || 'none'}. Answers 500: ${result.http_500}.

Autovacuum: ${
    result.autovacuum_standin
      ? `off on this server; the bench stood in for it (${result.autovacuum_standin.runs} passes, ${result.autovacuum_standin.analyzed} tables analyzed, ${result.autovacuum_standin.vacuumed} vacuumed)`
      : "the server's own"
  }.

Outcomes: ${Object.entries(result.outcomes)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}.

Peak memory (MB): ${Object.entries(result.peak_memory_mb)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}.

## Latency (ms)

| endpoint | requests | p50 | p95 | p99 | max |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

## Errors

| endpoint status code | count |
| --- | --- |
${errors.join('\n') || '| none | 0 |'}

## Invariants (violations)

| invariant | violations |
| --- | --- |
${violations.join('\n')}

![seats sold and latency](${path.basename(base)}.svg)
`;
  await writeFile(`${base}.md`, md);
  return [json, `${base}.md`, `${base}.svg`].map((f) =>
    path.relative(path.dirname(RESULTS_DIR), f),
  );
}
