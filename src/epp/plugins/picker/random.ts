/**
 * shuffleInPlace is a Fisher-Yates shuffle of the first `count` positions (a uniform random
 * sample of that size lands there), driven by an injectable random source.
 */
export function shuffleInPlace<T>(items: T[], random: () => number, count = items.length): T[] {
  const n = items.length;
  const limit = Math.min(count, n - 1);
  for (let i = 0; i < limit; i++) {
    const j = i + Math.floor(random() * (n - i));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}
