import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runRound } from '../../src/modules/queue/queue.engine.ts';
import { POSITION_UPDATE_MIN_MS } from '../../src/modules/queue/queue.live.ts';
import { useTestContext } from '../harness/context.ts';
import { createMatch, createUsers, joinInOrder, waitFor } from './helpers.ts';

const t = useTestContext();
const sockets: WebSocket[] = [];
afterAll(() => {
  for (const s of sockets) s.terminate();
});

interface Update {
  type: string;
  position: number | null;
  estimated_wait: number;
  total_size: number;
  status: string;
  admission_token: string | null;
}

function connect(url: string, options: WebSocket.ClientOptions = {}, protocols?: string[]) {
  const socket = new WebSocket(url, protocols, options);
  sockets.push(socket);
  const updates: Update[] = [];
  socket.on('message', (data) => updates.push(JSON.parse(String(data)) as Update));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`unexpected response ${res.statusCode}`));
    });
  });
  return { socket, updates, opened };
}

describe('live position updates over WebSocket (E5-F2)', () => {
  it('delivers changes made through another instance, over Redis pub/sub', async () => {
    const matchId = await createMatch(t.deps);
    const [a, b, c] = await createUsers(t.deps, 3);
    await joinInOrder(t, matchId, [a!, b!, c!]);

    // Instance A serves the sockets; instance B takes the leave; the worker admits.
    const appA = await t.newApp();
    await appA.listen({ port: 0, host: '127.0.0.1' });
    const base = `ws://127.0.0.1:${(appA.server.address() as AddressInfo).port}/queue/${matchId}/ws`;
    const appB = await t.newApp();

    // c: token in the query string; b: token as a subprotocol; a: Authorization header.
    const cLive = connect(`${base}?access_token=${await t.token(c!)}`);
    const bLive = connect(base, {}, ['hns-queue', `bearer.${await t.token(b!)}`]);
    const aLive = connect(base, { headers: { authorization: `Bearer ${await t.token(a!)}` } });
    await Promise.all([cLive.opened, bLive.opened, aLive.opened]);
    expect(bLive.socket.protocol).toBe('hns-queue');

    await waitFor(() => cLive.updates.length > 0 && bLive.updates.length > 0);
    expect(cLive.updates[0]).toMatchObject({
      type: 'queue_update',
      status: 'WAITING',
      position: 3,
      total_size: 3,
      estimated_wait: expect.any(Number),
    });

    const left = await appB.inject({
      method: 'POST',
      url: `/queue/${matchId}/leave`,
      headers: { authorization: `Bearer ${await t.token(a!)}` },
    });
    expect(left.json().status).toBe('LEFT');
    await waitFor(() => cLive.updates.at(-1)?.position === 2);
    expect(cLive.updates.at(-1)).toMatchObject({ position: 2, total_size: 2 });

    // An admission round (the worker, not an API instance) admits b.
    const [manager] = await createUsers(t.deps, 1);
    const put = await appB.inject({
      method: 'PUT',
      url: `/admin/matches/${matchId}/queue`,
      headers: { authorization: `Bearer ${await t.token(manager!, ['MATCH_MANAGER'])}` },
      payload: { admission_rate_per_minute: 30 },
    });
    expect(put.statusCode).toBe(200);
    expect((await runRound(t.deps, matchId)).admitted).toEqual([b]);

    await waitFor(() => cLive.updates.at(-1)?.position === 1);
    await waitFor(() => bLive.updates.at(-1)?.status === 'ACTIVE');
    expect(bLive.updates.at(-1)).toMatchObject({ status: 'ACTIVE', position: null });
    expect(bLive.updates.at(-1)!.admission_token).toEqual(expect.any(String));

    // The connection counts as being connected; closing it is recorded.
    const row = () =>
      t.deps.db
        .selectFrom('queue_entries')
        .select('is_connected')
        .where('user_id', '=', c!)
        .executeTakeFirstOrThrow();
    // Saved in batches (once a second), not one statement per socket.
    await waitFor(async () => (await row()).is_connected);
    cLive.socket.close();
    await waitFor(async () => !(await row()).is_connected);
  });

  it(
    'holds back position-only updates far from the front: one per fan per interval',
    { timeout: 60_000 },
    async () => {
      const matchId = await createMatch(t.deps);
      const users = await createUsers(t.deps, 104);
      await joinInOrder(t, matchId, users);
      const app = await t.newApp();
      await app.listen({ port: 0, host: '127.0.0.1' });
      const base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/queue/${matchId}/ws`;
      const last = connect(`${base}?access_token=${await t.token(users.at(-1)!)}`);
      await last.opened;
      await waitFor(() => last.updates.length > 0);
      expect(last.updates[0]).toMatchObject({ status: 'WAITING', position: 104 });
      const sentAt = performance.now();

      // Two fans leave: the last fan moves to 103, then 102. Far from the front, these
      // position-only changes wait for the fan's interval, then arrive as one update.
      for (const leaver of users.slice(0, 2)) {
        const left = await app.inject({
          method: 'POST',
          url: `/queue/${matchId}/leave`,
          headers: { authorization: `Bearer ${await t.token(leaver)}` },
        });
        expect(left.json().status).toBe('LEFT');
      }
      await new Promise((r) => setTimeout(r, 1_000));
      expect(last.updates).toHaveLength(1);
      await waitFor(() => last.updates.length > 1, POSITION_UPDATE_MIN_MS + 5_000);
      expect(performance.now() - sentAt).toBeGreaterThanOrEqual(POSITION_UPDATE_MIN_MS - 50);
      expect(last.updates.slice(1)).toEqual([
        expect.objectContaining({ status: 'WAITING', position: 102 }),
      ]);
    },
  );

  it('refuses a socket without a valid token and for an unknown match', async () => {
    const app = await t.newApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const matchId = await createMatch(t.deps);
    await expect(connect(`ws://127.0.0.1:${port}/queue/${matchId}/ws`).opened).rejects.toThrow(
      /401/,
    );
    await expect(
      connect(`ws://127.0.0.1:${port}/queue/${matchId}/ws?access_token=not-a-token`).opened,
    ).rejects.toThrow(/401/);
    const [fan] = await createUsers(t.deps, 1);
    await expect(
      connect(
        `ws://127.0.0.1:${port}/queue/00000000-0000-4000-8000-000000000000/ws?access_token=${await t.token(fan!)}`,
      ).opened,
    ).rejects.toThrow(/404/);
  });
});
