/** Preloaded into the embedded Azurite: see ./azurite-indexed-queries. */
import { patchAzuriteLoki } from './azurite-indexed-queries';

patchAzuriteLoki();
