import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditJobs } from '../../src/modules/audit/audit.jobs.ts';
import { countPendingAuditEvents } from '../../src/modules/audit/audit.repo.ts';
import {
  AUDIT_QUEUE,
  recordAudit,
  type AuditEvent,
  type RecordedAuditEvent,
} from '../../src/modules/audit/audit.service.ts';
import { startAuditShipper } from '../../src/modules/audit/audit.shipper.ts';
import { maskPii } from '../../src/modules/audit/pii.ts';
import { useTestContext } from '../harness/context.ts';
import { fastRetry } from '../harness/fast-retry.ts';
import { startLocalLoki } from '../harness/servers/loki.ts';
import { sleep, waitFor } from '../harness/wait.ts';

const loki = await startLocalLoki();
const t = useTestContext({
  env: {
    LOKI_URL: loki.url,
    LOKI_USERNAME: 'grafana-user',
    LOKI_PASSWORD: 'grafana-pass',
    LOKI_TENANT_ID: 'hns',
    LOKI_ENV_LABEL: 'staging',
  },
});
afterAll(() => loki.close());

// The real shipper loop of a worker process, retrying after 1 s so outages are short here.
let shipper: { stop(): Promise<void> };
beforeAll(() => {
  shipper = startAuditShipper(t.deps, { pollMs: 100, retryDelayMs: 1_000, retryDelayMaxMs: 1_000 });
});
afterAll(() => shipper.stop());

const commitAudit = (event: AuditEvent) =>
  t.deps.db.transaction().execute((trx) => recordAudit(t.deps, trx, event));

const audited = (subjectId: string) =>
  loki.lines<RecordedAuditEvent>().filter((l) => l.subject.id === subjectId);

describe('audit events through the outbox to Loki', () => {
  it('ships committed events with labels app/env/domain, masks PII, and sends nothing for a rollback', async () => {
    await t.deps.db
      .transaction()
      .execute(async (trx) => {
        await recordAudit(t.deps, trx, {
          domain: 'profile',
          action: 'profile_updated',
          actor: { type: 'user', id: 'u-rolled-back' },
          subject: { type: 'user', id: 'rolled-back' },
        });
        throw new Error('business rule failed');
      })
      .catch(() => {});

    const { recorded, storedText } = await t.deps.db.transaction().execute(async (trx) => {
      const recorded = await recordAudit(t.deps, trx, {
        domain: 'profile',
        action: 'profile_updated',
        actor: { type: 'user', id: 'u-1' },
        subject: { type: 'user', id: 'committed-1' },
        changes: {
          before: { oib: '12345678903', passport_number: 'C01X00T47', city: 'Split' },
          after: { oib: '69435151530', passport_number: 'D12345678', city: 'Osijek' },
        },
        context: { request_id: 'req-1' },
      });
      // Read before the commit, so the shipper cannot have deleted it yet.
      const stored = await sql`SELECT event FROM audit_outbox`.execute(trx);
      return { recorded, storedText: JSON.stringify(stored.rows) };
    });
    // The outbox row itself never holds the clear values.
    expect(storedText).toContain('committed-1');
    for (const secret of ['12345678903', '69435151530', 'C01X00T47', 'D12345678']) {
      expect(storedText).not.toContain(secret);
    }

    await waitFor(() => audited('committed-1').length === 1, { what: 'audit line in Loki' });
    const entry = loki.entries.find((e) => e.line.includes('committed-1'))!;
    expect(entry.labels).toEqual({ app: 'hns-ticketing', env: 'staging', domain: 'profile' });
    const line = JSON.parse(entry.line) as RecordedAuditEvent;
    expect(line).toMatchObject({
      event_id: recorded.event_id,
      domain: 'profile',
      action: 'profile_updated',
      actor: { type: 'user', id: 'u-1' },
      changes: {
        before: { oib: '*******8903', city: 'Split' },
        after: { oib: '*******1530', city: 'Osijek' },
      },
      context: { request_id: 'req-1' },
    });
    expect(entry.line).not.toContain('passport');
    expect(BigInt(entry.timestampNs) / 1_000_000n).toBe(BigInt(Date.parse(line.occurred_at)));
    const headers = loki.requests.at(-1)!;
    expect(headers.authorization).toBe(
      `Basic ${Buffer.from('grafana-user:grafana-pass').toString('base64')}`,
    );
    expect(headers['x-scope-orgid']).toBe('hns');

    await sleep(1_500);
    expect(audited('rolled-back')).toEqual([]);
  });

  it('loses nothing when Loki is down mid-run: events wait, retry, and arrive once', async () => {
    const N = 300;
    const batch = (from: number, to: number) =>
      Promise.all(
        Array.from({ length: to - from }, (_, i) =>
          commitAudit({
            domain: i % 2 ? 'match' : 'order',
            action: 'outage_test',
            actor: { type: 'system' },
            subject: { type: 'outage', id: `outage-${from + i}` },
          }),
        ),
      );
    const outage = () => loki.lines<RecordedAuditEvent>().filter((l) => l.action === 'outage_test');

    await batch(0, 100);
    await waitFor(() => outage().length === 100, { what: 'first 100 events' });

    await loki.stop();
    await batch(100, 200);
    // Loki answering errors is an outage too.
    await sleep(2_500);
    await loki.start();
    loki.failNext(3, 500);
    await batch(200, N);

    await waitFor(() => outage().length >= N, {
      timeoutMs: 60_000,
      what: 'all events after the outage',
    });
    await sleep(1_500);
    const ids = outage().map((l) => l.subject.id);
    expect(new Set(ids).size).toBe(N);
    expect(ids).toHaveLength(N); // no event stored twice
    expect(await countPendingAuditEvents(t.deps.db)).toBe(0);
    const domains = new Set(
      loki.entries.filter((e) => e.line.includes('outage_test')).map((e) => e.labels.domain),
    );
    expect(domains).toEqual(new Set(['match', 'order']));
  });

  it('ships each event once when several worker processes drain the outbox together', async () => {
    const others = [1, 2].map(() => startAuditShipper(t.deps, { pollMs: 10 }));
    try {
      const receivedBefore = loki.received;
      const N = 1_200;
      for (let from = 0; from < N; from += 100) {
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            commitAudit({
              domain: 'order',
              action: 'parallel_test',
              actor: { type: 'system' },
              subject: { type: 'parallel', id: `parallel-${from + i}` },
            }),
          ),
        );
      }
      const shipped = () =>
        loki.lines<RecordedAuditEvent>().filter((l) => l.action === 'parallel_test');
      await waitFor(() => shipped().length === N, { what: 'all parallel events' });
      await sleep(500);
      // Not deduplicated by Loki: each entry was pushed exactly once.
      expect(loki.received - receivedBefore).toBe(N);
      expect(await countPendingAuditEvents(t.deps.db)).toBe(0);
    } finally {
      await Promise.all(others.map((o) => o.stop()));
    }
  });

  it('keeps events Loki refuses for good in the process log instead of retrying forever', async () => {
    loki.failNext(1, 400);
    await commitAudit({
      domain: 'order',
      action: 'refused_test',
      actor: { type: 'system' },
      subject: { type: 'refused', id: 'refused-1' },
    });
    await waitFor(async () => (await countPendingAuditEvents(t.deps.db)) === 0, {
      what: 'refused event handled',
    });
    expect(loki.lines<RecordedAuditEvent>().some((l) => l.action === 'refused_test')).toBe(false);
  });

  it('drains events a previous release queued as pg-boss jobs (rolling deploy)', async () => {
    const legacy = maskPii({
      event_id: '00000000-0000-4000-8000-00000000abcd',
      occurred_at: new Date().toISOString(),
      domain: 'order' as const,
      action: 'legacy_test',
      actor: { type: 'system' as const },
      subject: { type: 'order', id: 'legacy-1' },
    });
    await t.deps.db.transaction().execute((trx) => t.deps.jobs.enqueue(trx, AUDIT_QUEUE, legacy));
    await t.startWorker(fastRetry(auditJobs(t.deps)));
    await waitFor(() => audited('legacy-1').length === 1, { what: 'legacy audit job shipped' });
    expect(audited('legacy-1')[0]).toMatchObject({
      event_id: legacy.event_id,
      action: 'legacy_test',
    });
  });
});
