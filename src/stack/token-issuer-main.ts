import { loadStackSettings } from '../config';
import { ensureLocalEntra } from './entra';
import { startTokenIssuer } from './token-issuer';

/** Entry point of the `issuer` stack service (SPC_STACK_ENTRA=1): serves on SPC_ENTRA_ISSUER_PORT. */
async function run(): Promise<void> {
  const settings = loadStackSettings();
  const entra = ensureLocalEntra(settings, true)!;
  const issuer = await startTokenIssuer(entra, settings.SPC_ENTRA_ISSUER_PORT);
  console.log(`token-issuer: tenant ${entra.tenantId} at ${issuer.authorityHost}`);
  const stop = () => void issuer.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
