import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';

/**
 * The operations page (issue 26, beyond the spec): `/ops/match/{id}`, plain HTML and
 * JavaScript served as files, uPlot straight from node_modules: nothing to build. The page
 * itself is public (it holds no data); it signs staff in and reads the admin API with
 * their token, so the admin routes' roles decide what it shows.
 */

const here = (file: string) => fileURLToPath(new URL(`./ops/${file}`, import.meta.url));
const fromPackage = createRequire(import.meta.url);

const ASSETS: Record<string, { file: string; type: string }> = {
  'ops.js': { file: here('ops.js'), type: 'text/javascript; charset=utf-8' },
  'ops.css': { file: here('ops.css'), type: 'text/css; charset=utf-8' },
  'uPlot.iife.min.js': {
    file: fromPackage.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'uPlot.min.css': {
    file: fromPackage.resolve('uplot/dist/uPlot.min.css'),
    type: 'text/css; charset=utf-8',
  },
};

export const opsPageRoutes: RouteRegistrar = (app) => {
  // Read once: a handful of small files.
  const page = readFileSync(here('index.html'));
  const assets = new Map(
    Object.entries(ASSETS).map(([name, a]) => [name, { body: readFileSync(a.file), type: a.type }]),
  );

  app.get(
    '/ops/match/:id',
    {
      config: { access: 'public' },
      schema: { hide: true, params: z.object({ id: z.uuid() }) },
    },
    async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page),
  );

  app.get(
    '/ops/assets/:name',
    {
      config: { access: 'public' },
      schema: { hide: true, params: z.object({ name: z.string().max(64) }) },
    },
    async (request, reply) => {
      const asset = assets.get(request.params.name);
      if (!asset) return reply.callNotFound();
      return reply.type(asset.type).header('cache-control', 'public, max-age=300').send(asset.body);
    },
  );
};
