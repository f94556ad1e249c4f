import { metadataCacheSeconds, readClientMetadata, type ClientMetadata, type DocumentFetcher } from '../../protocol/client-metadata-document.js';
import type { Environment } from '../../storage/store.js';

/** What the server knows of clients nobody registered by hand (SPEC §13), built once at start. */
export interface ClientRegistrationDeps {
  /** LATCHKEY_CLIENT_REGISTRATION_ORGANIZATION: the organization such clients belong to. */
  readonly organizationName: string;
  /** LATCHKEY_INSECURE_CLIENT_METADATA_FETCH (tests only): http client_id URLs allowed. */
  readonly allowInsecureMetadataFetch: boolean;
  /** LATCHKEY_CLIENT_REGISTRATION_RESOURCES: the RFC 8707 resources such clients may ask for. */
  readonly resources: readonly string[];
  readonly documents: MetadataDocumentCache;
}

/** How many documents one instance keeps; the oldest entry goes first beyond it. */
const CACHE_ENTRIES = 1_000;

/**
 * Fetched and validated metadata documents, in this instance's memory, each for as long as its
 * Cache-Control allows (metadataCacheSeconds: floor 60 s, ceiling 24 h, default 5 min, none for
 * no-store). A document that fails is not cached: the next request tries again.
 */
export class MetadataDocumentCache {
  private readonly entries = new Map<string, { metadata: ClientMetadata; environment: Environment; until: number }>();
  constructor(private readonly fetchDocument: DocumentFetcher) {}

  /** The document's metadata, from the cache while fresh; fetch and validation errors are thrown. */
  async get(clientId: string, environment: Environment, now: number): Promise<ClientMetadata> {
    const hit = this.entries.get(clientId);
    if (hit && hit.until > now && hit.environment === environment) return hit.metadata;
    this.entries.delete(clientId);
    const fetched = await this.fetchDocument(clientId);
    const metadata = readClientMetadata(fetched.body, clientId, environment);
    const seconds = metadataCacheSeconds(fetched.cacheControl);
    if (seconds > 0) {
      if (this.entries.size >= CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(clientId, { metadata, environment, until: now + seconds * 1000 });
    }
    return metadata;
  }
}
