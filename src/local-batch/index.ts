/** The local Batch service: the Azure Batch data-plane REST subset on loopback, running tasks as local processes. */
export { startLocalBatchService, SUPPORTED_API_VERSIONS, type LocalBatchOptions, type LocalBatchService } from './http/server';
export type { FaultSettings, OperationFault } from './http/faults';
export type { StatsReport } from './http/stats';
