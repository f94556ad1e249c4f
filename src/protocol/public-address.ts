import { BlockList, isIPv4, isIPv6 } from 'node:net';

// Addresses a server-side fetch of a client-supplied URL must never reach (CIMD draft, Security
// Considerations, "Server-Side Request Forgery"; OWASP SSRF prevention): this host, the private
// networks behind it, the cloud metadata service (169.254.169.254), and every IPv6 form that
// embeds an IPv4 address (a mapped ::ffff:10.0.0.1 is 10.0.0.1 to the kernel).
// Two lists: one BlockList also matches IPv4 addresses against IPv6 rules (as ::ffff:a.b.c.d), and
// the IPv4-mapped rule would then refuse every IPv4 address.
const REFUSED_V4 = new BlockList();
const REFUSED_V6 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) REFUSED_V4.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible (deprecated)
  ['::ffff:0:0', 96], // IPv4-mapped
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 32], // Teredo (embeds an IPv4 address)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 (embeds an IPv4 address)
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) REFUSED_V6.addSubnet(network, prefix, 'ipv6');

const LOOPBACK_V4 = new BlockList();
LOOPBACK_V4.addSubnet('127.0.0.0', 8, 'ipv4');

/**
 * Whether a server-side fetch may connect to `address` (an IP literal, no brackets). `allowLoopback`
 * is the test-only LATCHKEY_INSECURE_CLIENT_METADATA_FETCH: loopback only, never a private range.
 */
export function isFetchableAddress(address: string, allowLoopback: boolean): boolean {
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!family) return false;
  if (allowLoopback && (family === 'ipv4' ? LOOPBACK_V4.check(address, 'ipv4') : address === '::1' || address === '0:0:0:0:0:0:0:1')) return true;
  return family === 'ipv4' ? !REFUSED_V4.check(address, 'ipv4') : !REFUSED_V6.check(address, 'ipv6');
}
