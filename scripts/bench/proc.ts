/** Readings of a process from /proc (Linux), for benchmarks. */
import { readFileSync } from 'node:fs';

/** VmHWM (peak resident set) of a process, in KiB. */
export function peakRssKb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

/**
 * CPU seconds (user + system) a process has used so far; clock ticks are 100 a second on Linux.
 * @param withChildren add what its ended (waited-for) child processes used, e.g. the task processes it ran
 */
export function cpuSeconds(pid: number | 'self', withChildren = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime, stime, cutime and cstime are
  // fields 14 to 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return (fields[11] + fields[12] + (withChildren ? fields[13] + fields[14] : 0)) / 100;
}

/** What is measured by {@link startCpuClock}: a process id (NaN when it is unknown), or this process and its children. */
export type CpuSubject = number | undefined | 'self+children';

/**
 * Starts a CPU clock over named processes; @returns a function that gives each one's CPU seconds since the start
 * (NaN for a process whose id is unknown).
 */
export function startCpuClock<K extends string>(subjects: Record<K, CpuSubject>): () => Record<K, number> {
  const read = (s: CpuSubject) => (s === 'self+children' ? cpuSeconds('self', true) : s === undefined ? NaN : cpuSeconds(s));
  const names = Object.keys(subjects) as K[];
  const before = names.map((n) => read(subjects[n]));
  return () => Object.fromEntries(names.map((n, i) => [n, read(subjects[n]) - before[i]])) as Record<K, number>;
}
