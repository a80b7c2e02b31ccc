/**
 * Import policy as a pure decision over one route: inside the configured prefix bounds, carrying a
 * required community, carrying no denied one. The per-session prefix limit is the RIB's to count.
 */
import { type BinaryPrefix, parsePrefix, prefixContains } from './codec/address.js';
import type { ImportPolicyConfig } from './config.js';
import type { Route } from './route.js';

/** Longest prefix accepted by default: /24 in IPv4 and /48 in IPv6, the global table's customary limits. */
const DEFAULT_MAX_LENGTH = { 4: 24, 16: 48 } as const;

interface Bound {
  prefix: BinaryPrefix;
  minLength: number;
  maxLength: number;
}

export interface ImportPolicy {
  bounds: Bound[];
  maxPrefixes: number | undefined;
  require: Set<string>;
  deny: Set<string>;
}

export type ImportVerdict =
  | { kind: 'accept' }
  | { kind: 'reject'; reason: 'outside-bounds' | 'denied-community' | 'missing-community' };

export function compileImportPolicy(config: ImportPolicyConfig): ImportPolicy {
  return {
    bounds: config.prefixes.map((b) => {
      const prefix = parsePrefix(b.prefix)!;
      return {
        prefix,
        minLength: b.minLength ?? prefix.length,
        maxLength: b.maxLength ?? DEFAULT_MAX_LENGTH[prefix.bytes.length as 4 | 16],
      };
    }),
    maxPrefixes: config.maxPrefixes,
    require: new Set(config.communities.require),
    deny: new Set(config.communities.deny),
  };
}

function tagged(route: Route, set: Set<string>): boolean {
  return route.communities.some((c) => set.has(c)) || route.largeCommunities.some((c) => set.has(c));
}

export function evaluateImport(route: Route, policy: ImportPolicy): ImportVerdict {
  if (policy.bounds.length > 0) {
    const prefix = parsePrefix(route.prefix);
    const inside =
      prefix !== undefined &&
      policy.bounds.some(
        (b) =>
          prefix.length >= b.minLength && prefix.length <= b.maxLength && prefixContains(b.prefix, prefix),
      );
    if (!inside) return { kind: 'reject', reason: 'outside-bounds' };
  }
  if (policy.deny.size > 0 && tagged(route, policy.deny))
    return { kind: 'reject', reason: 'denied-community' };
  if (policy.require.size > 0 && !tagged(route, policy.require))
    return { kind: 'reject', reason: 'missing-community' };
  return { kind: 'accept' };
}
