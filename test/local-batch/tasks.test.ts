import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsSignedRequest } from '../helpers/batch-raw';
import { readTaskFile, rejection, startTestBatch, waitFor, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

describe('local Batch tasks: execution, retries, limits, add collection, validation', () => {
  let b: TestBatch;
  let poolId: string;
  const newJob = async (extra: Record<string, unknown> = {}) => {
    const id = uniqueId('job');
    await b.client.job.add({ id, poolInfo: { poolId }, ...extra });
    return id;
  };
  before(async () => {
    process.env.SPC_TEST_SECRET = 'must-not-leak';
    b = await startTestBatch();
    poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 2, taskSlotsPerNode: 4 });
    await waitForNodes(b.client, poolId, 2);
  });
  after(async () => {
    delete process.env.SPC_TEST_SECRET;
    await b.stop();
  });

  it('runs the command without a shell, with the AZ_BATCH_* and task variables and nothing of the service environment', async () => {
    const jobId = await newJob({ commonEnvironmentSettings: [{ name: 'COMMON', value: 'c1' }] });
    await b.client.task.add(jobId, { id: 'env', commandLine: '/usr/bin/env', environmentSettings: [{ name: 'MINE', value: 'm1' }] });
    await b.client.task.add(jobId, { id: 'noshell', commandLine: "/bin/echo $HOME 'two words'" });
    const env = await waitForTask(b.client, jobId, 'env', 'completed');
    assert.equal(env.executionInfo?.exitCode, 0);
    assert.equal(env.executionInfo?.result, 'success');
    assert.equal(env.nodeInfo?.poolId, poolId);
    const stdout = await readTaskFile(b.client, jobId, 'env', 'stdout.txt');
    const vars = Object.fromEntries(stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(vars.AZ_BATCH_JOB_ID, jobId);
    assert.equal(vars.AZ_BATCH_TASK_ID, 'env');
    assert.equal(vars.AZ_BATCH_POOL_ID, poolId);
    assert.equal(vars.AZ_BATCH_NODE_ID, env.nodeInfo?.nodeId);
    assert.equal(vars.AZ_BATCH_NODE_IS_DEDICATED, 'true');
    assert.equal(vars.COMMON, 'c1');
    assert.equal(vars.MINE, 'm1');
    assert.ok(vars.AZ_BATCH_TASK_WORKING_DIR.endsWith('/wd'));
    assert.equal(vars.SPC_TEST_SECRET, undefined, 'the service environment must not leak into tasks');
    await waitForTask(b.client, jobId, 'noshell', 'completed');
    assert.equal(await readTaskFile(b.client, jobId, 'noshell', 'stdout.txt'), '$HOME two words\n');
  });

  it('retries a non-zero exit maxTaskRetryCount times (inherited from the job), then fails with FailureExitCode', async () => {
    const jobId = await newJob({ constraints: { maxTaskRetryCount: 2 } });
    await b.client.task.add(jobId, { id: 'fail', commandLine: "/bin/sh -c 'echo run >> ../runs.txt; exit 3'" });
    const task = await waitForTask(b.client, jobId, 'fail', 'completed');
    assert.equal(task.constraints?.maxTaskRetryCount, 2);
    assert.equal(task.executionInfo?.retryCount, 2);
    assert.equal(task.executionInfo?.exitCode, 3);
    assert.equal(task.executionInfo?.result, 'failure');
    assert.equal(task.executionInfo?.failureInfo?.category, 'usererror');
    assert.equal(task.executionInfo?.failureInfo?.code, 'FailureExitCode');
    assert.equal(await readTaskFile(b.client, jobId, 'fail', 'runs.txt'), 'run\nrun\nrun\n', 'user retries share the task directory');
  });

  it('kills a task at maxWallClockTime and completes it with failureInfo TaskEnded', async () => {
    const jobId = await newJob();
    await b.client.task.add(jobId, { id: 'slow', commandLine: '/bin/sleep 30', constraints: { maxWallClockTime: 'PT0.5S' } });
    const task = await waitForTask(b.client, jobId, 'slow', 'completed', 10_000);
    assert.equal(task.executionInfo?.failureInfo?.code, 'TaskEnded');
    assert.equal(task.executionInfo?.result, 'failure');
    const ran = task.executionInfo!.endTime!.getTime() - task.executionInfo!.startTime!.getTime();
    assert.ok(ran < 5000, `ran ${ran} ms`);
  });

  it('terminate (204) kills the whole process tree and completes the task with TaskEnded; delete (200) removes it', async () => {
    const jobId = await newJob();
    await b.client.task.add(jobId, { id: 'tree', commandLine: "/bin/sh -c 'sleep 30 & echo $! > child.pid; wait'" });
    await waitForTask(b.client, jobId, 'tree', 'running');
    const pid = Number(await waitFor('child.pid', () => readTaskFile(b.client, jobId, 'tree', 'wd/child.pid').then((t) => t.trim() || undefined).catch(() => undefined)));
    await b.client.task.terminate(jobId, 'tree');
    const task = await b.client.task.get(jobId, 'tree');
    assert.equal(task.state, 'completed');
    assert.equal(task.executionInfo?.failureInfo?.code, 'TaskEnded');
    assert.equal(task.executionInfo?.failureInfo?.category, 'usererror');
    await waitFor('child killed', async () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    }, 5000);
    const again = await rejection(b.client.task.terminate(jobId, 'tree'));
    assert.equal(again.statusCode, 409, 'seen on the real service: terminating a completed task');
    assert.equal(again.code, 'TaskCompleted');
    await b.client.task.deleteMethod(jobId, 'tree');
    const gone = await rejection(b.client.task.get(jobId, 'tree'));
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.code, 'TaskNotFound');
  });

  it('active tasks carry retryCount and requeueCount but no exitCode, startTime or nodeInfo', async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId: uniqueId('absent') } });
    await b.client.task.add(jobId, { id: 'waiting', commandLine: '/bin/true' });
    const task = await b.client.task.get(jobId, 'waiting');
    assert.equal(task.state, 'active');
    assert.deepEqual(task.executionInfo, { retryCount: 0, requeueCount: 0 });
    assert.equal(task.nodeInfo, undefined);
    assert.equal(task.constraints?.maxWallClockTime, 'P10675199DT2H48M5.4775807S');
    const files = await rejection(b.client.file.listFromTask(jobId, 'waiting'));
    assert.equal(files.statusCode, 409);
    assert.equal(files.code, 'OperationInvalidForCurrentState', 'files of an active task (as reported against the real service)');
  });

  it('add collection reports per-task results, TaskExists for a duplicate (also by case), and a 400 for a bad task', async () => {
    const jobId = await newJob();
    await b.client.task.add(jobId, { id: 'dup', commandLine: '/bin/true' });
    const result = await b.client.task.addCollection(jobId, [
      { id: 'ok1', commandLine: '/bin/true' },
      { id: 'DUP', commandLine: '/bin/true' },
      { id: 'ok2', commandLine: '/bin/true' },
    ]);
    const byId = Object.fromEntries(result.value!.map((r) => [r.taskId, r]));
    assert.equal(byId.ok1.status, 'success');
    assert.equal(byId.ok2.status, 'success');
    assert.equal(byId.DUP.status, 'clienterror');
    assert.equal(byId.DUP.error?.code, 'TaskExists');
    const raw = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, {
      method: 'POST',
      path: `/jobs/${jobId}/addtaskcollection`,
      body: JSON.stringify({ value: [{ id: 'bad id!', commandLine: '/bin/true' }, { id: 'ok3', commandLine: '/bin/true' }] }),
    });
    assert.equal(raw.status, 200);
    const items = raw.json?.value as { status: string; taskId: string; error?: { code: string } }[];
    assert.equal(items.find((i) => i.taskId === 'bad id!')?.error?.code, 'InvalidPropertyValue');
    assert.equal(items.find((i) => i.taskId === 'ok3')?.status, 'success');
  });

  it('rejects a whole add collection of more than 100 tasks (400) or of 1 MB or more (413), storing nothing', async () => {
    const jobId = await newJob();
    const many = Array.from({ length: 101 }, (_, i) => ({ id: `t${i}`, commandLine: '/bin/true' }));
    const tooMany = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'POST', path: `/jobs/${jobId}/addtaskcollection`, body: JSON.stringify({ value: many }) });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.json?.code, 'InvalidPropertyValue');
    const big = Array.from({ length: 10 }, (_, i) => ({ id: `b${i}`, commandLine: `/bin/echo ${'x'.repeat(110_000)}` }));
    const tooBig = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'POST', path: `/jobs/${jobId}/addtaskcollection`, body: JSON.stringify({ value: big }) });
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.json?.code, 'RequestBodyTooLarge');
    assert.equal((await b.client.task.list(jobId)).length, 0);
  });

  it('rejects bad task bodies with 400 naming the property', async () => {
    const jobId = await newJob();
    const post = (body: unknown) => jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'POST', path: `/jobs/${jobId}/tasks`, body: JSON.stringify(body) });
    const missing = await post({ id: 'm' });
    assert.equal(missing.status, 400);
    assert.equal(missing.json?.code, 'MissingRequiredProperty');
    assert.deepEqual(missing.json?.values, [{ key: 'PropertyName', value: 'commandLine' }]);
    const badId = await post({ id: 'x'.repeat(65), commandLine: '/bin/true' });
    assert.equal(badId.json?.code, 'InvalidPropertyValue');
    assert.equal((badId.json?.values as { key: string; value: string }[])[0].value, 'id');
    const badType = await post({ id: 'typed', commandLine: '/bin/true', constraints: { maxTaskRetryCount: 'three' } });
    assert.equal(badType.status, 400);
    assert.equal((badType.json?.values as { key: string; value: string }[])[0].value, 'constraints.maxTaskRetryCount');
    assert.equal((await b.client.task.list(jobId)).length, 0);
  });

  it('lists with $filter on state, id and exitCode, $select, and absolute nextLink paging over 2,500 tasks', async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId: uniqueId('absent') } });
    const chunks = Array.from({ length: 25 }, (_, c) => Array.from({ length: 100 }, (_, i) => ({ id: `${c % 2 ? 'odd' : 'even'}-${c * 100 + i}`, commandLine: '/bin/true' })));
    for (let i = 0; i < chunks.length; i += 5) await Promise.all(chunks.slice(i, i + 5).map((chunk) => b.client.task.addCollection(jobId, chunk)));
    const seen = new Set<string>();
    let page = await b.client.task.list(jobId, { taskListOptions: { select: 'id,state', maxResults: 1000 } });
    let pages = 1;
    for (const t of page) seen.add(t.id!);
    assert.deepEqual(Object.keys(page[0]).sort(), ['id', 'state']);
    while (page.odatanextLink) {
      assert.match(page.odatanextLink, /^http:\/\/127\.0\.0\.1:\d+\/jobs\//);
      page = await b.client.task.listNext(page.odatanextLink);
      for (const t of page) seen.add(t.id!);
      pages++;
    }
    assert.equal(seen.size, 2500);
    assert.equal(pages, 3);
    let odd = 0;
    let link: string | undefined;
    do {
      const p = link ? await b.client.task.listNext(link) : await b.client.task.list(jobId, { taskListOptions: { filter: "startswith(id,'odd-') and state eq 'active'", maxResults: 500 } });
      for (const t of p) assert.ok(t.id!.startsWith('odd-'));
      odd += p.length;
      link = p.odatanextLink;
    } while (link);
    assert.equal(odd, 1200);
    const completed = await b.client.task.list(jobId, { taskListOptions: { filter: "state eq 'completed'" } });
    assert.equal(completed.length, 0);

    const exitJob = await newJob();
    await b.client.task.addCollection(exitJob, [
      { id: 'zero', commandLine: '/bin/true' },
      { id: 'two', commandLine: "/bin/sh -c 'exit 2'" },
    ]);
    await waitForTask(b.client, exitJob, 'two', 'completed');
    await waitForTask(b.client, exitJob, 'zero', 'completed');
    const failed = await b.client.task.list(exitJob, { taskListOptions: { filter: '(executionInfo/exitCode lt 0) or (executionInfo/exitCode gt 0)' } });
    assert.deepEqual(failed.map((t) => t.id), ['two']);
  });

  it('never runs more tasks than free slots: requiredSlots 4 on 4-slot nodes runs one task per node', async () => {
    const jobId = await newJob();
    const tasks = Array.from({ length: 6 }, (_, i) => ({ id: `big${i}`, commandLine: '/bin/sleep 0.3', requiredSlots: 4 }));
    await b.client.task.addCollection(jobId, tasks);
    const done = await waitFor('all big tasks', async () => {
      const list = await b.client.task.list(jobId);
      return list.every((t) => t.state === 'completed') ? list : undefined;
    });
    const events = done.flatMap((t) => [
      { at: t.executionInfo!.startTime!.getTime(), d: 1 },
      { at: t.executionInfo!.endTime!.getTime(), d: -1 },
    ]);
    events.sort((x, y) => x.at - y.at || x.d - y.d);
    let running = 0;
    let peak = 0;
    for (const e of events) peak = Math.max(peak, (running += e.d));
    assert.ok(peak <= 2, `peak ${peak} concurrent 4-slot tasks on two 4-slot nodes`);
  });

  it('after retentionTime the task directory is cleaned up and the file API answers 409 TaskFilesCleanedup', async () => {
    const jobId = await newJob();
    await b.client.task.add(jobId, { id: 'kept', commandLine: '/bin/echo hi', constraints: { retentionTime: 'PT0.3S' } });
    await waitForTask(b.client, jobId, 'kept', 'completed');
    const cleaned = await waitFor('files cleaned up', () =>
      b.client.file.listFromTask(jobId, 'kept').then(() => undefined, (e: { statusCode: number; code: string }) => e),
    );
    assert.equal(cleaned.statusCode, 409);
    assert.equal(cleaned.code, 'TaskFilesCleanedup');
    assert.equal((await b.client.task.get(jobId, 'kept')).executionInfo?.exitCode, 0, 'the task itself stays');
  });

  it('task counts report active, running, completed, succeeded and failed', async () => {
    const jobId = await newJob();
    await b.client.task.addCollection(jobId, [
      { id: 'ok', commandLine: '/bin/true', requiredSlots: 2 },
      { id: 'ko', commandLine: '/bin/false' },
    ]);
    await waitForTask(b.client, jobId, 'ok', 'completed');
    await waitForTask(b.client, jobId, 'ko', 'completed');
    const counts = await b.client.job.getTaskCounts(jobId);
    assert.deepEqual(
      { ...counts.taskCounts },
      { active: 0, running: 0, completed: 2, succeeded: 1, failed: 1 },
    );
    assert.deepEqual({ ...counts.taskSlotCounts }, { active: 0, running: 0, completed: 3, succeeded: 2, failed: 1 });
  });
});
