/**
 * Deploy safety: histories recorded from released versions (test/histories/<version>/, made by
 * scripts/record-histories.ts) replay with today's workflow code. A change that alters the commands of a run in
 * flight without a `patched()` gate fails here, before it reaches a worker that has such runs.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/run-env';

// Compiled to dist/test/run: the recordings stay in the source tree.
const HISTORIES = path.resolve(__dirname, '../../../test/histories');

/** One execution, as scripts/record-histories.ts writes it: the history as binary protobuf, base64. */
interface Recording {
  workflowId: string;
  workflowType: string;
  events: number;
  historyBase64: string;
}

const versions = readdirSync(HISTORIES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe('histories of released versions replay with the current workflow code', () => {
  it('has recordings to replay', () => {
    assert.ok(versions.length > 0, `no version folders under ${HISTORIES}`);
  });

  for (const version of versions) {
    const folder = path.join(HISTORIES, version);
    const files = readdirSync(folder).filter((f) => f.endsWith('.json')).sort();
    it(`replays every recorded ${version} execution (${files.length} histories, parents and children)`, async () => {
      assert.ok(files.length > 0, `no histories in ${folder}`);
      const types = new Set<string>();
      const bundle = await workflowBundle();
      const recordings = files.map((file) => {
        const recording = JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as Recording;
        types.add(recording.workflowType);
        const history = temporal.api.history.v1.History.decode(Buffer.from(recording.historyBase64, 'base64'));
        assert.equal(history.events.length, recording.events, `${file}: all its events decoded`);
        return { workflowId: recording.workflowId, history };
      });
      assert.ok(types.has('spcRun') && types.has('ladRun'), `recordings of both workflows (${[...types].join(', ')})`);
      const failures: string[] = [];
      const replays = Worker.runReplayHistories({ workflowBundle: bundle }, recordings.map(({ workflowId, history }) => ({ workflowId, history })));
      let replayed = 0;
      for await (const result of replays) {
        replayed += 1;
        if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
      }
      assert.equal(replayed, recordings.length, 'every history was replayed');
      assert.deepEqual(failures, []);
    });
  }
});
