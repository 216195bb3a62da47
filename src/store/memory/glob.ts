/** Id patterns: `*` matches any run of characters, every other character only itself. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, "s");
}

/** The literal text before the first `*`, which every match starts with. */
export function literalPrefix(glob: string): string {
  const star = glob.indexOf("*");
  return star === -1 ? glob : glob.slice(0, star);
}
