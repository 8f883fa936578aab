/**
 * What the run input checks about Azure VM sizes, without a list of them: the name's shape, and the vCPUs it
 * names, so that `taskSlotsPerNode` (Batch allows at most 4 per vCPU, and 256) fits every size of a fallback list.
 */

/** An Azure VM size name as Batch takes it, e.g. `Standard_D2s_v3`, `standard_e64-16ds_v4` (case-insensitive). */
export const VM_SIZE_REGEX = /^(standard|basic)_[a-z0-9]+([_-][a-z0-9]+)*$/i;

/**
 * The vCPUs a size's name says: the first number after the series letters (`Standard_D2s_v3` -> 2,
 * `Standard_E64-16ds_v4` -> 64, its full size). 1 when the name has none.
 */
export function vmSizeCores(vmSize: string): number {
  const m = /^(?:standard|basic)_[a-z]+(\d+)/i.exec(vmSize.trim());
  return m ? Math.max(1, Number(m[1])) : 1;
}

/** Most task slots Batch allows on one node of `vmSize`. */
export const maxTaskSlotsOf = (vmSize: string): number => Math.min(256, 4 * vmSizeCores(vmSize));
