import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { jobDefinitions, seeds, startWorkerLoops, type WorkerLoop } from './modules/index.ts';
import { withDevSso } from './modules/identity/dev-sso.ts';
import { seedArgs } from './modules/matches/demo-sale.seed.ts';
import { runAdminCommand, runDevToken } from './modules/identity/identity.cli.ts';
import { runAuditInvariants } from './modules/integrity/integrity.cli.ts';
import { withDevMailCatcher } from './platform/adapters/smtp/dev-mail-catcher.ts';
import { withDevStripe } from './platform/adapters/stripe/dev-stripe.ts';
import { withDevEracuni } from './platform/adapters/eracuni/dev-eracuni.ts';
import { closeGracefully } from './platform/http/shutdown.ts';
import { createLogger, type Logger } from './platform/logging.ts';
import { createRuntime, type Runtime } from './platform/runtime/runtime.ts';
import { runSeeds } from './platform/seeds.ts';

/**
 * The one CLI: `serve` (HTTP), `worker` (jobs), `start` (both, for a single machine),
 * `migrate`, `seed`. Every process is stateless; run as many serve/worker as load needs.
 */
const USAGE = `usage: hns-ticketing <command>

commands:
  start     API and worker in one process (what \`npm start\` runs)
  serve     HTTP API only
  worker    background jobs only
  migrate   apply database migrations and create job queues
  seed [--demo]   load reference data (idempotent); --demo: also a demo match on sale
  audit-invariants --match <id>   check a sale's invariants (exit 1 on violation)
  admin grant|revoke <email> <ROLE>   grant or revoke a local role (first SUPER_ADMIN)
  dev-token <email>   print a Drupal-like token of the local dev issuer (not in production)`;

type Command = (config: Config, logger: Logger, args: string[]) => Promise<void>;

async function runServer(config: Config, logger: Logger, withWorker: boolean): Promise<void> {
  const runtime = await createRuntime(config, logger, {
    supervise: withWorker,
    longRunning: true,
  });
  const { deps } = runtime;
  let loops: WorkerLoop[] = [];
  if (withWorker) {
    await runSeeds(seeds, deps);
    await deps.jobs.work(jobDefinitions(deps));
    loops = startWorkerLoops(deps);
  }
  const app = await buildApp(deps);
  await app.listen({ host: config.HOST, port: config.PORT, backlog: config.HTTP_LISTEN_BACKLOG });
  onShutdown(logger, config, async () => {
    const took = stopwatch();
    await closeGracefully(app); // stops accepting, lets in-flight requests finish
    const httpMs = took();
    await Promise.all(loops.map((l) => l.stop()));
    const loopsMs = took();
    await runtime.close(); // stops the job worker gracefully, then the connections
    logger.info({ httpMs, loopsMs, runtimeMs: took() }, 'stopped');
  });
}

async function runWorker(config: Config, logger: Logger): Promise<void> {
  const runtime = await createRuntime(config, logger, { supervise: true, longRunning: true });
  await runtime.deps.jobs.work(jobDefinitions(runtime.deps));
  const loops = startWorkerLoops(runtime.deps);
  logger.info('worker running');
  onShutdown(logger, config, async () => {
    const took = stopwatch();
    await Promise.all(loops.map((l) => l.stop()));
    const loopsMs = took();
    await runtime.close();
    logger.info({ loopsMs, runtimeMs: took() }, 'stopped');
  });
}

/** Milliseconds since the last call (or since it was made). */
function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const ms = Math.round(now - last);
    last = now;
    return ms;
  };
}

async function once(config: Config, logger: Logger, work: (runtime: Runtime) => Promise<void>) {
  const runtime = await createRuntime(config, logger, { supervise: false });
  try {
    await work(runtime);
  } finally {
    await runtime.close();
  }
}

const commands: Record<string, Command> = {
  // Outside production with no SMTP_URL, `start` also runs maildev (see README).
  // Outside production with no Drupal configured, `start` also runs a local OIDC issuer.
  start: async (config, logger) =>
    runServer(
      await withDevEracuni(
        await withDevStripe(
          await withDevSso(await withDevMailCatcher(config, logger), logger),
          logger,
        ),
        logger,
      ),
      logger,
      true,
    ),
  serve: (config, logger) => runServer(config, logger, false),
  worker: (config, logger) => runWorker(config, logger),
  migrate: (config, logger) => once(config, logger, async () => logger.info('migrations applied')),
  seed: (config, logger, args) =>
    once(seedArgs(config, args), logger, (rt) => runSeeds(seeds, rt.deps)),
  admin: (config, logger, args) =>
    once(config, logger, async (rt) => {
      process.exitCode = await runAdminCommand(rt.deps, args);
    }),
  'dev-token': async (config, _logger, args) => {
    process.exitCode = await runDevToken(config, args);
  },
  'audit-invariants': (config, logger, args) =>
    once(config, logger, async (rt) => {
      process.exitCode = await runAuditInvariants(rt.deps, args);
    }),
};

function onShutdown(logger: Logger, config: Config, close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out, exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + 5_000);
    timer.unref();
    close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  // \`on\`, not \`once\`: Ctrl-C reaches us twice (from the terminal's process group and
  // forwarded by npm), and a second signal with no listener would kill the process mid-drain.
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
  // Whoever started us (npm, a shell, a supervisor) died without passing a signal on:
  // stop too, rather than serve on as an orphan with our database still running.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) handler('parent exited');
  }, 500).unref();
}

export async function main(argv: string[]): Promise<void> {
  // The first word is the command; everything after it belongs to the command.
  const [name = 'start', ...rest] = argv;
  const command = commands[name];
  if (!command) {
    console.error(USAGE);
    process.exit(2);
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  try {
    await command(config, logger, rest);
  } catch (err) {
    // One readable line whatever the log level; the stack only at debug.
    logger.debug({ err }, `${name} failed`);
    console.error(`hns-ticketing ${name} failed: ${(err as Error)?.message ?? String(err)}`);
    process.exit(1);
  }
}

if (import.meta.main) await main(process.argv.slice(2));
