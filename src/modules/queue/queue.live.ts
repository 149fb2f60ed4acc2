import type { IncomingMessage } from 'node:http';
import type { Redis } from 'ioredis';
import type { WebSocket } from 'ws';
import type { AppDeps } from '../../deps.ts';
import { ensureLine, onLoadedLine, restoreMissed } from './queue.recovery.ts';
import * as repo from './queue.repo.ts';
import { channelFor, ranksOf, redisTouch } from './queue.redis.ts';
import { GRACE_PERIOD_MS } from './queue.rules.ts';
import {
  cachedSaleInfo,
  entryView,
  waitingView,
  type QueueDeps,
  type QueueView,
} from './queue.service.ts';

/**
 * Live position updates (E5-F2) over WebSocket, for any number of API instances.
 *
 * Every instance keeps its own sockets, grouped by match, and subscribes to the match's
 * Redis channel while it has sockets for it. Whatever moves positions (admission round,
 * leave, grace sweep, shuffle, settings) publishes on that channel; each instance then
 * recomputes its own fans' positions in one pipelined round trip and sends to the sockets
 * whose view changed. Every socket also gets its view every 60 seconds (the periodic
 * update of the spec), which doubles as the fan's heartbeat while connected.
 *
 * At on-sale scale every admission round (every 500 ms) moves every waiting fan, so
 * position-only changes are coalesced per socket: at most one every
 * POSITION_UPDATE_MIN_MS, except near the front of the line, where every step counts.
 * A change of status (the fan's turn) is always sent at once. Connection flags for the
 * admin view are written in batches, not one statement per socket.
 *
 * Message (JSON): `{ type: 'queue_update', position, estimated_wait, total_size, status, … }`.
 */

export const PERIODIC_UPDATE_MS = 60_000;
/** Bursts of change messages are coalesced into one recomputation per match. */
const COALESCE_MS = 100;
/** A waiting fan's position is resent at most this often (status changes: at once). */
export const POSITION_UPDATE_MIN_MS = 5_000;
/** Fans this close to the front see every step. */
const FRONT_OF_LINE = 100;
/** is_connected flags are saved in one statement per match this often. */
const CONNECTED_FLUSH_MS = 1_000;

interface Client {
  socket: WebSocket;
  userId: string;
  matchId: string;
  last: string | null;
  lastStatus: QueueView['status'] | null;
  lastSentAt: number;
  timer: NodeJS.Timeout;
}

interface Room {
  clients: Set<Client>;
  pending: NodeJS.Timeout | null;
  running: Promise<void> | null;
  again: boolean;
  /** A trailing refresh for position updates held back by the per-socket interval. */
  trailing: NodeJS.Timeout | null;
}

export interface QueueUpdateMessage {
  type: 'queue_update';
  position: number | null;
  estimated_wait: number;
  total_size: number;
  status: QueueView['status'];
  queue_opens_at: string | null;
  position_provisional: boolean;
  window_expires_at: string | null;
  admission_token: string | null;
  purchase_url: string | null;
}

export const toMessage = (view: QueueView): QueueUpdateMessage => ({
  type: 'queue_update',
  position: view.position,
  estimated_wait: view.estimated_wait_time,
  total_size: view.total_queue_size,
  status: view.status,
  queue_opens_at: view.queue_opens_at,
  position_provisional: view.position_provisional,
  window_expires_at: view.window_expires_at,
  admission_token: view.admission_token,
  purchase_url: view.purchase_url,
});

export class QueueLiveHub {
  private readonly deps: QueueDeps & Pick<AppDeps, 'logger'>;
  private readonly subscriber: Redis;
  private readonly rooms = new Map<string, Room>();
  private readonly prefix: string;
  private closed = false;
  /** `matchId userId` → latest connection state not yet saved. */
  private readonly connectedChanges = new Map<
    string,
    { matchId: string; userId: string; connected: boolean }
  >();
  private readonly flushTimer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(deps: QueueDeps & Pick<AppDeps, 'logger'>) {
    this.deps = deps;
    this.prefix = deps.config.REDIS_KEY_PREFIX;
    // A subscriber connection cannot run commands: a dedicated duplicate.
    this.subscriber = deps.redis.duplicate();
    this.subscriber.on('error', () => {});
    // Back after a lost connection (Redis restarted or failed over): changes published
    // meanwhile never arrived, and a line rebuilt from PostgreSQL announces itself only
    // once. Every room is recomputed, so no fan misses their turn.
    this.subscriber.on('ready', () => {
      for (const matchId of this.rooms.keys()) this.schedule(matchId);
    });
    this.subscriber.on('message', (channel: string) => {
      const matchId = channel.slice(channel.lastIndexOf(':') + 1);
      this.schedule(matchId);
    });
    this.flushTimer = setInterval(() => void this.flushConnected(), CONNECTED_FLUSH_MS);
    this.flushTimer.unref();
  }

  get connections(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.clients.size;
    return n;
  }

  /** Registers a socket; sends the current view at once. */
  async add(socket: WebSocket, userId: string, matchId: string): Promise<void> {
    // Registered synchronously, so a socket closing during the awaits below is removed.
    let room = this.rooms.get(matchId);
    const isNewRoom = !room;
    if (!room) {
      room = { clients: new Set(), pending: null, running: null, again: false, trailing: null };
      this.rooms.set(matchId, room);
    }
    const client: Client = {
      socket,
      userId,
      matchId,
      last: null,
      lastStatus: null,
      lastSentAt: 0,
      timer: setInterval(() => void this.periodic(client), PERIODIC_UPDATE_MS),
    };
    client.timer.unref();
    room.clients.add(client);
    socket.on('message', () => void this.heartbeat(client));
    socket.on('close', () => void this.remove(client));
    socket.on('error', () => socket.terminate());
    if (isNewRoom) await this.subscriber.subscribe(channelFor(this.prefix, matchId));
    this.markConnected(matchId, userId, true);
    await this.heartbeat(client);
  }

  private async remove(client: Client): Promise<void> {
    clearInterval(client.timer);
    const room = this.rooms.get(client.matchId);
    if (!room) return;
    room.clients.delete(client);
    if (room.clients.size === 0) {
      this.rooms.delete(client.matchId);
      if (room.pending) clearTimeout(room.pending);
      if (room.trailing) clearTimeout(room.trailing);
      if (!this.closed) {
        await this.subscriber
          .unsubscribe(channelFor(this.prefix, client.matchId))
          .catch(() => undefined);
      }
    }
    if (!this.closed) this.markConnected(client.matchId, client.userId, false);
  }

  private markConnected(matchId: string, userId: string, connected: boolean): void {
    this.connectedChanges.set(`${matchId} ${userId}`, { matchId, userId, connected });
  }

  /** Saves the connection flags changed since the last flush: one statement per match and state. */
  flushConnected(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.connectedChanges.size === 0) return;
      const changes = [...this.connectedChanges.values()];
      this.connectedChanges.clear();
      const groups = new Map<string, { matchId: string; connected: boolean; userIds: string[] }>();
      for (const { matchId, userId, connected } of changes) {
        const key = `${matchId} ${connected}`;
        const group = groups.get(key) ?? { matchId, connected, userIds: [] };
        group.userIds.push(userId);
        groups.set(key, group);
      }
      for (const { matchId, connected, userIds } of groups.values()) {
        await repo
          .setConnectedMany(this.deps.db, matchId, userIds, connected)
          .catch((err: unknown) => this.deps.logger.warn({ err }, 'queue: is_connected not saved'));
      }
    });
    return this.flushing;
  }

  /** A message from the fan (or the periodic tick) keeps the place: Redis heartbeat + send. */
  private async heartbeat(client: Client): Promise<void> {
    try {
      await onLoadedLine(this.deps, client.matchId, () =>
        redisTouch(
          this.deps.redis,
          client.matchId,
          client.userId,
          this.deps.clock.now().getTime(),
          GRACE_PERIOD_MS,
          true,
        ),
      );
      await this.sendViews(client.matchId, [client], true);
    } catch (err) {
      this.deps.logger.warn({ err }, 'queue: live update failed');
    }
  }

  private async periodic(client: Client): Promise<void> {
    await this.heartbeat(client);
  }

  private schedule(matchId: string): void {
    const room = this.rooms.get(matchId);
    if (!room || room.pending) return;
    room.pending = setTimeout(() => {
      room.pending = null;
      void this.refresh(matchId);
    }, COALESCE_MS);
  }

  /** Recomputes every local fan's view of a match; sends those that changed. */
  async refresh(matchId: string): Promise<void> {
    const room = this.rooms.get(matchId);
    if (!room) return;
    if (room.running) {
      room.again = true;
      return room.running;
    }
    room.running = (async () => {
      do {
        room.again = false;
        try {
          await this.sendViews(matchId, [...room.clients], false);
        } catch (err) {
          this.deps.logger.warn({ err, matchId }, 'queue: live refresh failed');
        }
      } while (room.again);
    })();
    try {
      await room.running;
    } finally {
      room.running = null;
    }
  }

  private async sendViews(matchId: string, clients: Client[], force: boolean): Promise<void> {
    if (clients.length === 0) return;
    const info = await cachedSaleInfo(this.deps, matchId);
    const now = this.deps.clock.now();
    const nowMs = performance.now();
    let heldBack = false;
    const userIds = clients.map((c) => c.userId);
    let lined = await ranksOf(this.deps.redis, matchId, userIds);
    if (lined.epochMs === null) {
      // Redis lost the line: rebuilt from PostgreSQL, then every fan gets their place again.
      await ensureLine(this.deps, matchId);
      lined = await ranksOf(this.deps.redis, matchId, userIds);
    }
    const missing = userIds.filter((_, i) => lined.ranks[i] === null);
    const rows = await repo.findEntries(this.deps.db, matchId, missing);
    if (
      lined.epochMs !== null &&
      (await restoreMissed(this.deps, matchId, lined.epochMs, rows)).length > 0
    ) {
      lined = await ranksOf(this.deps.redis, matchId, userIds);
    }
    const { ranks, size, rateMeasured } = lined;
    const entries = new Map(rows.map((e) => [e.user_id, e]));
    for (let i = 0; i < clients.length; i++) {
      const client = clients[i]!;
      const rank = ranks[i];
      let view: QueueView | null = null;
      if (rank !== null && rank !== undefined) {
        view = waitingView(this.deps, info, matchId, rank, size, rateMeasured, now);
      } else {
        const entry = entries.get(client.userId);
        if (entry) view = await entryView(this.deps, entry, size);
      }
      if (!view) continue;
      const message = JSON.stringify(toMessage(view));
      if (!force && message === client.last) continue;
      const positionOnly = view.status === client.lastStatus && view.status === 'WAITING';
      if (
        !force &&
        positionOnly &&
        (view.position ?? 0) > FRONT_OF_LINE &&
        nowMs - client.lastSentAt < POSITION_UPDATE_MIN_MS
      ) {
        heldBack = true;
        continue;
      }
      client.last = message;
      client.lastStatus = view.status;
      client.lastSentAt = nowMs;
      if (client.socket.readyState === client.socket.OPEN) client.socket.send(message);
    }
    const room = this.rooms.get(matchId);
    if (heldBack && room && !room.trailing) {
      room.trailing = setTimeout(() => {
        room.trailing = null;
        this.schedule(matchId);
      }, POSITION_UPDATE_MIN_MS);
      room.trailing.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.flushTimer);
    for (const room of this.rooms.values()) {
      if (room.pending) clearTimeout(room.pending);
      if (room.trailing) clearTimeout(room.trailing);
      for (const c of room.clients) {
        clearInterval(c.timer);
        c.socket.close(1001, 'server shutting down');
      }
    }
    this.rooms.clear();
    await this.flushConnected();
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}

/**
 * Browsers cannot set headers on a WebSocket: the access token may come as
 * `?access_token=…` or as a `Sec-WebSocket-Protocol` entry `bearer.<token>`. Before
 * routing, it is moved to the Authorization header so the one auth hook checks it.
 */
export function normalizeWebSocketAuth(req: IncomingMessage, pathTest: RegExp): void {
  if (req.headers.authorization || !req.url || !pathTest.test(req.url.split('?')[0]!)) return;
  const url = new URL(req.url, 'http://localhost');
  let token = url.searchParams.get('access_token');
  if (!token) {
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    token = protocols.find((p) => p.startsWith('bearer.'))?.slice('bearer.'.length) ?? null;
  }
  if (token) req.headers.authorization = `Bearer ${token}`;
}
