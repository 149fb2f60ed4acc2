// Plain JavaScript on purpose: it must run on any Node, before a single TypeScript file loads.

/** The oldest Node that runs our TypeScript sources without a flag (type stripping, 22.18). */
export const MINIMUM_NODE = '22.18.0';

function older(version, minimum) {
  const a = version.replace(/^v/, '').split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== b[i]) return (a[i] ?? 0) < b[i];
  }
  return false;
}

/**
 * Why this Node cannot run the service, in one line, or null when it can. `typescript` is
 * `process.features.typescript`: false when type stripping is missing or switched off
 * (`--no-experimental-strip-types`), whatever the version says.
 */
export function nodeProblem({ version, typescript }) {
  if (older(version, MINIMUM_NODE))
    return `hns-ticketing needs Node.js ${MINIMUM_NODE} or newer (Node 24 recommended); this is Node ${version}.`;
  if (!typescript)
    return `hns-ticketing needs Node.js type stripping, which is switched off in this Node ${version} (remove --no-experimental-strip-types from NODE_OPTIONS).`;
  return null;
}
