import jsonpatch, { type Operation } from 'fast-json-patch';

export type { Operation };

/** The JSON Patch that turns `original` into `mutated`: derived by diffing, never written by hand. */
export function diff(original: object, mutated: object): Operation[] {
  return jsonpatch.compare(original, mutated);
}
