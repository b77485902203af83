// `node --import ./test/helpers/no-native-drivers.mjs`: a runtime where the database drivers cannot load, as on a
// platform without native modules. Set BLOCK_DRIVERS to a comma-separated list (default: better-sqlite3,pg).
import { register } from 'node:module';

const blocked = (process.env.BLOCK_DRIVERS ?? 'better-sqlite3,pg').split(',');
const hooks = `
const blocked = ${JSON.stringify(blocked)};
export async function resolve(specifier, context, next) {
  if (blocked.some((name) => specifier === name || specifier.startsWith(name + '/'))) throw new Error('"' + specifier + '" cannot load on this runtime');
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
