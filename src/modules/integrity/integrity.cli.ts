import { parseArgs } from 'node:util';
import type { AppDeps } from '../../deps.ts';
import { auditMatchInvariants } from './integrity.service.ts';

export const AUDIT_INVARIANTS_USAGE =
  'usage: hns-ticketing audit-invariants --match <match_id> [--grace-seconds 120] [--json]';

/**
 * `audit-invariants --match <id>`: prints every invariant with its violation count and
 * returns the exit code (0 clean, 1 violations), for operators after any real sale.
 */
export async function runAuditInvariants(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  args: string[],
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      match: { type: 'string' },
      'grace-seconds': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (!values.match) {
    process.stderr.write(`${AUDIT_INVARIANTS_USAGE}\n`);
    return 2;
  }
  const report = await auditMatchInvariants(deps, values.match, {
    graceSeconds: values['grace-seconds'] ? Number(values['grace-seconds']) : undefined,
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const inv of report.invariants) {
      const mark = inv.violations === 0 ? 'ok  ' : 'FAIL';
      process.stdout.write(
        `${mark} ${inv.name.padEnd(40)} ${inv.violations}  ${inv.description}\n`,
      );
      if (inv.violations)
        process.stdout.write(`       e.g. ${inv.sample.slice(0, 5).join(', ')}\n`);
    }
    process.stdout.write(report.ok ? 'all invariants hold\n' : 'INVARIANT VIOLATIONS FOUND\n');
  }
  return report.ok ? 0 : 1;
}
