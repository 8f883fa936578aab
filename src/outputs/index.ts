/**
 * The output side of a run, pure (no I/O, no Node built-ins), so workflows, activities, the CLI and tests share it:
 * - contract: the 69 files of a LAD, checks of a listing, collation targets, the final check;
 * - lad-lists, merge-2020: reading LAD lists and the 2011-to-2020 mapping, planning and merging 2020 LADs;
 * - csv-stats: row counts of CSV files and the per-LAD diff between two runs (the nightly diff).
 */
export * from './contract';
export * from './csv';
export * from './csv-stats';
export * from './lad-lists';
export * from './merge-2020';
