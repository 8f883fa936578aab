/**
 * The workflow bundle made in a child process (src/bundle/apart.ts), as createSpcWorker uses it: the code replays
 * recorded runs like an in-process bundle, webpack never loads into this process, and a bad workflows path fails
 * with an error naming it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { bundleWorkflowsApart } from '../../src/bundle/apart';
import { SPC_WORKFLOWS_PATH } from '../../src/plugin';

const HISTORIES = path.resolve(__dirname, '../../../test/histories/0.1');

describe('the workflow bundle made apart', () => {
  it('replays recorded parents and children, and leaves webpack out of this process', async () => {
    const code = await bundleWorkflowsApart(SPC_WORKFLOWS_PATH);
    const recordings = readdirSync(HISTORIES).filter((f) => f.startsWith('continued-as-new--')).map((file) => {
      const recording = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')) as { workflowId: string; historyBase64: string };
      return { workflowId: recording.workflowId, history: temporal.api.history.v1.History.decode(Buffer.from(recording.historyBase64, 'base64')) };
    });
    assert.ok(recordings.length > 2, 'recordings to replay');
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { code } }, recordings)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.deepEqual(failures, []);
    // @temporalio/worker's import loads webpack's index, whose modules load lazily; bundling loads its compiler.
    const compiler = Object.keys(require.cache).filter((file) => file.endsWith(path.join('webpack', 'lib', 'Compiler.js')));
    assert.deepEqual(compiler, [], 'webpack compiled in this process');
  });

  it('names the workflows path it could not bundle', async () => {
    const missing = path.join(__dirname, 'no-such-workflows.js');
    await assert.rejects(bundleWorkflowsApart(missing), (err: Error) => err.message.includes(`bundling the workflows of ${missing} failed`));
  });
});
