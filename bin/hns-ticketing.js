#!/usr/bin/env node
// The CLI's entry point (npm scripts and the README call it). It checks the Node version
// first: an older Node would fail on the first .ts import with an error that does not say
// "your Node is too old".
import { nodeProblem } from './node-check.js';

const problem = nodeProblem({
  version: process.version,
  typescript: process.features?.typescript ?? false,
});
if (problem) {
  console.error(problem);
  process.exit(2);
}
const { main } = await import('../src/main.ts');
await main(process.argv.slice(2));
