declare module 'oidc-provider';
// Deep imports of its in-memory adapter and LRU store (bench/servers/oidc-provider-peer.ts).
declare module 'oidc-provider/lib/*';
