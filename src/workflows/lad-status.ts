import type { LadStatus } from '../schemas/progress';

/** A LAD whose child is in flight (running, or waiting to retry its task). */
export const isInFlight = (status: LadStatus): boolean => status === 'running' || status === 'retrying';
