// npm run bench:onsale -- [--stadium Poljud] [--fans N] [--instances 2] [--workers 1]
//   [--restart-db-at F] [--restart-redis-at F] [--name variant] (see bench/README.md)
// A national-team on-sale replayed end to end; see bench/onsale/run.ts and bench/README.md.
import { parseArgs } from 'node:util';
import { writeOnsaleReport } from './onsale/report.ts';
import { runOnsale } from './onsale/run.ts';

const { values } = parseArgs({
  options: {
    stadium: { type: 'string', default: 'Poljud' },
    fans: { type: 'string' },
    instances: { type: 'string', default: '2' },
    workers: { type: 'string', default: '1' },
    'time-limit': { type: 'string', default: '600' },
    'kill-at': { type: 'string', default: '0.3' },
    'drop-redis-at': { type: 'string', default: '0.5' },
    'restart-db-at': { type: 'string', default: '0' },
    'db-down-ms': { type: 'string', default: '3000' },
    'restart-redis-at': { type: 'string', default: '0' },
    name: { type: 'string' },
    'db-socket': { type: 'string' },
    'admit-rate': { type: 'string', default: '3000' },
    'max-active': { type: 'string', default: '400' },
    pool: { type: 'string', default: '20' },
    'skip-floor': { type: 'boolean', default: false },
  },
});

// Enough fans for every seat at 2.5 tickets each, plus the 10 % who abandon.
const seatsGuess = {
  maksimir: 35_000,
  poljud: 34_000,
  opus: 13_000,
  rujevica: 8_300,
  varazdin: 8_800,
  varaždin: 8_800,
};
const guess =
  Object.entries(seatsGuess).find(([k]) => values.stadium!.toLowerCase().includes(k))?.[1] ??
  10_000;
const fans = Number(values.fans ?? Math.ceil((guess / 2.5) * 1.15));

const result = await runOnsale({
  stadium: { template: values.stadium! },
  fans,
  instances: Number(values.instances),
  workers: Number(values.workers),
  killAt: Number(values['kill-at']),
  dropRedisAt: Number(values['drop-redis-at']),
  restartDbAt: Number(values['restart-db-at']),
  dbDownMs: Number(values['db-down-ms']),
  restartRedisAt: Number(values['restart-redis-at']),
  abandonRate: 0.1,
  webhookChaosRate: 0.05,
  admissionRatePerMinute: Number(values['admit-rate']),
  maxActiveBuyers: Number(values['max-active']),
  poolMax: Number(values.pool),
  timeLimitSeconds: Number(values['time-limit']),
  dbSocketDir: values['db-socket'],
  skipFloor: values['skip-floor'],
  log: (m) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`),
});
const files = await writeOnsaleReport(result, values.name);
console.log(
  JSON.stringify(
    { ...result, timeline: `${result.timeline.length} points`, latency_ms: undefined },
    null,
    2,
  ),
);
console.log(`wrote ${files.join(', ')}`);
process.exit(result.invariants_ok ? 0 : 1);
