import * as path from 'node:path';
import type { Command } from 'commander';
import { createBlobServiceClient } from '../azure/clients';
import { containerOf } from '../schemas/names';
import { downloadRunOutputs, readManifest } from '../storage/download';
import { CliError, ExitCode, print, withClient } from './common';
import { getRunState } from './status';

export function registerDownload(program: Command): void {
  program
    .command('download')
    .argument('<runId>', 'the run id')
    .description("download a run's outputs, verified against its manifest (sizes and MD5); resumes a partial download")
    .option('--lad <codes...>', 'only these LADs')
    .option('--to <dir>', 'target folder (default: ./output/<runId>)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExample:\n  spc download spc-20261128-020000 --lad E06000001 E06000002 --to ./out')
    .action(async (runId: string, options: { lad?: string[]; to?: string; json?: boolean }) => {
      process.exitCode = await withClient(async (client, config) => {
        const state = await getRunState(client, runId);
        const containerName = ('summary' in state && state.summary?.container) || containerOf(runId);
        const container = createBlobServiceClient(config).getContainerClient(containerName);
        const manifest = await readManifest(container).catch((err: Error) => {
          throw new CliError(`run ${runId} has no readable manifest in container ${containerName} yet (${err.message})`, ExitCode.notFound);
        });
        const unknown = (options.lad ?? []).filter((lad) => !manifest.lads.some((l) => l.lad === lad));
        if (unknown.length) throw new CliError(`--lad: not in run ${runId}: ${unknown.join(', ')}`, ExitCode.usage);
        const toDir = path.resolve(options.to ?? path.join('output', runId));
        const report = await downloadRunOutputs(container, manifest, { toDir, lads: options.lad });
        print(options.json, { toDir, ...report }, (r) => {
          console.log(`${r.downloaded.length} downloaded, ${r.skipped.length} already present, ${r.failed.length} failed -> ${toDir}`);
          for (const f of r.failed) console.log(`  FAILED ${f.file}: ${f.reason}`);
        });
        return report.failed.length ? ExitCode.error : ExitCode.ok;
      });
    });
}
