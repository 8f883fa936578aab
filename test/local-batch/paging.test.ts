import type { BatchServiceModels } from '@azure/batch';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestBatch, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

describe('local Batch paging: file and node lists page with odata.nextLink, walked by the SDK', () => {
  let b: TestBatch;
  let poolId: string;
  let jobId: string;
  const files = Array.from({ length: 25 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);

  before(async () => {
    b = await startTestBatch();
    poolId = uniqueId('page-pool');
    jobId = uniqueId('page-job');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 3 });
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    // 25 files in wd/ and 5 in wd/sub/: 34 names with stdout.txt, stderr.txt, wd and wd/sub.
    const script = `mkdir -p sub && for f in ${files.join(' ')}; do echo $f > $f; done && for i in 1 2 3 4 5; do echo $i > sub/s$i.txt; done`;
    await b.client.task.add(jobId, { id: 'many', commandLine: `/bin/sh -c '${script}'` });
    await waitForTask(b.client, jobId, 'many', 'completed');
  });
  after(() => b.stop());

  async function allPages(first: () => Promise<BatchServiceModels.NodeFileListResult>) {
    const pages: string[][] = [];
    let page = await first();
    pages.push(page.map((f) => f.name!));
    while (page.odatanextLink) {
      page = await b.client.file.listFromTaskNext(page.odatanextLink);
      pages.push(page.map((f) => f.name!));
    }
    return pages;
  }

  it('a recursive task file list of 34 names comes in pages of 10 that listFromTaskNext walks to the end', async () => {
    const pages = await allPages(() => b.client.file.listFromTask(jobId, 'many', { recursive: true, fileListFromTaskOptions: { maxResults: 10 } }));
    assert.deepEqual(pages.map((p) => p.length), [10, 10, 10, 4], JSON.stringify(pages));
    const names = pages.flat();
    assert.equal(new Set(names).size, names.length, 'no name twice');
    const expected = ['stderr.txt', 'stdout.txt', 'wd', ...files.map((f) => `wd/${f}`), 'wd/sub', ...[1, 2, 3, 4, 5].map((i) => `wd/sub/s${i}.txt`)];
    assert.deepEqual([...names].sort(), [...expected].sort());
    const unpaged = await b.client.file.listFromTask(jobId, 'many', { recursive: true });
    assert.deepEqual(unpaged.map((f) => f.name), names, 'pages concatenate to the one-page list');
    assert.equal(unpaged.odatanextLink, undefined);
  });

  it('the next page resumes after the last name even when files before it were deleted meanwhile', async () => {
    const first = await b.client.file.listFromTask(jobId, 'many', { recursive: true, fileListFromTaskOptions: { maxResults: 10 } });
    const lastName = first[first.length - 1].name!;
    // Remove two files already returned (a position-based token would now skip two names).
    const removed = first.slice(-3, -1).map((f) => f.name!);
    assert.ok(removed.every((n) => n.startsWith('wd/f')), `${removed.join(',')} are plain files`);
    for (const name of removed) await b.client.file.deleteFromTask(jobId, 'many', name);
    const second = await b.client.file.listFromTaskNext(first.odatanextLink!);
    const all = await b.client.file.listFromTask(jobId, 'many', { recursive: true });
    const names = all.map((f) => f.name!);
    assert.deepEqual(second.map((f) => f.name), names.slice(names.indexOf(lastName) + 1, names.indexOf(lastName) + 11));
  });

  it('a filtered list pages too, and the filter travels in the link', async () => {
    const pages = await allPages(() => b.client.file.listFromTask(jobId, 'many', { recursive: true, fileListFromTaskOptions: { maxResults: 4, filter: "startswith(name,'wd/sub')" } }));
    assert.deepEqual(pages.flat(), ['wd/sub', ...[1, 2, 3, 4, 5].map((i) => `wd/sub/s${i}.txt`)]);
    assert.deepEqual(pages.map((p) => p.length), [4, 2]);
  });

  it('the node list pages by node id: listNext walks all nodes, and a node removed between pages makes none skipped', async () => {
    await waitForNodes(b.client, poolId, 3);
    const ids: string[] = [];
    let page = await b.client.computeNode.list(poolId, { computeNodeListOptions: { maxResults: 1 } });
    ids.push(...page.map((n) => n.id!));
    while (page.odatanextLink) {
      page = await b.client.computeNode.listNext(page.odatanextLink);
      ids.push(...page.map((n) => n.id!));
    }
    assert.equal(ids.length, 3);
    assert.deepEqual(ids, [...ids].sort(), 'in id order');

    const first = await b.client.computeNode.list(poolId, { computeNodeListOptions: { maxResults: 2 } });
    assert.deepEqual(first.map((n) => n.id), ids.slice(0, 2));
    await b.client.pool.removeNodes(poolId, { nodeList: [ids[0]] });
    await waitForNodes(b.client, poolId, 2);
    const second = await b.client.computeNode.listNext(first.odatanextLink!);
    assert.deepEqual(second.map((n) => n.id), [ids[2]], 'the third node is still on the next page');
  });
});
