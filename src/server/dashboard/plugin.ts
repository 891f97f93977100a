import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import { FmcError } from '../../errors.js';
import { labelTableJson } from '../../labels.js';
import { negotiateLocale, LOCALES } from './client/catalogue.js';
import { PAGE_CSS, renderPage } from './page.js';

const CLIENT_DIR = fileURLToPath(new URL('./client/', import.meta.url));

/** The compiled browser modules, read once: a handful of small files, served from memory. */
function loadClientModules(): Map<string, string> {
  const modules = new Map<string, string>();
  if (!existsSync(CLIENT_DIR)) return modules;
  for (const name of readdirSync(CLIENT_DIR)) {
    if (/^[a-z-]+\.js$/.test(name)) modules.set(name, readFileSync(`${CLIENT_DIR}${name}`, 'utf8'));
  }
  return modules;
}

/** `GET /`: the dashboard page; `/dashboard/*`: its stylesheet and ES modules. */
export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  const modules = loadClientModules();
  // One page per language, rendered once; the browser's Accept-Language picks (French for `fr`).
  const pages = new Map(LOCALES.map((l) => [l, renderPage(l)]));
  app.get('/', { config: { access: 'public' } }, async (request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('vary', 'Accept-Language')
      .send(pages.get(negotiateLocale(request.headers['accept-language']))),
  );
  app.get('/dashboard/style.css', { config: { access: 'public' } }, async (_request, reply) => reply.type('text/css; charset=utf-8').send(PAGE_CSS));
  // The label fields and output columns: the page renders from these, it keeps no copy.
  app.get('/dashboard/labels.json', { config: { access: 'public' } }, async () => labelTableJson());
  app.get<{ Params: { name: string } }>('/dashboard/:name', { config: { access: 'public' } }, async (request, reply) => {
    const source = modules.get(request.params.name);
    if (source === undefined) {
      // Run from the TypeScript sources (tsx), there is no compiled client to serve.
      const hint = modules.size === 0 ? '; the dashboard is served from the build: run `npm run build`' : '';
      throw new FmcError('FMC_ERR_NOT_FOUND', `no dashboard file ${request.params.name}${hint}`);
    }
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(source);
  });
};
