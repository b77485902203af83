/** Renders the dashboard's templates with Eta, which escapes every interpolated value (autoEscape). */
import { Eta } from 'eta';
import { inbox, inboxEvent } from './templates/inbox.js';
import { layout, off, problem, signIn } from './templates/layout.js';
import { calls, overview, permissions, portals } from './templates/tables.js';

const eta = new Eta({ autoEscape: true, cache: true, rmWhitespace: true });
const templates = { layout, signIn, off, problem, overview, portals, permissions, calls, inbox, inboxEvent };
for (const [name, text] of Object.entries(templates)) eta.loadTemplate(`@${name}`, text);

export type PageName = Exclude<keyof typeof templates, 'layout'>;

export interface Frame {
  title: string;
  /** The prefix the dashboard is mounted at ('' at the root). */
  base: string;
  /** Whether to show the navigation (signed in). */
  nav: boolean;
  current?: string;
  csrf?: string;
  notice?: string | undefined;
}

export function render(name: PageName, data: Frame & Record<string, unknown>): string {
  return eta.render(`@${name}`, data);
}
