/**
 * Generated regions of a Markdown file: `<!-- prodguard-<kind>:<name> -->` … `<!-- /prodguard-<kind> -->`.
 * `render(kind, name)` gives the new content of each region; everything outside the markers is kept as written.
 *
 * @example
 * replaceMarkedBlocks('a\n<!-- prodguard-help:deploy -->\nold\n<!-- /prodguard-help -->\n', () => 'new\n')
 * // 'a\n<!-- prodguard-help:deploy -->\nnew\n<!-- /prodguard-help -->\n'
 */
export function replaceMarkedBlocks(text: string, render: (kind: string, name: string) => string): string {
  return text.replace(
    /(<!-- prodguard-([a-z]+):([a-z0-9 -]+) -->\n)([\s\S]*?)(<!-- \/prodguard-\2 -->)/g,
    (_match, open: string, kind: string, name: string, _old: string, close: string) =>
      `${open}${render(kind, name.trim())}${close}`,
  );
}

/** The blocks a file marks, in order, as `{ kind, name }`. */
export function listMarkedBlocks(text: string): { kind: string; name: string }[] {
  return [...text.matchAll(/<!-- prodguard-([a-z]+):([a-z0-9 -]+) -->\n/g)].map((m) => ({
    kind: m[1] as string,
    name: (m[2] as string).trim(),
  }));
}
