/**
 * A cap on the request-body bytes held at once across all connections, so many large reviews arriving together
 * are refused with a status rather than growing the heap until the container is OOM-killed. Bytes stay reserved
 * until the answer is sent: the parsed review lives that long.
 */
export interface BodyBudget {
  /** Takes `bytes` from the budget; false (and nothing taken) when that would exceed it. */
  take(bytes: number): boolean;
  give(bytes: number): void;
}

export function bodyBudget(limit: number): BodyBudget {
  let used = 0;
  return {
    take(bytes) {
      if (used + bytes > limit) return false;
      used += bytes;
      return true;
    },
    give(bytes) {
      used = Math.max(0, used - bytes);
    },
  };
}
