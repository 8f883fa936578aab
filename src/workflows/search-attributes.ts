import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes (registered on the namespace by `spc stack up`), so the Web UI filters a run's LADs by state. */
export const SpcRunIdKey = defineSearchAttributeKey('SpcRunId', SearchAttributeType.KEYWORD);
export const SpcLadKey = defineSearchAttributeKey('SpcLad', SearchAttributeType.KEYWORD);
export const SpcStatusKey = defineSearchAttributeKey('SpcStatus', SearchAttributeType.KEYWORD);
export const SpcLadCountKey = defineSearchAttributeKey('SpcLadCount', SearchAttributeType.INT);

/** Set by Temporal on runs a Schedule started: the schedule's id. */
export const TemporalScheduledByIdKey = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);
