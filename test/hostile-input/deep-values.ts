/** `{ a: { a: ... leaf } }`, `levels` objects deep, built without recursion. */
export function nested(levels: number, leaf: unknown): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value as Record<string, unknown>;
}

/**
 * Walks a value written by `nested` back down as the trail stored it: a subtree deeper than the
 * storable depth comes back as a string holding its JSON text, which is parsed and walked on.
 * Returns how many objects deep it went, where the first string was met, and the leaf.
 */
export function unfold(value: unknown): { levels: number; textAt: number | undefined; leaf: unknown } {
  let levels = 0;
  let textAt: number | undefined;
  let current = value;
  for (;;) {
    if (typeof current === 'string' && current.startsWith('{')) {
      textAt ??= levels + 1;
      current = JSON.parse(current);
      continue;
    }
    if (current === null || typeof current !== 'object') return { levels, textAt, leaf: current };
    current = (current as { a: unknown }).a;
    levels++;
  }
}
