import { type FSWatcher, watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";

/** Disposable releases what a watcher holds. */
export interface Disposable {
  dispose(): void;
}

/**
 * watchFile calls onChange (debounced) when the file at path changes, including when it is
 * replaced by a rename or symlink swap. Kubernetes updates ConfigMap volumes by re-pointing a
 * `..data` symlink in the parent directory, which a watch on the file itself never sees, so we
 * watch the directory and re-read on any event that could affect the file.
 */
export function watchFile(path: string, onChange: () => void, debounceMs = 100): Disposable {
  const absolute = resolve(path);
  const dir = dirname(absolute);
  const name = basename(absolute);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const fire = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
    timer.unref();
  };
  try {
    watcher = watch(dir, { persistent: false }, (_event, changed) => {
      // ConfigMap swaps touch "..data" and "..<timestamp>" entries, not the file name itself.
      if (changed === null || changed === name || changed.startsWith("..")) fire();
    });
    watcher.on("error", () => {
      /* the directory went away; the last good content keeps serving */
    });
  } catch {
    watcher = undefined;
  }
  return {
    dispose() {
      if (timer) clearTimeout(timer);
      watcher?.close();
    },
  };
}
