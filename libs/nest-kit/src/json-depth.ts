/**
 * Whether a parsed JSON value nests objects/arrays deeper than `max`. Iterative on purpose: the
 * recursive walkers downstream (class-transformer, class-validator) overflow the stack on a few
 * thousand levels, which a 100 kB body easily holds, and the resulting RangeError was a 500.
 */
export function exceedsDepth(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
