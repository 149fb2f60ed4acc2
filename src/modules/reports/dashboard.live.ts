import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { WebSocket } from 'ws';
import type { AppDeps } from '../../deps.ts';
import { dashboardSnapshot, type DashboardDeps } from './dashboard.service.ts';
import type { DashboardSnapshot } from './dashboard.schemas.ts';
import { sameFigures } from './reports.rules.ts';

/**
 * The live match dashboard (E14-F2) over WebSocket, for any number of API instances and
 * watchers, at the cost of one computation per match and interval.
 *
 * Each instance keeps its watchers grouped by match and subscribes to the match's Redis
 * channel while it has any. Every DASHBOARD_INTERVAL_MS each instance with watchers of a
 * match tries to take that interval's turn (`SET … NX PX`): the one that gets it computes
 * the figures once and, when they differ from the last ones, publishes them on the
 * channel. Every instance forwards what arrives on the channel to its watchers. So 100
 * watchers, on one instance or many, cost the database what one does; a quiet sale
 * (nothing changed) costs one computation per interval and pushes nothing.
 *
 * Message (JSON): `{ type: 'dashboard_update', ...snapshot }` (the GET response's shape).
 */

interface Room {
  sockets: Set<WebSocket>;
  /** The last figures seen on the channel (or computed for a first watcher). */
  last: DashboardSnapshot | null;
  lastMessage: string | null;
  /** A computation for the room's first watchers, shared by those who join meanwhile. */
  initial: Promise<void> | null;
}

export const channelOf = (prefix: string, matchId: string) => `${prefix}dashboard:${matchId}`;
const turnKey = (matchId: string) => `dashboard-turn:{${matchId}}`;

export class DashboardLiveHub {
  private readonly deps: DashboardDeps & Pick<AppDeps, 'logger'>;
  private readonly subscriber: Redis;
  private readonly rooms = new Map<string, Room>();
  private readonly timer: NodeJS.Timeout;
  private readonly instance = randomUUID();
  private ticking: Promise<void> | null = null;
  /** Computations this instance ran (for the cost test and the operator's curiosity). */
  computations = 0;

  constructor(deps: DashboardDeps & Pick<AppDeps, 'logger'>) {
    this.deps = deps;
    this.subscriber = deps.redis.duplicate();
    this.subscriber.on('error', () => {});
    this.subscriber.on('message', (channel: string, message: string) => {
      const matchId = channel.slice(channel.lastIndexOf(':') + 1);
      this.deliver(matchId, message);
    });
    this.timer = setInterval(() => void this.tick(), deps.config.DASHBOARD_INTERVAL_MS);
    this.timer.unref();
  }

  get watchers(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.sockets.size;
    return n;
  }

  async add(socket: WebSocket, matchId: string): Promise<void> {
    let room = this.rooms.get(matchId);
    const isNew = !room;
    if (!room) {
      room = { sockets: new Set(), last: null, lastMessage: null, initial: null };
      this.rooms.set(matchId, room);
    }
    room.sockets.add(socket);
    socket.on('close', () => void this.remove(socket, matchId));
    socket.on('error', () => socket.terminate());
    if (isNew)
      await this.subscriber.subscribe(channelOf(this.deps.config.REDIS_KEY_PREFIX, matchId));
    if (room.lastMessage) {
      socket.send(room.lastMessage);
      return;
    }
    // The first watchers of this instance: one computation, sent to them all.
    room.initial ??= this.compute(matchId, true).finally(() => {
      if (room) room.initial = null;
    });
    await room.initial;
    if (room.lastMessage && socket.readyState === socket.OPEN) socket.send(room.lastMessage);
  }

  private async remove(socket: WebSocket, matchId: string): Promise<void> {
    const room = this.rooms.get(matchId);
    if (!room) return;
    room.sockets.delete(socket);
    if (room.sockets.size > 0) return;
    this.rooms.delete(matchId);
    await this.subscriber
      .unsubscribe(channelOf(this.deps.config.REDIS_KEY_PREFIX, matchId))
      .catch(() => undefined);
  }

  /** One interval: for each match watched here, compute if this instance has the turn. */
  async tick(): Promise<void> {
    // One round at a time: a slow computation makes the next interval skip, not pile up.
    if (this.ticking) return this.ticking;
    const round = (async () => {
      for (const matchId of [...this.rooms.keys()]) {
        const turn = await this.deps.redis
          .set(turnKey(matchId), this.instance, 'PX', this.turnMs(), 'NX')
          .catch(() => null);
        if (turn === 'OK') await this.compute(matchId, false);
      }
    })();
    this.ticking = round;
    try {
      await round;
    } finally {
      this.ticking = null;
    }
  }

  // Slightly shorter than the interval, so the next interval's turn is free again.
  private turnMs(): number {
    return Math.max(50, Math.floor(this.deps.config.DASHBOARD_INTERVAL_MS * 0.8));
  }

  private async compute(matchId: string, firstWatchers: boolean): Promise<void> {
    const room = this.rooms.get(matchId);
    if (!room) return;
    try {
      this.computations++;
      const snapshot = await dashboardSnapshot(this.deps, matchId);
      if (sameFigures(room.last, snapshot)) return;
      const message = JSON.stringify({ type: 'dashboard_update', ...snapshot });
      if (firstWatchers) {
        // Only this instance's new watchers need it now; the others get the next change.
        room.last = snapshot;
        room.lastMessage = message;
        return;
      }
      await this.deps.redis.publish(channelOf(this.deps.config.REDIS_KEY_PREFIX, matchId), message);
    } catch (err) {
      this.deps.logger.warn({ err, matchId }, 'dashboard: live figures not computed');
    }
  }

  private deliver(matchId: string, message: string): void {
    const room = this.rooms.get(matchId);
    if (!room) return;
    let snapshot: DashboardSnapshot;
    try {
      const { type: _type, ...figures } = JSON.parse(message) as DashboardSnapshot & {
        type: string;
      };
      snapshot = figures;
    } catch {
      return;
    }
    const changed = !sameFigures(room.last, snapshot);
    room.last = snapshot;
    room.lastMessage = message;
    if (!changed) return;
    for (const socket of room.sockets) {
      if (socket.readyState === socket.OPEN) socket.send(message);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking?.catch(() => undefined);
    for (const room of this.rooms.values()) {
      for (const socket of room.sockets) socket.close(1001, 'server shutting down');
    }
    this.rooms.clear();
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}
