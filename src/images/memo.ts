// What the image modules remember per picture, and for how long: every such table is made here.
//
// Keys are the picture objects themselves (a Picture, its encoded bytes, or decoded pixels), held weakly: what
// is remembered for a picture lives exactly as long as the picture, so a job's entries go when its pictures do
// and nothing is ever evicted by hand. A computation that fails is forgotten, so the next caller tries again.
// The one exception is rgb.ts's recent-pixels cache, which is bounded in bytes rather than tied to a picture.

/** How long a result stays: as long as its key (the default), or only until it settles (a single flight). */
export type MemoLifetime = "with-key" | "while-pending";

/** `compute` run once per key, its promise shared by every caller while the lifetime lasts. */
export function memoize<K extends object, V>(compute: (key: K) => Promise<V>, lifetime: MemoLifetime = "with-key"): (key: K) => Promise<V> {
  const results = new WeakMap<K, Promise<V>>();
  const forget = (key: K, result: Promise<V>) => {
    if (results.get(key) === result) results.delete(key);
  };
  return (key) => {
    const known = results.get(key);
    if (known) return known;
    const result = compute(key);
    results.set(key, result);
    if (lifetime === "while-pending") result.then(() => forget(key, result), () => forget(key, result));
    else result.catch(() => forget(key, result));
    return result;
  };
}

/** A value attached to a key for the key's lifetime, set and read synchronously (per-picture settings). */
export function pictureNote<K extends object, V>(): { get(key: K): V | undefined; set(key: K, value: V): void } {
  const notes = new WeakMap<K, V>();
  return { get: (key) => notes.get(key), set: (key, value) => void notes.set(key, value) };
}
