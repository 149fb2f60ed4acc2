import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { PERIODIC_UPDATE_MS } from '../../src/modules/queue/queue.live.ts';
import { useTestContext } from '../harness/context.ts';
import { createMatch, createUsers, joinInOrder, waitFor } from './helpers.ts';

const t = useTestContext();
const sockets: WebSocket[] = [];
afterAll(() => {
  for (const s of sockets) s.terminate();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the 60-second position update (E5-F2)', () => {
  it('sends every socket its position, estimate and line size every 60 s, with nothing else happening', async () => {
    expect(PERIODIC_UPDATE_MS).toBe(60_000);
    const matchId = await createMatch(t.deps);
    const [first, second] = await createUsers(t.deps, 2);
    await joinInOrder(t, matchId, [first!, second!]);
    const app = await t.newApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;

    // Only the interval timers are faked: each socket's periodic timer starts when it
    // connects; sockets, Redis and PostgreSQL keep real time.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const socket = new WebSocket(`ws://127.0.0.1:${port}/queue/${matchId}/ws`, {
      headers: { authorization: `Bearer ${await t.token(second!)}` },
    });
    sockets.push(socket);
    const updates: Array<Record<string, unknown>> = [];
    socket.on('message', (data) => updates.push(JSON.parse(String(data))));
    await waitFor(() => updates.length === 1);
    expect(updates[0]).toMatchObject({ type: 'queue_update', position: 2, status: 'WAITING' });

    // Nothing changes in the line: no message until the minute is up…
    await vi.advanceTimersByTimeAsync(PERIODIC_UPDATE_MS - 1_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(updates).toHaveLength(1);
    // …then the same view again, with every field the spec names.
    await vi.advanceTimersByTimeAsync(1_000);
    await waitFor(() => updates.length === 2);
    expect(updates[1]).toMatchObject({ type: 'queue_update', position: 2, total_size: 2 });
    expect(updates[1]).toHaveProperty('estimated_wait');
    await vi.advanceTimersByTimeAsync(PERIODIC_UPDATE_MS);
    await waitFor(() => updates.length === 3);
  });
});
