// The transactional outbox of notifications and audit (issue 4): what enqueuing costs a
// business transaction, and how fast one worker drains the queue to real protocol servers.
//
// 1. Enqueue cost: N transactions from C concurrent clients, each inserting a user row
//    (the "business write"), alone (baseline) / plus sendEmail (one email_logs row, due
//    now) / plus recordAudit (PII masking + one audit_outbox row). Reported per variant:
//    throughput and latency; the ratio to the baseline is the cost of the outbox.
// 2. Drain: one worker process-equivalent (the email delivery loop and the audit shipper
//    every worker runs) sends the N queued emails to a local SMTP server (smtp-server) and
//    ships the N audit events to a local Loki push endpoint; measured from loop start to
//    the last delivery.
//
// Runs on a scratch database on TEST_DATABASE_URL's server, dropped afterwards.
// Environment: BENCH_N (default 10000), BENCH_CONCURRENCY (default 32).
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { startAuditShipper } from '../src/modules/audit/audit.shipper.ts';
import { recordAudit } from '../src/modules/audit/audit.service.ts';
import { emailTemplatesSeed } from '../src/modules/notifications/email-templates.ts';
import { startEmailDelivery } from '../src/modules/notifications/email.delivery.ts';
import { sendEmail } from '../src/modules/notifications/notify.ts';
import type { Tx } from '../src/platform/db/database.ts';
import { startLocalLoki } from '../test/harness/servers/loki.ts';
import { startLocalSmtp } from '../test/harness/servers/smtp.ts';
import { writeResult } from './lib/results.ts';
import { LatencyRecorder, round } from './lib/stats.ts';
import { openBenchWorld } from './lib/world.ts';

const N = Number(process.env.BENCH_N ?? 10_000);
const C = Number(process.env.BENCH_CONCURRENCY ?? 32);
const WARMUP = Math.min(500, N);
const loadAtStart = os.loadavg().map((l) => round(l, 2));

const smtp = await startLocalSmtp({ parse: false });
const loki = await startLocalLoki();
const world = await openBenchWorld({
  pool: C + 4,
  env: { LOG_LEVEL: 'silent', SMTP_URL: smtp.url, LOKI_URL: loki.url },
}).catch(async (err: unknown) => {
  await smtp.close();
  await loki.close();
  throw err;
});
const { deps } = world;

try {
  await emailTemplatesSeed.run(deps);

  // 1. Enqueue cost ----------------------------------------------------------------------
  let seq = 0;
  const businessWrite = (trx: Tx) =>
    sql<{ id: string }>`INSERT INTO users (drupal_user_id, email)
      VALUES (${`bench-${++seq}`}, ${`fan-${seq}@bench.hr`}) RETURNING id`
      .execute(trx)
      .then((r) => r.rows[0]!.id);

  const variants: Record<string, (trx: Tx) => Promise<unknown>> = {
    baseline: businessWrite,
    with_email: async (trx) => {
      const id = await businessWrite(trx);
      await sendEmail(deps, trx, {
        template_key: 'order_confirmation',
        to: `fan-${id}@bench.hr`,
        locale: 'hr',
        variables: {
          customer_name: 'Šime Đurđević',
          order_number: `HNS-${id.slice(0, 8)}`,
          match_name: 'Hrvatska – Italija',
          kickoff: '12. 6. 2026. 20:45',
          ticket_count: 4,
          total_amount: '180,00 €',
          order_url: `https://ulaznice.hns.hr/narudzbe/${id}`,
        },
      });
    },
    with_audit: async (trx) => {
      const id = await businessWrite(trx);
      await recordAudit(deps, trx, {
        domain: 'order',
        action: 'order_completed',
        actor: { type: 'user', id },
        subject: { type: 'order', id },
        changes: { status: { from: 'PENDING', to: 'COMPLETED' }, holder: { oib: '69435151530' } },
        context: { request_id: `req-${id}` },
      });
    },
  };

  async function run(label: string, count: number, work: (trx: Tx) => Promise<unknown>) {
    const recorder = new LatencyRecorder();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (next < count) {
          next++;
          await recorder.time(label, () => deps.db.transaction().execute(work));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { seconds, per_second: round(count / seconds), latency_ms: recorder.summary()[label]! };
  }

  for (const [label, work] of Object.entries(variants)) await run(`warmup-${label}`, WARMUP, work);
  // Clear the warm-up rows so the drain measures exactly N of each.
  await sql`DELETE FROM email_logs`.execute(deps.db);
  await sql`DELETE FROM audit_outbox`.execute(deps.db);

  const enqueue: Record<string, Awaited<ReturnType<typeof run>>> = {};
  // Baseline twice (before and after) so drift during the run shows.
  enqueue.baseline = await run('baseline', N, variants.baseline!);
  enqueue.with_email = await run('with_email', N, variants.with_email!);
  enqueue.with_audit = await run('with_audit', N, variants.with_audit!);
  enqueue.baseline_again = await run('baseline_again', N, variants.baseline!);
  const baseRate = (enqueue.baseline.per_second + enqueue.baseline_again.per_second) / 2;
  const baseP50 = (enqueue.baseline.latency_ms.p50 + enqueue.baseline_again.latency_ms.p50) / 2;
  const ratio = (v: (typeof enqueue)[string]) => ({
    throughput_ratio: round(v.per_second / baseRate, 2),
    p50_latency_ratio: round(v.latency_ms.p50 / baseP50, 2),
  });
  console.log('enqueue', JSON.stringify(enqueue, null, 2));

  // 2. Drain -----------------------------------------------------------------------------
  /** Times `start()` (a worker that begins draining) until `done()`. */
  async function drain(
    label: string,
    start: () => Promise<{ stop(): Promise<void> }>,
    done: () => Promise<boolean>,
  ) {
    const started = performance.now();
    const worker = await start();
    while (!(await done())) await new Promise((r) => setTimeout(r, 50));
    const seconds = (performance.now() - started) / 1000;
    await worker.stop();
    console.log(`${label}: ${N} in ${seconds.toFixed(1)} s`);
    return { count: N, seconds: round(seconds, 2), per_second: round(N / seconds) };
  }

  const sentCount = async () =>
    Number(
      (
        await sql<{
          n: number;
        }>`SELECT count(*)::int AS n FROM email_logs WHERE status = 'SENT'`.execute(deps.db)
      ).rows[0]!.n,
    );
  const emailDrain = await drain(
    'email → SMTP',
    async () => startEmailDelivery(deps),
    async () => (await sentCount()) >= N,
  );
  const auditDrain = await drain(
    'audit → Loki',
    async () => startAuditShipper(deps),
    async () => loki.entries.length >= N,
  );
  const failedEmails = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM email_logs WHERE status <> 'SENT'`.execute(deps.db);

  const result = {
    parameters: { transactions_per_variant: N, concurrent_clients: C, warmup_per_variant: WARMUP },
    enqueue: {
      ...enqueue,
      cost: { with_email: ratio(enqueue.with_email), with_audit: ratio(enqueue.with_audit) },
    },
    drain: {
      email_to_smtp: {
        ...emailDrain,
        smtp_accepted: smtp.accepted,
        not_sent: failedEmails.rows[0]!.n,
        worker:
          'one email delivery loop: 50 due email_logs rows leased per batch, next batch at once while full, SMTP pool 5',
      },
      audit_to_loki: {
        ...auditDrain,
        loki_entries: loki.entries.length,
        loki_requests: loki.requests.length,
        duplicates_received: loki.received - loki.entries.length,
        worker:
          'one audit shipper loop: 500 outbox rows per transaction = one Loki push, next batch at once while full',
      },
    },
    load_average: { at_start: loadAtStart, at_end: os.loadavg().map((l) => round(l, 2)) },
    notes:
      'Business write = one INSERT into users. Email enqueue = one INSERT email_logs (the outbox row, no job); ' +
      'audit enqueue = maskPii + INSERT audit_outbox. Worker, SMTP and Loki servers, drivers and PostgreSQL ' +
      'share the 2-core machine with other test runs (see load_average).',
  };
  const file = await writeResult('outbox', result);
  console.log(JSON.stringify(result.enqueue.cost), JSON.stringify(result.drain, null, 2));
  console.log(`wrote ${file}`);
} finally {
  await world.close();
  await smtp.close();
  await loki.close();
}
