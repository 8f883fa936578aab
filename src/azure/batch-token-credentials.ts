/**
 * Entra ID for @azure/batch 10.2.0, whose client takes ms-rest-js `ServiceClientCredentials` (one method,
 * `signRequest`) rather than a core `TokenCredential`: this adapter sets `Authorization: Bearer <token>` from any
 * TokenCredential. Tokens are reused until five minutes before they expire, and concurrent requests share one
 * refresh, so a poll of a thousand LADs does not ask the identity library a thousand times.
 */
import type { BatchServiceClient } from '@azure/batch';
import type { AccessToken, TokenCredential } from '@azure/identity';

/** ms-rest-js's ServiceClientCredentials and WebResourceLike, as @azure/batch declares them (no direct dependency). */
type ServiceClientCredentials = ConstructorParameters<typeof BatchServiceClient>[0];
type WebResourceLike = Parameters<ServiceClientCredentials['signRequest']>[0];

/** Refresh this long before expiry: covers clock skew and a request that is slow to reach Batch. */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

export class BatchTokenCredentials implements ServiceClientCredentials {
  private token: AccessToken | undefined;
  private refreshing: Promise<AccessToken> | undefined;

  /**
   * @param credential any @azure/identity credential (DefaultAzureCredential, ClientSecretCredential, managed identity)
   * @param scope the Batch resource scope, `https://batch.core.windows.net//.default` on public Azure
   */
  constructor(
    private readonly credential: TokenCredential,
    private readonly scope: string,
  ) {}

  async signRequest(webResource: WebResourceLike): Promise<WebResourceLike> {
    const token = await this.current();
    webResource.headers.set('authorization', `Bearer ${token.token}`);
    return webResource;
  }

  private async current(): Promise<AccessToken> {
    if (this.token && this.token.expiresOnTimestamp - Date.now() > REFRESH_BEFORE_EXPIRY_MS) return this.token;
    this.refreshing ??= this.fetch().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async fetch(): Promise<AccessToken> {
    const token = await this.credential.getToken(this.scope);
    if (!token) throw new Error(`the Entra ID credential returned no token for ${this.scope}`);
    this.token = token;
    return token;
  }
}
