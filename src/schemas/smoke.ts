import { z } from 'zod';

/** Input of the smoke workflow: a blob to write and read back. */
export const SmokeInputSchema = z.object({
  container: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid blob container name'),
  blobName: z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters'),
  text: z.string(),
});
export type SmokeInput = z.infer<typeof SmokeInputSchema>;
