import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadStackSettings, secretsFile } from '../../src/config';
import { ensureLocalSecrets } from '../../src/stack/secrets';
import { lookupUser } from '../../src/local-batch/execution/task-users';
import { readTaskFile, startTestBatch, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

const isRoot = process.getuid?.() === 0;
const notRoot = !isRoot && 'the service is not root here, so it cannot run tasks as another user (README: user identities)';
const admin = { autoUser: { scope: 'task' as const, elevationLevel: 'admin' as const } };
const nonadmin = { autoUser: { scope: 'pool' as const, elevationLevel: 'nonadmin' as const } };

describe('local Batch user identities: elevation maps to the user a task runs as; the journal and secrets stay out of reach', () => {
  let b: TestBatch;
  let poolId: string;
  let jobId: string;
  /** The uid a nonadmin task runs as: `nobody` under a root service, the service's own uid otherwise. */
  const nonadminUid = isRoot ? lookupUser('nobody').uid : process.getuid!();

  before(async () => {
    b = await startTestBatch();
    poolId = uniqueId('users-pool');
    jobId = uniqueId('users-job');
    // A start task without userIdentity is nonadmin too: it records who it ran as in the node's shared folder.
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1, startTask: { commandLine: "/bin/sh -c 'id -u > $AZ_BATCH_NODE_SHARED_DIR/start-uid'" } });
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await waitForNodes(b.client, poolId, 1);
  });
  after(() => b.stop());

  async function run(commandLine: string, userIdentity?: typeof admin | typeof nonadmin) {
    const id = uniqueId('t');
    await b.client.task.add(jobId, { id, commandLine, ...(userIdentity && { userIdentity }) });
    const task = await waitForTask(b.client, jobId, id, 'completed');
    return { exitCode: task.executionInfo?.exitCode, stdout: await readTaskFile(b.client, jobId, id, 'stdout.txt'), stderr: await readTaskFile(b.client, jobId, id, 'stderr.txt') };
  }

  it('nonadmin (the default, either scope) and admin tasks run as the users their elevation names, start tasks too', async () => {
    assert.equal((await run('id -u')).stdout.trim(), String(nonadminUid), 'no userIdentity: nonadmin');
    assert.equal((await run('id -u', nonadmin)).stdout.trim(), String(nonadminUid));
    assert.equal((await run('id -u', admin)).stdout.trim(), String(process.getuid!()), "the Python client's autoUser task/admin");
    assert.equal((await run("/bin/sh -c 'cat $AZ_BATCH_NODE_SHARED_DIR/start-uid'")).stdout.trim(), String(nonadminUid), 'the start task');
  });

  it('the journal folder is 0700 and the journal 0600, whoever the service runs as', () => {
    assert.equal(statSync(path.join(b.dataDir, 'state')).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(b.dataDir, 'state', 'journal.jsonl')).mode & 0o777, 0o600);
  });

  it('a nonadmin task cannot read the journal or the stack secrets; an admin task can (so the paths are right)', { skip: notRoot }, async () => {
    const settings = loadStackSettings();
    ensureLocalSecrets(settings);
    const journal = path.join(b.dataDir, 'state', 'journal.jsonl');
    for (const file of [journal, secretsFile(settings)]) {
      // `test -r` asks the kernel for the task user's read permission without printing anything secret.
      assert.equal((await run(`test -r ${file}`, admin)).exitCode, 0, `admin reads ${file}`);
      assert.equal((await run(`test -r ${file}`)).exitCode, 1, `nonadmin cannot read ${file}`);
      assert.match((await run(`cat ${file}`)).stderr, /Permission denied/);
    }
  });

  it('a nonadmin task owns its working folder and shares the node folders (shared, HOME, TMPDIR) with admin tasks', { skip: notRoot }, async () => {
    const wrote = await run("/bin/sh -c 'echo w > out.txt && echo s > $AZ_BATCH_NODE_SHARED_DIR/from-nonadmin && echo h > $HOME/h && mktemp'");
    assert.equal(wrote.exitCode, 0, wrote.stderr);
    assert.match(wrote.stdout, /\/tmp\/tmp\./);
    assert.equal((await run("/bin/sh -c 'cat $AZ_BATCH_NODE_SHARED_DIR/from-nonadmin'", admin)).stdout.trim(), 's');
    // The service's data folder is searchable, not listable: a task cannot enumerate other nodes or the trash.
    assert.notEqual((await run(`ls ${b.dataDir}`)).exitCode, 0);
  });
});
