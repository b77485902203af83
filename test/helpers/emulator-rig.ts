/**
 * The emulator serving a stand-in app (test/helpers/receiver.ts): the portal's events and installs go to the stand-in,
 * which records them. `emulatorRig()` registers the hooks that start and stop both in the current suite (or file);
 * its fields are set once the `before` hook has run. What else a file needs before its tests goes in `setUp`, which
 * runs in that hook: node:test may run two top-level `before` hooks of a file at once.
 */
import { after, before } from 'node:test';
import { serveEmulator, type RunningEmulator } from '../../src/emulator/http.js';
import { Emulator } from '../../src/emulator/portal.js';
import type { EmulatorOptions } from '../../src/emulator/types.js';
import { startReceiver, type Receiver } from './receiver.js';

export interface EmulatorRig {
  receiver: Receiver;
  running: RunningEmulator;
  emulator: Emulator;
  /** POST to the emulator's admin API (JSON), as its CLI does: the status and the JSON answer. */
  admin(path: string, body?: object): Promise<{ status: number; body: Record<string, unknown> }>;
}

export function emulatorRig(
  options: EmulatorOptions = { rateLimit: false },
  setUp: (rig: EmulatorRig) => Promise<void> | void = () => {},
): EmulatorRig {
  const rig = {
    async admin(path: string, body: object = {}) {
      const response = await fetch(`${rig.running.url}/admin/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  } as EmulatorRig;
  before(async () => {
    rig.receiver = await startReceiver();
    rig.emulator = new Emulator(options);
    rig.running = await serveEmulator(rig.emulator, { appUrl: rig.receiver.url });
    await setUp(rig);
  });
  after(async () => {
    await rig.running?.close();
    await rig.receiver?.close();
  });
  return rig;
}
