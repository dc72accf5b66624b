/**
 * memoizedBy caches one derived value per key object, held only as long as the key is: a config
 * snapshot's derived settings are built once and go with the snapshot.
 */
export function memoizedBy<K extends object, V>(derive: (key: K) => V): (key: K) => V {
  const cache = new WeakMap<K, V>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = derive(key);
      cache.set(key, value);
    }
    return value;
  };
}
