import { z } from 'zod';

/**
 * Turns zod issues into one readable line per path, e.g.
 * `SPC_TEMPORAL_ADDRESS: must be host:port (got "nope")`.
 */
export function formatIssues(error: z.ZodError, root = ''): string {
  return error.issues
    .map((issue) => {
      const path = [root, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${path || '(input)'}: ${issue.message}`;
    })
    .join('\n');
}

/** Parses `value` with `schema`, throwing a RangeError whose message names every bad field. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, root = ''): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new RangeError(formatIssues(result.error, root));
  return result.data;
}
