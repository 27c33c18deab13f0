/**
 * Linear-time string helpers for request-controlled text. A regex such as `/[\s,]+$/` rescans the run of
 * matching characters from every position in it when something else follows: quadratic, seconds on 100 KB.
 */

/** `s` without the characters at its end for which `drop` holds; one backwards pass. */
export function trimEndWhere(s: string, drop: (char: string) => boolean): string {
  let end = s.length;
  while (end > 0 && drop(s.charAt(end - 1))) end--;
  return s.slice(0, end);
}

// What String.prototype.trim removes, plus the list separator.
export const isBlankOrComma = (c: string): boolean => c === ',' || c.trim() === '';
export const isSlash = (c: string): boolean => c === '/';
