#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { CliError, ExitCode } from './common';
import { registerControl } from './control';
import { registerDoctor } from './doctor';
import { registerDownload } from './download';
import { registerRedrive } from './redrive';
import { registerReport } from './report';
import { registerRun } from './run';
import { registerSchedule } from './schedule';
import { registerStatus } from './status';

/** The `spc` command line: start, watch, steer and schedule SPC runs. */
export function buildProgram(): Command {
  const program = new Command('spc')
    .description('Durable runs of the SPC / SPENSER pipeline on Temporal and Azure Batch')
    .showHelpAfterError()
    .exitOverride();
  registerRun(program);
  registerStatus(program);
  registerControl(program);
  registerSchedule(program);
  registerDownload(program);
  registerDoctor(program);
  registerReport(program);
  registerRedrive(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    else if (err instanceof CliError) {
      console.error(`spc: ${err.message}`);
      process.exitCode = err.exitCode;
    } else {
      console.error(err);
      process.exitCode = ExitCode.error;
    }
  }
}

void main(process.argv);
