import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsSignedRequest, type RawRequest } from '../helpers/batch-raw';
import { BatchProcess, freePort } from '../helpers/local-batch';

/** Kill -9 cycles; each one kills the service the moment its first add is acknowledged. */
const CYCLES = 50;
/** Adds sent at once in a cycle: one job, single tasks, and one collection. */
const SINGLE_TASKS = 6;
const COLLECTION_TASKS = 5;

type Entity = { kind: 'job'; jobId: string } | { kind: 'task'; jobId: string; taskId: string };

describe('local Batch durable acknowledgement: kill -9 right after an add is answered', () => {
  let stackDir: string;
  let service: BatchProcess;
  before(async () => {
    stackDir = mkdtempSync(path.join(tmpdir(), 'spc-batch-durable-'));
    service = new BatchProcess(stackDir, await freePort());
    await service.start();
  });
  after(async () => {
    await service.kill9();
    rmSync(stackDir, { recursive: true, force: true });
  });

  // Raw signed requests, not the SDK: its retry pipeline would replay a request cut by the kill against the
  // restarted service, and the test must know exactly which adds were answered before the kill.
  const send = (req: RawRequest) => jsSignedRequest(service.url, service.accountName, service.accountKey, req);

  it(`every acknowledged job and task exists after each of ${CYCLES} kill -9 + restart cycles`, async () => {
    // No pool: the jobs are accepted and their tasks wait, so nothing runs and only the journal is tested.
    const tasksJob = 'durable-tasks';
    assert.equal((await send({ method: 'POST', path: '/jobs', body: JSON.stringify({ id: tasksJob, poolInfo: { poolId: 'none' } }) })).status, 201);
    const acknowledged: Entity[] = [];
    let killed = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      let dead = false;
      const ack = (entities: Entity[]) => {
        if (dead) return;
        acknowledged.push(...entities);
        dead = true;
        killed++;
        void service.kill9();
      };
      const adds: Promise<unknown>[] = [];
      const jobId = `job-${cycle}`;
      adds.push(send({ method: 'POST', path: '/jobs', body: JSON.stringify({ id: jobId, poolInfo: { poolId: 'none' } }) }).then((r) => {
        if (r.status === 201) ack([{ kind: 'job', jobId }]);
      }));
      for (let i = 0; i < SINGLE_TASKS; i++) {
        const taskId = `t-${cycle}-${i}`;
        adds.push(send({ method: 'POST', path: `/jobs/${tasksJob}/tasks`, body: JSON.stringify({ id: taskId, commandLine: '/bin/true' }) }).then((r) => {
          if (r.status === 201) ack([{ kind: 'task', jobId: tasksJob, taskId }]);
        }));
      }
      const collection = Array.from({ length: COLLECTION_TASKS }, (_, i) => ({ id: `c-${cycle}-${i}`, commandLine: '/bin/true' }));
      adds.push(send({ method: 'POST', path: `/jobs/${tasksJob}/addtaskcollection`, body: JSON.stringify({ value: collection }) }).then((r) => {
        if (r.status !== 200) return;
        const results = (r.json?.value ?? []) as { status: string; taskId: string }[];
        ack(results.filter((t) => t.status === 'success').map((t) => ({ kind: 'task', jobId: tasksJob, taskId: t.taskId })));
      }));
      // The rest fail with a reset connection or were answered too late to count; none may reach the next process.
      await Promise.allSettled(adds);
      await service.kill9();
      await service.start();
      for (const entity of acknowledged) {
        const where = entity.kind === 'job' ? `/jobs/${entity.jobId}` : `/jobs/${entity.jobId}/tasks/${entity.taskId}`;
        const got = await send({ method: 'GET', path: where });
        assert.equal(got.status, 200, `${where} was acknowledged before kill -9 number ${killed} but is ${got.status} after the restart`);
      }
    }
    assert.equal(killed, CYCLES, 'every cycle killed the service right after an acknowledgement');
    assert.ok(acknowledged.length >= CYCLES);
  });
});
