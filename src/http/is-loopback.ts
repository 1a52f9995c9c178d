import net from 'node:net';

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * True for 127.0.0.0/8 and ::1, including IPv4-mapped forms such as ::ffff:127.0.0.1
 * (what a dual-stack server reports for IPv4 clients). Only the socket's own address
 * counts: proxy headers are never trusted.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const family = net.isIP(address);
  if (family === 0) return false;
  return loopback.check(address, family === 6 ? 'ipv6' : 'ipv4');
}
