/**
 * The recipe registry: what a Batch task runs for one LAD, which input files it needs (uploaded once per run into
 * the run's container under `inputs/`), what the pool's start task installs, and which files it leaves.
 *
 * Command lines are run by Batch without a shell, so each is wrapped in `/bin/bash -c '...'`. The only values
 * interpolated are a LAD code already validated against /^[EWSN]\d{8}$/, the attempt number and numbers parsed
 * by zod: never free text.
 */
import * as path from 'node:path';
import { simulatedDurationMsOf } from './duration-spread';
import { LAD_CODE_REGEX, SPENSER_CONFIG_NAMES, type InputFile, type Recipe } from '../schemas/run-input';
import { PROVENANCE_FOLDER } from '../outputs/provenance';

/** The repository root: dist/src/recipes -> ../../.. ; src/recipes -> ../.. */
const packageRoot = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');

/** A file the worker uploads once per run: from the worker's disk to `inputs/<blobName>` in the run container. */
export interface LocalInputFile {
  localPath: string;
  blobName: string;
}

/** A file a task or start task downloads into its working directory. */
export interface TaskInputFile {
  /** From a run input (`inputs/<blobName>` in the run container) or any blob of the storage account. */
  source: { kind: 'run-input'; blobName: string } | { kind: 'blob'; container: string; blob: string };
  filePath: string;
}

/** The Batch-facing description of one LAD attempt. */
export interface TaskSpec {
  commandLine: string;
  inputFiles: TaskInputFile[];
  /** Output files relative to the task working directory, uploaded to `<container>/<LAD>/` on success. */
  outputPattern: string;
  /** Names of worker environment variables passed as secret task environment settings. */
  secretEnvironment: string[];
}

/** A pool start task: runs once per node (installation), not once per LAD. */
export interface StartTaskSpec {
  commandLine: string;
  inputFiles: TaskInputFile[];
  secretEnvironment: string[];
}

/** Quotes text for a single-quoted bash word. */
export function bashQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `/bin/bash -c '<script>'`, the only form our command lines take. */
export const bashCommand = (script: string): string => `/bin/bash -c ${bashQuote(script)}`;

function assertLad(lad: string): void {
  if (!LAD_CODE_REGEX.test(lad)) throw new RangeError(`lad ${JSON.stringify(lad)} must match ${String(LAD_CODE_REGEX)}`);
}

/** Where the compiled spenser-sim script is (next to this file once built). */
export const SPENSER_SIM_SCRIPT = path.join(__dirname, 'spenser-sim', 'spenser-sim.js');
/** The production recipe's scripts. */
export const SPENSER_SCRIPTS_DIR = path.join(packageRoot, 'recipes', 'spenser');

type SpenserRecipe = Extract<Recipe, { name: 'spenser' }>;

/**
 * The scenario configs a `spenser` task gets, in the order of its steps: the run's blob where the input replaces
 * one, else the default shipped in recipes/spenser/config/ (uploaded as a run input, so the lineage hashes it).
 */
function spenserConfigs(recipe: SpenserRecipe): { fileName: string; replacement?: { container: string; blob: string } }[] {
  return SPENSER_CONFIG_NAMES.map((name) => ({ fileName: `${name}.json`, replacement: recipe.options?.configs?.[name] }));
}

/** Where a `spenser` node finds the Scottish census tables (the name UKCensusAPI gives its own cached copy). */
export const SCOTLAND_ZIP_FILE = 'Output_Area_blk.zip';

/** Files the worker uploads once for a recipe. */
export function recipeLocalInputs(recipe: Recipe): LocalInputFile[] {
  switch (recipe.name) {
    case 'spenser-sim':
      return [{ localPath: SPENSER_SIM_SCRIPT, blobName: 'spenser-sim.js' }];
    case 'spenser':
      return [
        ...['start-task.sh', 'run-lad.sh'].map((f) => ({ localPath: path.join(SPENSER_SCRIPTS_DIR, f), blobName: f })),
        ...spenserConfigs(recipe)
          .filter((c) => !c.replacement)
          .map((c) => ({ localPath: path.join(SPENSER_SCRIPTS_DIR, 'config', c.fileName), blobName: c.fileName })),
      ];
    case 'custom':
      return [];
  }
}

/** Blobs a custom recipe reads (checked to exist before a run creates anything). */
export function recipeBlobInputs(recipe: Recipe): { field: string; container: string; blob: string }[] {
  if (recipe.name === 'spenser') {
    const configs = Object.entries(recipe.options?.configs ?? {}).flatMap(([name, ref]) => (ref ? [{ field: `recipe.options.configs.${name}`, ...ref }] : []));
    const zip = recipe.options?.scotlandOutputAreaZip;
    return [...configs, ...(zip ? [{ field: 'recipe.options.scotlandOutputAreaZip', ...zip }] : [])];
  }
  if (recipe.name !== 'custom') return [];
  return [
    ...recipe.inputFiles.map((f, i) => ({ field: `recipe.inputFiles[${i}].source`, ...f.source })),
    ...recipe.startInputFiles.map((f, i) => ({ field: `recipe.startInputFiles[${i}].source`, ...f.source })),
  ];
}

/** Worker environment variables a recipe needs (secrets, passed to tasks as environment settings). */
export function recipeSecretEnvironment(recipe: Recipe): string[] {
  if (recipe.name === 'custom') return [...recipe.secretEnvironment];
  return recipe.name === 'spenser' ? ['NOMIS_API_KEY'] : [];
}

/** The pool start task of a recipe, if it has one. */
export function recipeStartTask(recipe: Recipe): StartTaskSpec | undefined {
  switch (recipe.name) {
    case 'spenser': {
      const zip = recipe.options?.scotlandOutputAreaZip;
      return {
        commandLine: bashCommand('bash start-task.sh'),
        inputFiles: [
          { source: { kind: 'run-input', blobName: 'start-task.sh' }, filePath: 'start-task.sh' },
          ...(zip ? [{ source: { kind: 'blob' as const, ...zip }, filePath: SCOTLAND_ZIP_FILE }] : []),
        ],
        secretEnvironment: [],
      };
    }
    case 'custom':
      return recipe.startCommand
        ? { commandLine: bashCommand(recipe.startCommand), inputFiles: blobInputsOf(recipe.startInputFiles), secretEnvironment: [] }
        : undefined;
    case 'spenser-sim':
      return undefined;
  }
}

/**
 * The task of one LAD attempt.
 * @param lad a LAD code (checked again here: it is interpolated into a command line)
 * @param attempt 1-based attempt number
 */
export function recipeTask(recipe: Recipe, lad: string, attempt: number): TaskSpec {
  assertLad(lad);
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt ${attempt} must be an integer >= 1`);
  switch (recipe.name) {
    case 'spenser-sim': {
      const o = recipe.options;
      const failAttempts = o.failAttempts[lad] ?? 0;
      const args = [
        `--lad ${lad}`,
        '--out output',
        `--provenance ${PROVENANCE_FOLDER}`,
        `--attempt ${attempt}`,
        `--duration-ms ${simulatedDurationMsOf(lad, o)}`,
        `--scale ${Number(o.scale)}`,
        `--fail-probability ${Number(o.failProbability)}`,
        `--fail-attempts ${Math.trunc(failAttempts)}`,
      ];
      return {
        commandLine: bashCommand(`node spenser-sim.js ${args.join(' ')}`),
        inputFiles: [{ source: { kind: 'run-input', blobName: 'spenser-sim.js' }, filePath: 'spenser-sim.js' }],
        outputPattern: 'output/*.csv',
        secretEnvironment: [],
      };
    }
    case 'spenser':
      return {
        commandLine: bashCommand(`bash run-lad.sh ${lad}`),
        inputFiles: [
          { source: { kind: 'run-input', blobName: 'run-lad.sh' }, filePath: 'run-lad.sh' },
          ...spenserConfigs(recipe).map(({ fileName, replacement }): TaskInputFile => ({
            source: replacement ? { kind: 'blob', ...replacement } : { kind: 'run-input', blobName: fileName },
            filePath: fileName,
          })),
        ],
        outputPattern: 'output/*.csv',
        secretEnvironment: ['NOMIS_API_KEY'],
      };
    case 'custom':
      return {
        commandLine: bashCommand(recipe.command.replaceAll('{lad}', lad)),
        inputFiles: blobInputsOf(recipe.inputFiles),
        outputPattern: recipe.outputPattern,
        secretEnvironment: [...recipe.secretEnvironment],
      };
  }
}

/** A custom recipe's input files as task inputs (blobs read in place). */
function blobInputsOf(files: readonly InputFile[]): TaskInputFile[] {
  return files.map((f) => ({ source: { kind: 'blob', ...f.source }, filePath: f.filePath }));
}
