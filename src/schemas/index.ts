/**
 * The input and result types of spc-temporal (`spc-temporal/schemas`): zod schemas, with the types inferred from
 * them. Pure (zod only), so workflow code, clients and tools that build run inputs can all import it.
 */
export {
  BlobRefSchema,
  CleanupSchema,
  CostSchema,
  FailureThresholdSchema,
  InputFileSchema,
  LadCodeSchema,
  OutputsSchema,
  PoolSpecSchema,
  PoolWatchSchema,
  RecipeSchema,
  RetrySchema,
  RunIdSchema,
  RunInputSchema,
  TimeoutsSchema,
  parseRunInput,
  runIdFromWorkflowId,
  type BlobRef,
  type InputFile,
  type NormalisedRunInput,
  type ParsedRunInput,
  type PoolSpec,
  type RawRunInput,
  type Recipe,
  type RunInput,
} from './run-input';
export { ControlRequestSchema, ScaleRequestSchema, type ControlRequest, type ScaleRequest } from './control';
export { LadStatusSchema, PoolTargetSchema, RunProgressSchema, RunStatusSchema, type AuditEntry, type LadStatus, type PoolTarget, type RunProgress, type RunStatus } from './progress';
export { RunSummarySchema, type RunSummary } from './summary';
export { ManifestSchema, type Manifest } from './manifest';
export { LadResultSchema, type LadResult } from './lad';
export { formatIssues, parseOrThrow } from './issues';
export { CostEstimateSchema, RatesFileSchema, estimateCost, formatCost, type CostEstimate, type RatesFile } from './cost';
