import { parseArgs } from 'node:util';
import type { Config } from '../../config.ts';
import type { AppDeps } from '../../deps.ts';
import { ROLES, type Role } from '../../platform/auth/roles.ts';
import { AppError } from '../../platform/errors.ts';
import { createDevToken, DevSsoRefused } from './dev-sso.ts';
import { changeRoleByEmail } from './roles.service.ts';

export const ADMIN_USAGE = `usage: hns-ticketing admin grant <email> <ROLE>
       hns-ticketing admin revoke <email> <ROLE>
roles: ${ROLES.join(', ')}`;

export const DEV_TOKEN_USAGE =
  'usage: hns-ticketing dev-token <email> [--role <drupal role>]... [--blocked]';

/**
 * `admin grant|revoke <email> <ROLE>`: how the first SUPER_ADMIN is made (the user logs in
 * once through Drupal, then an operator runs this). Returns the exit code.
 */
export async function runAdminCommand(
  deps: Pick<AppDeps, 'db' | 'jobs' | 'clock'>,
  args: string[],
): Promise<number> {
  const [action, email, role] = args;
  if (
    (action !== 'grant' && action !== 'revoke') ||
    !email ||
    !role ||
    !(ROLES as readonly string[]).includes(role)
  ) {
    process.stderr.write(`${ADMIN_USAGE}\n`);
    return 2;
  }
  try {
    const result = await changeRoleByEmail(deps, action, email, role as Role);
    process.stdout.write(`${result.email}: ${result.roles.join(', ')}\n`);
    return 0;
  } catch (err) {
    if (err instanceof AppError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** `dev-token <email>`: prints a Drupal-like token of the local issuer (not in production). */
export async function runDevToken(
  config: Pick<Config, 'NODE_ENV' | 'DATA_DIR' | 'DEV_OIDC_PORT'>,
  args: string[],
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { role: { type: 'string', multiple: true }, blocked: { type: 'boolean' } },
  });
  const [email] = positionals;
  if (!email || !email.includes('@')) {
    process.stderr.write(`${DEV_TOKEN_USAGE}\n`);
    return 2;
  }
  try {
    const token = await createDevToken(config, email, {
      roles: values.role,
      blocked: values.blocked,
    });
    process.stdout.write(`${token}\n`);
    return 0;
  } catch (err) {
    if (err instanceof DevSsoRefused) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
