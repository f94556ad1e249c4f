import { describe, expect, it } from 'vitest';
import { MetadataDocumentCache } from '../src/flows/oauth/metadata-document-cache.js';
import { DocumentFetchError, type FetchedDocument } from '../src/protocol/client-metadata-document.js';

// CIMD (metadata caching): per instance, per Cache-Control, failures never cached.
describe('MetadataDocumentCache', () => {
  const url = 'https://agent.example/client.json';
  const document = { client_id: url, redirect_uris: ['https://agent.example/cb'] };

  function cacheWith(answers: Array<FetchedDocument | Error>) {
    let calls = 0;
    const cache = new MetadataDocumentCache(async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)]!;
      if (answer instanceof Error) throw answer;
      return answer;
    });
    return { cache, calls: () => calls };
  }

  it('CIMD caching: max-age below the floor is held for 60 s, not less', async () => {
    const { cache, calls } = cacheWith([{ body: document, cacheControl: 'max-age=1' }]);
    await cache.get(url, 'test', 0);
    await cache.get(url, 'test', 59_999);
    expect(calls()).toBe(1);
    await cache.get(url, 'test', 60_000);
    expect(calls()).toBe(2);
  });

  it('CIMD caching: max-age above the ceiling is held for 24 h, not more', async () => {
    const { cache, calls } = cacheWith([{ body: document, cacheControl: 'max-age=31536000' }]);
    await cache.get(url, 'test', 0);
    await cache.get(url, 'test', 86_399_999);
    expect(calls()).toBe(1);
    await cache.get(url, 'test', 86_400_000);
    expect(calls()).toBe(2);
  });

  it('a failed fetch or an invalid document is not cached: the next request tries again', async () => {
    const { cache, calls } = cacheWith([new DocumentFetchError('down'), { body: { ...document, client_id: 'https://other.example/x' }, cacheControl: 'max-age=600' }, { body: document, cacheControl: 'max-age=600' }]);
    await expect(cache.get(url, 'test', 0)).rejects.toThrow('down');
    await expect(cache.get(url, 'test', 1)).rejects.toThrow("client_id is not the URL");
    expect((await cache.get(url, 'test', 2)).clientId).toBe(url);
    await cache.get(url, 'test', 3);
    expect(calls()).toBe(3);
  });

  it('a document checked for one environment is checked again for another (redirect URI rules differ)', async () => {
    const { cache, calls } = cacheWith([{ body: { ...document, redirect_uris: ['http://agent.example/cb'] }, cacheControl: 'max-age=600' }]);
    await cache.get(url, 'test', 0);
    await expect(cache.get(url, 'live', 1)).rejects.toThrow('may use http only for loopback hosts');
    expect(calls()).toBe(2);
  });
});
