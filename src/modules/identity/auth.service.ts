import { createHash, randomBytes } from 'node:crypto';
import type { AppDeps } from '../../deps.ts';
import type { Role } from '../../platform/auth/roles.ts';
import type { AccessClaims } from '../../platform/auth/tokens.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import type { Executor } from '../../platform/db/database.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { effectiveRoles } from './roles.rules.ts';
import { derivedRoles } from './role-sources.ts';
import {
  findSessionIdByRotatedHash,
  insertSession,
  lockSessionByTokenHash,
  revokeSession,
  revokeUserSessions,
  rotateSessionToken,
} from './sessions.repo.ts';
import { announceRevokedSessions } from './revocations.ts';
import { validateDrupalToken } from './sso.service.ts';
import { syncDrupalUser } from './user-sync.service.ts';
import { findUserById, listGrantedRoles, setUserLocale, type UserRow } from './users.repo.ts';

/**
 * Our own tokens (E1-F2): a Drupal token is exchanged for a 15-minute access JWT and a
 * 7-day refresh token. The refresh token is 256 random bits; only its SHA-256 is stored
 * (a stolen database yields no usable token, and the hash needs no salt because the token
 * is already unguessable). Each refresh rotates it; presenting a rotated one again means it
 * leaked (or a client raced itself), so the whole session is revoked (OAuth 2.0 Security
 * BCP, refresh token rotation).
 */
type Deps = Pick<AppDeps, 'config' | 'db' | 'redis' | 'clock' | 'logger' | 'tokens' | 'jobs'>;

export interface TokenPair {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

export interface CurrentUser {
  id: string;
  drupal_user_id: string;
  email: string;
  status: UserRow['status'];
  roles: Role[];
  created_at: string;
  updated_at: string;
}

export interface RequestContext {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const newRefreshToken = () => randomBytes(32).toString('base64url');

async function rolesOf(db: Executor, user: UserRow): Promise<Role[]> {
  const derived = await derivedRoles(db, user);
  return effectiveRoles([...(await listGrantedRoles(db, user.id)), ...derived], user.sso_roles);
}

function toCurrentUser(user: UserRow, roles: Role[]): CurrentUser {
  return {
    id: user.id,
    drupal_user_id: user.drupal_user_id,
    email: user.email,
    status: user.status,
    roles,
    created_at: user.created_at.toISOString(),
    updated_at: user.updated_at.toISOString(),
  };
}

async function issueTokens(
  deps: Deps,
  claims: AccessClaims,
  refreshToken: string,
): Promise<TokenPair> {
  return {
    access_token: await deps.tokens.sign(claims),
    token_type: 'Bearer',
    expires_in: deps.config.ACCESS_TOKEN_TTL_SECONDS,
    refresh_token: refreshToken,
    refresh_expires_in: deps.config.REFRESH_TOKEN_TTL_SECONDS,
  };
}

const refreshExpiry = (deps: Deps) =>
  new Date(deps.clock.now().getTime() + deps.config.REFRESH_TOKEN_TTL_SECONDS * 1000);

/** POST /auth/login: Drupal token → local user (created or synced) → our tokens. */
export async function login(
  deps: Deps,
  input: { drupal_token: string; device_id: string },
  ctx: RequestContext = {},
): Promise<TokenPair & { user: CurrentUser }> {
  // Drupal is called before the transaction opens: no connection is held while it answers.
  const identity = await validateDrupalToken(deps, input.drupal_token);
  const refreshToken = newRefreshToken();

  const outcome = await deps.db.transaction().execute(async (trx) => {
    const user = await syncDrupalUser(deps, trx, identity);
    if (user.status !== 'active') {
      // The sync commits (local status follows Drupal) and live sessions end with it.
      const revoked = await revokeUserSessions(trx, user.id, 'user_suspended', deps.clock.now());
      await recordAudit(deps, trx, {
        domain: 'auth',
        action: 'login_refused_suspended',
        actor: { type: 'user', id: user.id },
        subject: { type: 'user', id: user.id },
        changes: { sessions_revoked: revoked.length },
        context: { ...ctx },
      });
      return { suspended: true as const, revoked };
    }
    const roles = await rolesOf(trx, user);
    const session = await insertSession(trx, {
      user_id: user.id,
      refresh_token_hash: hashToken(refreshToken),
      device_id: input.device_id,
      expires_at: refreshExpiry(deps),
    });
    await recordAudit(deps, trx, {
      domain: 'auth',
      action: 'login',
      actor: { type: 'user', id: user.id },
      subject: { type: 'session', id: session.id },
      changes: { device_id: input.device_id, roles },
      context: { ...ctx },
    });
    return { suspended: false as const, user, roles, sessionId: session.id };
  });

  if (outcome.suspended) {
    await announceRevokedSessions(deps, outcome.revoked);
    throw new AppError('USER_SUSPENDED', 'This account is suspended');
  }
  const tokens = await issueTokens(
    deps,
    { userId: outcome.user.id, roles: outcome.roles, sessionId: outcome.sessionId },
    refreshToken,
  );
  return { ...tokens, user: toCurrentUser(outcome.user, outcome.roles) };
}

/** POST /auth/refresh: rotates the refresh token; a rotated one presented again revokes. */
export async function refresh(
  deps: Deps,
  input: { refresh_token: string },
  ctx: RequestContext = {},
): Promise<TokenPair> {
  const presented = hashToken(input.refresh_token);
  const next = newRefreshToken();
  const now = deps.clock.now();

  const outcome = await deps.db.transaction().execute(async (trx) => {
    // Row lock: of two concurrent refreshes with one token, the second sees the rotated
    // hash once the first commits, so it is treated as reuse, never as a second success.
    const session = await lockSessionByTokenHash(trx, presented);
    if (!session) {
      const reusedIn = await findSessionIdByRotatedHash(trx, presented);
      if (!reusedIn) return { error: 'REFRESH_TOKEN_INVALID' as const };
      if (await revokeSession(trx, reusedIn, 'reuse_detected', now)) {
        await recordAudit(deps, trx, {
          domain: 'auth',
          action: 'refresh_token_reuse_detected',
          actor: { type: 'system' },
          subject: { type: 'session', id: reusedIn },
          context: { ...ctx },
        });
      }
      return { error: 'REFRESH_TOKEN_REUSED' as const, revoked: [reusedIn] };
    }
    if (session.revoked_at || session.expires_at.getTime() <= now.getTime()) {
      return { error: 'REFRESH_TOKEN_INVALID' as const };
    }
    const user = await findUserById(trx, session.user_id);
    if (!user || user.status !== 'active') {
      // Every session of the user ends, not only this one.
      await revokeSession(trx, session.id, 'user_suspended', now);
      const others = user ? await revokeUserSessions(trx, user.id, 'user_suspended', now) : [];
      return { error: 'USER_SUSPENDED' as const, revoked: [session.id, ...others] };
    }
    await rotateSessionToken(trx, session, hashToken(next), now, refreshExpiry(deps));
    return { error: null, user, roles: await rolesOf(trx, user), sessionId: session.id };
  });

  if (outcome.error) {
    if ('revoked' in outcome) await announceRevokedSessions(deps, outcome.revoked ?? []);
    throw new AppError(outcome.error);
  }
  return issueTokens(
    deps,
    { userId: outcome.user.id, roles: outcome.roles, sessionId: outcome.sessionId },
    next,
  );
}

/**
 * POST /auth/logout: ends the caller's session (named in the access token) or the one of
 * the given refresh token. Their access tokens stop working on every instance within
 * seconds (revocations.ts).
 */
export async function logout(
  deps: Deps,
  caller: AccessClaims,
  input: { refresh_token?: string },
  ctx: RequestContext = {},
): Promise<void> {
  const now = deps.clock.now();
  const revoked = await deps.db.transaction().execute(async (trx) => {
    const ids = new Set<string>();
    const ended: string[] = [];
    if (caller.sessionId) ids.add(caller.sessionId);
    if (input.refresh_token) {
      const session = await lockSessionByTokenHash(trx, hashToken(input.refresh_token));
      if (session && session.user_id === caller.userId) ids.add(session.id);
    }
    for (const id of ids) {
      if (await revokeSession(trx, id, 'logout', now, caller.userId)) {
        ended.push(id);
        await recordAudit(deps, trx, {
          domain: 'auth',
          action: 'logout',
          actor: { type: 'user', id: caller.userId },
          subject: { type: 'session', id },
          context: { ...ctx },
        });
      }
    }
    return ended;
  });
  await announceRevokedSessions(deps, revoked);
}

/** GET /users/me: the caller with their current roles (from the database, not the token). */
export async function currentUser(deps: Pick<AppDeps, 'db'>, userId: string): Promise<CurrentUser> {
  const user = await findUserById(deps.db, userId);
  if (!user) throw notFound('User');
  return toCurrentUser(user, await rolesOf(deps.db, user));
}

/** PUT /users/me/locale: the language pushes and emails to the caller use (E6-F3 pushes). */
export async function setMyLocale(deps: Pick<AppDeps, 'db'>, userId: string, locale: 'hr' | 'en') {
  await setUserLocale(deps.db, userId, locale);
  return { locale };
}
