import { execFileSync } from 'node:child_process';

/**
 * The machine's programs that tests use to check our output as a real client would
 * (zbarimg, rsvg-convert, chromium). On a developer's machine a missing one skips that
 * cross-check; in CI (CI=true, where `.ci/run` installs them) a missing one fails the test.
 */
export function tool(...names: string[]): string | null {
  const found = findTool(...names);
  if (!found && process.env.CI)
    throw new Error(`${names.join(' or ')} is not installed, and CI must run this check`);
  return found;
}

/** The first of these programs that is installed, or null. */
export function findTool(...names: string[]): string | null {
  for (const name of names) {
    try {
      const found = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // not installed under this name
    }
  }
  return null;
}
