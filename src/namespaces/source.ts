import type { Annotations } from '../core/read-annotations.js';

/** Where reviews get namespace annotations from: a file in standalone mode, the API server in a cluster. */
export interface NamespaceSource {
  /** The namespace's own annotations; `undefined` when it cannot be known right now. */
  get(name: string): Annotations | undefined | Promise<Annotations | undefined>;
  /** True once namespaces are known (the file read, or the first list arrived). */
  ready(): boolean;
  stop(): void;
}
