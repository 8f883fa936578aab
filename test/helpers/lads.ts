/** LAD codes for tests (no servers: pure tests import this alone). */

/** `count` distinct, valid LAD codes (E06000001...). */
export const ladCodes = (count: number, prefix = 'E0600'): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(9 - prefix.length, '0')}`);
