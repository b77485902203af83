/**
 * Database drivers are imported when a store first needs them, never when `b24-events` is imported: better-sqlite3
 * is a native module and pg pulls in Node's net, so the root import stays usable where neither can load.
 */
export class DriverUnavailableError extends Error {
  override name = 'DriverUnavailableError';
  readonly code = 'driver_unavailable';
}

export async function importDriver<T>(name: 'better-sqlite3' | 'pg', store: string): Promise<{ default: T }> {
  try {
    return (await import(name)) as { default: T };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DriverUnavailableError(
      `${store} needs the "${name}" package, which could not be loaded here: ${reason}`,
      { cause: error },
    );
  }
}
