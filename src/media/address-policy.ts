import ipaddr from 'ipaddr.js';

/** Cloud metadata services: credentials live there. Never fetched, whatever the setting. */
const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);

/** Ranges MEDIA_URL_ALLOW_PRIVATE opens: an operator's own network. */
const PRIVATE_RANGES = new Set(['private', 'loopback', 'linkLocal', 'carrierGradeNat', 'uniqueLocal']);

/** The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), for the same check. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  if (address.isIPv4MappedAddress()) return address.toIPv4Address();
  const parts = address.parts;
  const range = address.range();
  if (range === '6to4') return ipaddr.IPv4.parse(`${parts[1]! >> 8}.${parts[1]! & 255}.${parts[2]! >> 8}.${parts[2]! & 255}`);
  if (range === 'rfc6052' || range === 'teredo') {
    const [hi, lo] = range === 'teredo' ? [~parts[6]! & 0xffff, ~parts[7]! & 0xffff] : [parts[6]!, parts[7]!];
    return ipaddr.IPv4.parse(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return null;
}

/**
 * Why a media URL may not be fetched from `address`, or null when it may: only public unicast
 * addresses, unless `allowPrivate` opens the operator's own ranges (metadata services stay shut).
 */
export function refusalFor(address: string, allowPrivate: boolean): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return `${address} is not an IP address`;
  }
  if (parsed.kind() === 'ipv6') {
    const inner = embeddedIPv4(parsed as ipaddr.IPv6);
    if (inner !== null) {
      const why = refusalFor(inner.toString(), allowPrivate);
      return why === null ? null : `${address} carries ${inner.toString()}: ${why}`;
    }
  }
  const normalized = parsed.toNormalizedString();
  if (METADATA.has(address) || METADATA.has(normalized) || METADATA.has(parsed.toString())) {
    return `${address} is a cloud metadata address, never fetched`;
  }
  const range = parsed.range();
  if (range === 'unicast') return null;
  if (allowPrivate && PRIVATE_RANGES.has(range)) return null;
  const opens = PRIVATE_RANGES.has(range) ? ' (set MEDIA_URL_ALLOW_PRIVATE=true if this daemon must fetch from your own network)' : '';
  return `${address} is a ${range} address${opens}`;
}
