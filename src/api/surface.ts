import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyPluginAsync,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps.ts';

/** A Fastify instance with zod types for route schemas. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Modules export their routes per surface as `(app, deps) => void`. */
export type RouteRegistrar = (app: App, deps: AppDeps) => void | Promise<void>;

/** Builds a surface plugin from the registrars of the modules that expose routes on it. */
export function surface(
  deps: AppDeps,
  tag: string,
  registrars: RouteRegistrar[],
  setup?: (app: App) => Promise<unknown> | void,
): FastifyPluginAsync {
  return async (instance) => {
    const app = instance.withTypeProvider<ZodTypeProvider>();
    // Document every route under its surface and its auth requirement.
    app.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, tags: route.schema?.tags ?? [tag] };
      if (route.config?.access && route.config.access !== 'public') {
        route.schema.security = [{ bearer: [] }];
      }
    });
    if (setup) await setup(app);
    for (const register of registrars) await register(app, deps);
  };
}
