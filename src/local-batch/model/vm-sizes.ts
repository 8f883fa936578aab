/**
 * Cores and quota family of an Azure VM size, for the account's core quotas. Azure names sizes
 * `Standard_<series><cores><suffix>[_<accelerator>][_v<n>]`, e.g. `Standard_D2s_v3` (2 cores, family
 * `standardDSv3Family`); the family is the series, the suffix letters and the version. Derived rather than listed, so
 * any size a user names gets a sensible answer; the table below holds the sizes where the rule would be wrong.
 */
export interface VmSizeInfo {
  cores: number;
  family: string;
}

/** Sizes whose name does not follow the rule (lower-case name → info). */
const EXCEPTIONS: Record<string, VmSizeInfo> = {
  standard_a2m_v2: { cores: 2, family: 'standardAv2Family' },
  standard_a4m_v2: { cores: 4, family: 'standardAv2Family' },
  standard_a8m_v2: { cores: 8, family: 'standardAv2Family' },
};

const PATTERN = /^(?:standard_|basic_)?([a-z]+)(\d+)([a-z-]*)(?:_[a-z0-9]+)*?(?:_v(\d+))?$/;

/** Cores and family of `vmSize` (case-insensitive); a name without digits counts as 1 core of its own family. */
export function vmSizeInfo(vmSize: string): VmSizeInfo {
  const name = vmSize.trim().toLowerCase();
  const known = EXCEPTIONS[name];
  if (known) return known;
  const m = PATTERN.exec(name);
  if (!m) return { cores: 1, family: `${name.replace(/[^a-z0-9]/g, '')}Family` };
  const [, series, cores, suffix, version] = m;
  const letters = suffix.replace(/[^a-z]/g, '').toUpperCase();
  return { cores: Math.max(1, Number(cores)), family: `standard${series.toUpperCase()}${letters}${version ? `v${version}` : ''}Family` };
}
