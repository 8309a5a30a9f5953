/** `*` globs (any run of characters, dots and slashes included), as rule files and unit lists write them. */
export function globToRegExp(glob: string, flags = ''): RegExp {
  const body = glob
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, flags);
}
