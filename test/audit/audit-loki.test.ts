import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditJobs } from '../../src/modules/audit/audit.jobs.ts';
import {
  AUDIT_QUEUE,
  recordAudit,
  type RecordedAuditEvent,
} from '../../src/modules/audit/audit.service.ts';
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

// The real audit worker, with a 1 s fixed retry delay so outages are short in tests.
beforeAll(async () => {
  await t.startWorker(fastRetry(auditJobs(t.deps)));
});

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

    const recorded = await t.deps.db.transaction().execute((trx) =>
      recordAudit(t.deps, trx, {
        domain: 'profile',
        action: 'profile_updated',
        actor: { type: 'user', id: 'u-1' },
        subject: { type: 'user', id: 'committed-1' },
        changes: {
          before: { oib: '12345678903', passport_number: 'C01X00T47', city: 'Split' },
          after: { oib: '69435151530', passport_number: 'D12345678', city: 'Osijek' },
        },
        context: { request_id: 'req-1' },
      }),
    );
    // The outbox row itself never holds the clear values.
    const stored = await sql<{
      data: unknown;
    }>`SELECT data FROM pgboss.job WHERE name = ${AUDIT_QUEUE}`.execute(t.deps.db);
    const storedText = JSON.stringify(stored.rows);
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
          t.deps.db.transaction().execute((trx) =>
            recordAudit(t.deps, trx, {
              domain: i % 2 ? 'match' : 'order',
              action: 'outage_test',
              actor: { type: 'system' },
              subject: { type: 'outage', id: `outage-${from + i}` },
            }),
          ),
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
    const left = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pgboss.job
      WHERE name = ${AUDIT_QUEUE} AND state NOT IN ('completed')`.execute(t.deps.db);
    expect(left.rows[0]!.n).toBe(0);
    const domains = new Set(
      loki.entries.filter((e) => e.line.includes('outage_test')).map((e) => e.labels.domain),
    );
    expect(domains).toEqual(new Set(['match', 'order']));
  });
});
