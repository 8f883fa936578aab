import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { createBlobServiceClient } from '../azure/clients';
import { reportDataFromRun } from '../report/from-run';
import { renderRunReport } from '../report/render';
import { containerOf } from '../schemas/names';
import { readManifest } from '../storage/download';
import { CliError, ExitCode, print, withClient } from './common';
import { getRunState } from './status';

/** Blob name of the report in the run's container. */
export const REPORT_BLOB = 'report.html';

export function registerReport(program: Command): void {
  program
    .command('report')
    .argument('<runId>', 'the run id of a finished run')
    .description("write the run report (one self-contained HTML file) locally and into the run's container; print its path")
    .option('--to <file>', 'where to write it (default: ./output/<runId>/report.html)')
    .option('--json', 'print the paths as JSON')
    .addHelpText('after', '\nExample:\n  spc report spc-20261128-020000 && xdg-open output/spc-20261128-020000/report.html')
    .action(async (runId: string, options: { to?: string; json?: boolean }) => {
      await withClient(async (client, config) => {
        const state = await getRunState(client, runId);
        if (!('summary' in state) || !state.summary) {
          throw new CliError(`run ${runId} has not finished with a summary yet (${state.workflowStatus.toLowerCase()}); try again when it ends`, ExitCode.usage);
        }
        const summary = state.summary;
        const container = createBlobServiceClient(config).getContainerClient(summary.container ?? containerOf(runId));
        const html = renderRunReport(reportDataFromRun(await readManifest(container), summary));
        const file = path.resolve(options.to ?? path.join('output', runId, REPORT_BLOB));
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, html);
        await container.getBlockBlobClient(REPORT_BLOB).upload(html, Buffer.byteLength(html), { blobHTTPHeaders: { blobContentType: 'text/html; charset=utf-8' } });
        print(options.json, { file, blob: `${container.containerName}/${REPORT_BLOB}` }, (r) => console.log(r.file));
      });
    });
}
