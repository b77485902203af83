/**
 * `b24-events serve --app ./my-app.js` (or B24_APP): your handlers on the ready server. The module's default export
 * (or its `register` export) is a function that receives the server's app and registers `app.on(...)` and
 * `app.resume(...)` on it, before the server starts taking events:
 *
 *   export default (app) => { app.resume('sync-phone-users', async (outcome) => { ... }); };
 *
 * TypeScript modules load where a TypeScript loader runs (`npm start` runs the CLI under tsx).
 */
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { B24App } from '../app/create-app.js';
import { UsageError } from './common.js';

export type RegisterApp = (app: B24App) => void | Promise<void>;

function registerOf(module: Record<string, unknown>): RegisterApp | undefined {
  const fallback = module.default as Record<string, unknown> | undefined; // CommonJS: module.exports = { register }
  for (const candidate of [module.default, module.register, fallback?.register]) {
    if (typeof candidate === 'function') return candidate as RegisterApp;
  }
  return undefined;
}

export async function loadAppModule(path: string, app: B24App): Promise<void> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UsageError(`--app ${path}: no such file (${file}).`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /^\.[mc]?tsx?$/.test(extname(file))) {
      throw new UsageError(
        `--app ${path}: a TypeScript module needs a TypeScript loader: run the server with "npx tsx" (npm start does), or compile the module to JavaScript.`,
      );
    }
    throw new Error(`--app ${path} could not be loaded: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const register = registerOf(module);
  if (!register) {
    throw new UsageError(
      `--app ${path} exports no function: export default (app) => { app.on(...); app.resume(...); } or export function register(app).`,
    );
  }
  try {
    await register(app);
  } catch (error) {
    throw new Error(
      `--app ${path}: its function failed while registering handlers: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
