/**
 * spc-temporal as a team installs it: the packed tarball installed into a copy of examples/own-worker (a project
 * outside the repository), compiled against the package's declarations, and run as one worker with the team's own
 * workflow and SpcPlugin on the local stack; runs started through the exported client API and through
 * `temporal workflow start` both complete and are listed by the Web UI.
 *
 * To stay fast and offline-friendly, the Temporal SDK (peer dependencies), @types/node and TypeScript are linked from
 * the repository's node_modules after `npm install` instead of downloaded: the install resolves only spc-temporal's
 * own dependencies.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../src/client';
import { loadStackSettings } from '../../src/config';
import type { Config } from '../../src/schemas/config';
import type { RunSummary } from '../../src/schemas/summary';
import { findOrBuildTemporal } from '../../src/stack/temporal-binary';
import { waitFor } from '../helpers/local-batch';
import { ensureStack, uniqueId } from '../helpers/stack';

const run = promisify(execFile);
const repo = path.resolve(__dirname, '../../..');
const linkedFromRepo = ['@temporalio/activity', '@temporalio/client', '@temporalio/common', '@temporalio/envconfig', '@temporalio/plugin', '@temporalio/proto', '@temporalio/worker', '@temporalio/workflow', '@types/node'];

interface PackedFile {
  path: string;
}

describe('the packed package in a project of its own (examples/own-worker)', () => {
  let config: Readonly<Config>;
  let client: Client;
  let work: string;
  let project: string;
  let packed: PackedFile[];
  let worker: ChildProcess | undefined;
  const taskQueue = uniqueId('own-worker');

  before(async () => {
    config = await ensureStack();
    client = await connectClient(config);
    work = mkdtempSync(path.join(tmpdir(), 'spc-package-'));
    // dist/ is fresh (the test command builds first), so the prepare script is skipped.
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: repo });
    const [info] = JSON.parse(stdout) as [{ filename: string; files: PackedFile[] }];
    packed = info.files;
    project = path.join(work, 'own-worker');
    cpSync(path.join(repo, 'examples/own-worker'), project, { recursive: true, filter: (src) => !/[/\\](node_modules|dist)$/.test(src) });
    const manifest = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const name of [...linkedFromRepo, 'typescript', 'spc-temporal']) {
      delete manifest.dependencies[name];
      delete manifest.devDependencies[name];
    }
    writeFileSync(path.join(project, 'package.json'), JSON.stringify(manifest, null, 2));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', path.join(work, info.filename)], { cwd: project });
    for (const name of linkedFromRepo) {
      mkdirSync(path.dirname(path.join(project, 'node_modules', name)), { recursive: true });
      symlinkSync(realpathSync(path.join(repo, 'node_modules', name)), path.join(project, 'node_modules', name));
    }
    // Type-checks the example against the package's declarations (skipLibCheck off) and compiles it.
    await run(process.execPath, [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', project]);
  });

  after(async () => {
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM');
      await once(worker, 'exit');
    }
    await client?.connection.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the build, data and recipes, and no sources, tests or CI files', () => {
    const paths = packed.map((f) => f.path);
    for (const wanted of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/tracing/index.d.ts', 'dist/src/workflows/index.d.ts', 'dist/src/schemas/index.d.ts', 'dist/src/cli/index.js', 'dist/src/bundle/cli.js', 'data/lads/spenser_lad_list.csv', 'recipes/spenser/run-lad.sh']) {
      assert.ok(paths.includes(wanted), `${wanted} missing from the tarball`);
    }
    assert.deepEqual(
      paths.filter((p) => /^(src|test|scripts|\.ci|examples)\//.test(p) || p.endsWith('.map')),
      [],
    );
  });

  it('loads every export from the installed package through require, and refuses paths outside the exports map', async () => {
    const probe = `
      const root = require('spc-temporal');
      const workflows = require('spc-temporal/workflows');
      const schemas = require('spc-temporal/schemas');
      let deep = 'loaded';
      try { require('spc-temporal/dist/src/plugin'); } catch (err) { deep = err.code; }
      let tracing = 'loaded';
      try { require('spc-temporal/tracing'); } catch (err) { tracing = err.code + ' ' + /'([^']+)'/.exec(err.message)[1]; }
      console.log(JSON.stringify({
        plugin: typeof root.SpcPlugin, start: typeof root.startSpcRun, connect: typeof root.connectClient,
        workflows: Object.keys(workflows).sort(), runInput: typeof schemas.RunInputSchema.parse, deep, tracing,
        stackDir: root.loadStackSettings({}).SPC_STACK_DIR,
      }));`;
    const { stdout } = await run(process.execPath, ['-e', probe], { cwd: project });
    assert.deepEqual(JSON.parse(stdout), {
      plugin: 'function',
      start: 'function',
      connect: 'function',
      workflows: ['ladRun', 'smokeWorkflow', 'spcReaper', 'spcRun'],
      runInput: 'function',
      deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      // Tracing is an entry of its own whose OpenTelemetry packages are optional peers: not installed with ours, and
      // the root entry above loaded without them.
      tracing: 'MODULE_NOT_FOUND @temporalio/interceptors-opentelemetry',
      // State of an installed copy goes to the installing project, never inside node_modules.
      stackDir: path.join(realpathSync(project), '.spc'),
    });
  });

  it("runs the team's workflow and spcRun on one worker, started through the client API and through `temporal workflow start`", async () => {
    // The installed copy reads the stack's keys from the repository's stack folder, as a team points it at theirs.
    const env = { ...process.env, SPC_STACK_DIR: loadStackSettings().SPC_STACK_DIR, SPC_TASK_QUEUE: taskQueue };
    const started = spawn(process.execPath, ['dist/worker.js'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
    worker = started;
    let output = '';
    started.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      started.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(`worker polling ${taskQueue}`)) resolve();
      });
      started.once('exit', (code) => reject(new Error(`worker exited with ${code}:\n${output}`)));
    });

    const prefix = uniqueId('own');
    const { stdout } = await run(process.execPath, ['dist/start.js', prefix], { cwd: project, env, timeout: 120_000 });
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').pop() ?? ''), { greeting: 'hello, team', spcStatus: 'completed' });

    const temporal = await findOrBuildTemporal(loadStackSettings().SPC_TOOLS_DIR, () => undefined);
    const target = ['--address', config.SPC_TEMPORAL_ADDRESS, '--namespace', config.SPC_TEMPORAL_NAMESPACE, '--task-queue', taskQueue];
    const cliRun = `${prefix}-cli-spc`;
    const input = { lads: ['E06000002'], recipe: { name: 'spenser-sim', options: { durationMs: 300, scale: 0.01 } }, pool: { dedicatedNodes: 1 } };
    await run(temporal, ['workflow', 'start', '--type', 'spcRun', '--workflow-id', cliRun, '--task-timeout', '1m', '--input', JSON.stringify(input), ...target]);
    await run(temporal, ['workflow', 'start', '--type', 'greet', '--workflow-id', `${prefix}-cli-greet`, '--input', '"cli"', ...target]);
    assert.equal(await client.workflow.getHandle(`${prefix}-cli-greet`).result(), 'hello, cli');
    const summary = (await client.workflow.getHandle(cliRun).result()) as RunSummary;
    assert.equal(summary.status, 'completed');

    // And the Web UI shows them: its server's API lists the four executions of this task queue, completed
    // (visibility catches up asynchronously, hence the polling).
    const { SPC_TEMPORAL_UI_PORT } = loadStackSettings();
    const query = encodeURIComponent(`TaskQueue='${taskQueue}'`);
    const listed = await waitFor('the Web UI to list the four workflows', async () => {
      const response = await fetch(`http://127.0.0.1:${SPC_TEMPORAL_UI_PORT}/api/v1/namespaces/${config.SPC_TEMPORAL_NAMESPACE}/workflows?query=${query}`);
      const { executions = [] } = (await response.json()) as { executions?: { type: { name: string }; status: string }[] };
      const done = executions.filter((e) => e.status === 'WORKFLOW_EXECUTION_STATUS_COMPLETED' && ['greet', 'spcRun'].includes(e.type.name));
      return done.length === 4 ? done.map((e) => e.type.name).sort() : undefined;
    }, 30_000, 250);
    assert.deepEqual(listed, ['greet', 'greet', 'spcRun', 'spcRun']);
  });
});
