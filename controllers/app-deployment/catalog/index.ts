// The built-in template catalog: lookup by name; issue 11 adds AppTemplate files and user templates on top.
import type { AppTemplate } from '../template.js';
import { WHOAMI } from './whoami.js';

/** BUILTIN_TEMPLATES are the templates shipped with livchat, by name. */
export const BUILTIN_TEMPLATES: ReadonlyMap<string, AppTemplate> = new Map([[WHOAMI.name, WHOAMI]]);

/** findTemplate returns the built-in template of that name, if any. */
export function findTemplate(name: string): AppTemplate | undefined {
  return BUILTIN_TEMPLATES.get(name);
}

/** templateNames lists the built-in template names, sorted, for messages such as "unknown app; known: …". */
export function templateNames(): string[] {
  return [...BUILTIN_TEMPLATES.keys()].sort();
}
