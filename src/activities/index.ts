import { loadConfig } from '../config';
import type { Config } from '../schemas/config';
import { createSmokeActivities } from './smoke';
import { createBlobService } from './storage';

/** Builds every activity from the worker's configuration; clients are created once per worker. */
export function createActivities(config: Config = loadConfig()) {
  const blobs = createBlobService(config.AZURE_STORAGE_CONNECTION_STRING);
  return { ...createSmokeActivities(blobs) };
}
