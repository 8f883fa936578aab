import { readFileSync } from 'node:fs';
import type { StackSettings } from '../schemas/config';
import { StackError } from './errors';
import { portAnswers, waitUntil } from './probes';
import { processPaths, recordedProcess, startDetached, stopRecorded } from './processes';
import { ensureLocalEntra } from './entra';
import { ensureLocalSecrets } from './secrets';
import { entraServices, stackServices, type StackContext, type StackService } from './services';

const READY_TIMEOUT_MS = 90_000;

export interface ServiceStatus {
  name: string;
  address: string;
  /** up: started by this stack and answering; foreign: answering but not ours; starting; down. */
  state: 'up' | 'starting' | 'foreign' | 'down';
  pid?: number;
}

function contextFor(settings: StackSettings, log: (line: string) => void): StackContext {
  return { settings, secrets: ensureLocalSecrets(settings), entra: ensureLocalEntra(settings, settings.SPC_STACK_ENTRA === '1'), log };
}

/** The services this stack runs: the Entra ones only on request (SPC_STACK_ENTRA=1). */
const servicesOf = (settings: StackSettings): StackService[] => (settings.SPC_STACK_ENTRA === '1' ? [...stackServices, ...entraServices] : stackServices);

function lastLines(file: string, count: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '(no log)';
  }
}

async function upOne(service: StackService, ctx: StackContext): Promise<void> {
  const { settings, log } = ctx;
  const paths = processPaths(settings.SPC_STACK_DIR, service.name);
  const ours = recordedProcess(paths.pidFile);
  if (!ours) {
    for (const { port, variable } of service.ports(settings)) {
      if (await portAnswers(port)) {
        throw new StackError(`port ${port} for ${service.name} is taken by another process; stop it or set ${variable} to a free port`);
      }
    }
    const { file, args, env } = await service.command(ctx);
    const started = startDetached(paths, file, args, { ...process.env, ...env });
    log(`${service.name}: started (pid ${started.pid}), waiting until it answers`);
  }
  const ready = await waitUntil(() => service.ready(ctx), READY_TIMEOUT_MS);
  if (!ready) {
    throw new StackError(
      `${service.name} did not answer within ${READY_TIMEOUT_MS / 1000} s; its log ${paths.logFile} ends:\n${lastLines(paths.logFile, 15)}`,
    );
  }
  await service.afterStart?.(ctx);
  log(`${service.name}: up at ${service.describe(settings)}`);
}

/** Brings every service up; idempotent (a running service is reused). */
export async function stackUp(settings: StackSettings, log: (line: string) => void = console.log): Promise<void> {
  const ctx = contextFor(settings, log);
  for (const service of servicesOf(settings)) await upOne(service, ctx);
}

/** Stops only the processes this stack started, by their recorded pids, in reverse order. */
export async function stackDown(settings: StackSettings, log: (line: string) => void = console.log): Promise<void> {
  // Every service, so that Entra ones started by an earlier `SPC_STACK_ENTRA=1 stack up` stop too.
  for (const service of [...stackServices, ...entraServices].reverse()) {
    const stopped = await stopRecorded(processPaths(settings.SPC_STACK_DIR, service.name).pidFile);
    if (stopped || stackServices.includes(service)) log(`${service.name}: ${stopped ? 'stopped' : 'was not running'}`);
  }
}

/** Each service, its address and whether it answers a real request. */
export async function stackStatus(settings: StackSettings): Promise<ServiceStatus[]> {
  const ctx = contextFor(settings, () => undefined);
  return Promise.all(
    servicesOf(settings).map(async (service): Promise<ServiceStatus> => {
      const ours = recordedProcess(processPaths(settings.SPC_STACK_DIR, service.name).pidFile);
      const answers = await service.ready(ctx).catch(() => false);
      const base = { name: service.name, address: service.describe(settings), pid: ours?.pid };
      if (ours) return { ...base, state: answers ? 'up' : 'starting' };
      const taken = await Promise.all(service.ports(settings).map(({ port }) => portAnswers(port)));
      return { ...base, state: taken.some(Boolean) ? 'foreign' : 'down' };
    }),
  );
}
