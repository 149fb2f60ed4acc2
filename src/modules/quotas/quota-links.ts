import type { Config } from '../../config.ts';

/** What the quota emails show: the match's name, its kick-off in Zagreb time, portal links. */

export const matchName = (m: { home_team: string; away_team: string }) =>
  `${m.home_team} – ${m.away_team}`;

const kickoffFormat = new Intl.DateTimeFormat('hr-HR', {
  timeZone: 'Europe/Zagreb',
  dateStyle: 'long',
  timeStyle: 'short',
});
export const formatKickoff = (at: Date) => kickoffFormat.format(at);

/** The deep link of a quota (or sub-quota) in the quota portal. */
export const portalUrl = (
  config: Pick<Config, 'PUBLIC_BASE_URL'>,
  quotaId: string,
  subquotaId?: string,
) =>
  `${config.PUBLIC_BASE_URL.replace(/\/$/, '')}/quota-portal/quotas/${quotaId}` +
  (subquotaId ? `?subquota=${subquotaId}` : '');
