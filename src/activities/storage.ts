import { BlobServiceClient } from '@azure/storage-blob';

/** One BlobServiceClient per worker; the connection string holds a key, so it stays inside activities. */
export function createBlobService(connectionString: string): BlobServiceClient {
  return BlobServiceClient.fromConnectionString(connectionString);
}
