import type { Command } from 'commander';
import { runChecks } from '../doctor/checks';
import { ExitCode, print } from './common';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the configuration and reach Temporal, the worker, Storage and Batch; one line per check')
    .option('--json', 'print the checks as JSON')
    .addHelpText('after', '\nExample:\n  spc doctor\n  AZURE_BATCH_URL=https://acct.uksouth.batch.azure.com spc doctor --json')
    .action(async (options: { json?: boolean }) => {
      const results = await runChecks();
      print(options.json, results, (rs) => {
        for (const r of rs) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(17)} ${r.detail}${r.fix ? ` -> ${r.fix}` : ''}`);
      });
      process.exitCode = results.every((r) => r.ok) ? ExitCode.ok : ExitCode.unreachable;
    });
}
