import type { FilterOperator, FilterSpec, FilterType } from './odata-filter';

/** A list operation's filterable properties, with its name for error reasons. */
export interface FilterableList {
  name: string;
  spec: FilterSpec;
}

/**
 * What each list operation lets `$filter` use, after Microsoft Learn "OData filters in Batch"
 * (learn.microsoft.com/rest/api/batchservice/odata-filters-in-batch): property, type, operators.
 */
const ORDERED: readonly FilterOperator[] = ['eq', 'ne', 'ge', 'gt', 'le', 'lt'];
const ID: readonly FilterOperator[] = ['startswith', ...ORDERED];
const EQUALITY: readonly FilterOperator[] = ['eq', 'ne'];

const of = (type: FilterType, ops: readonly FilterOperator[]) => ({ type, ops });
const times = (...names: string[]): FilterSpec => Object.fromEntries(names.map((n) => [n, of('DateTime', ORDERED)]));

export const POOL_FILTER: FilterableList = { name: 'Pool_List', spec: {
  id: of('String', ID),
  state: of('String', EQUALITY),
  allocationState: of('String', EQUALITY),
  vmSize: of('String', EQUALITY),
  enableAutoScale: of('Bool', EQUALITY),
  ...times('stateTransitionTime', 'allocationStateTransitionTime', 'creationTime', 'lastModified'),
} };

export const JOB_FILTER: FilterableList = { name: 'Job_List', spec: {
  id: of('String', ID),
  state: of('String', EQUALITY),
  'executionInfo/poolId': of('String', ID),
  ...times('stateTransitionTime', 'creationTime', 'lastModified', 'executionInfo/startTime', 'executionInfo/endTime'),
} };

export const TASK_FILTER: FilterableList = { name: 'Task_List', spec: {
  id: of('String', ID),
  state: of('String', EQUALITY),
  'executionInfo/exitCode': of('Int', ['eq', 'ge', 'gt', 'le', 'lt']),
  ...times('stateTransitionTime', 'creationTime', 'lastModified', 'executionInfo/startTime', 'executionInfo/endTime'),
} };

export const NODE_FILTER: FilterableList = { name: 'ComputeNode_List', spec: {
  state: of('String', EQUALITY),
  'startTaskInfo/state': of('String', ['eq']),
  'startTaskInfo/result': of('String', EQUALITY),
  'startTaskInfo/exitCode': of('Int', ORDERED),
  ...times('stateTransitionTime', 'lastBootTime', 'allocationTime', 'startTaskInfo/startTime', 'startTaskInfo/endTime'),
} };

export const NODE_COUNTS_FILTER: FilterableList = { name: 'Account_ListPoolNodeCounts', spec: { poolId: of('String', ['eq']) } };
export const TASK_FILE_FILTER: FilterableList = { name: 'File_ListFromTask', spec: { name: of('String', ['startswith']) } };
export const SUPPORTED_IMAGE_FILTER: FilterableList = { name: 'Account_ListSupportedImages', spec: {
  osType: of('String', EQUALITY),
  verificationType: of('String', EQUALITY),
  nodeAgentSKUId: of('String', EQUALITY),
} };
