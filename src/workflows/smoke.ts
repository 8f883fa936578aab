import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { createSmokeActivities } from '../activities/smoke';
import { formatIssues } from '../schemas/issues';
import { smokeSchemas } from './lazy-schemas';

const { writeAndReadBlob } = proxyActivities<ReturnType<typeof createSmokeActivities>>({
  startToCloseTimeout: '30 seconds',
});

/** Writes a blob through an activity and returns what reads back: proves server, worker and storage work together. */
export async function smokeWorkflow(raw: unknown): Promise<string> {
  const parsed = smokeSchemas().SmokeInputSchema.safeParse(raw);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(formatIssues(parsed.error, 'input'), 'InvalidInputError');
  return writeAndReadBlob(parsed.data);
}
