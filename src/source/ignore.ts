// Which paths under the desired directory count as desired files; shared by the loader and the watcher.
import { basename, isAbsolute, relative, sep } from 'node:path';

/** isIgnoredName is true for dotfiles and dot-dirs (.git), node_modules and editor temp files (foo~, .#foo, #foo#, *.swp, *.swx, *.tmp, 4913). */
export function isIgnoredName(name: string): boolean {
  return (
    name.startsWith('.') ||
    name === 'node_modules' ||
    name.endsWith('~') ||
    (name.startsWith('#') && name.endsWith('#')) ||
    /\.(swp|swx|tmp)$/i.test(name) ||
    name === '4913'
  );
}

/** isYamlName is true for *.yaml and *.yml. */
export function isYamlName(name: string): boolean {
  return /\.ya?ml$/i.test(name);
}

/** isIgnoredPath is true when any segment of path below root is ignored; root itself and paths outside root are never ignored here. */
export function isIgnoredPath(root: string, path: string): boolean {
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return false;
  return rel.split(sep).some(isIgnoredName);
}

/** isInside is true when path is root or below it. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** isDesiredFile is true for a YAML file below root that no ignore rule hides. */
export function isDesiredFile(root: string, path: string): boolean {
  return isYamlName(basename(path)) && isInside(root, path) && !isIgnoredPath(root, path);
}

/** displayFile shows a path relative to cwd when it is below cwd, else absolute, as problems print it. */
export function displayFile(path: string, cwd: string = process.cwd()): string {
  return isInside(cwd, path) && path !== cwd ? relative(cwd, path) : path;
}
