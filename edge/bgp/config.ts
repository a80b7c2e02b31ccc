/**
 * The BGP speaker's configuration: a zod schema with defaults, meant to be nested into the edge's
 * config (`bgp: bgpConfigSchema.optional()`), validated at start and frozen by loadConfig.
 */
import { z } from 'zod';
import { loadConfig } from '../../common/config.js';
import { parseIpv4, parsePrefix, parseAddress } from './codec/address.js';

/** A 4-octet AS number (RFC 6793); 0 and 4294967295 are reserved (RFC 7607, RFC 7300). */
const asn = z.number().int().min(1).max(4294967294);

/** A hold time in seconds: 0 (no keepalives) or 3..65535 (RFC 4271 §4.2). */
const holdTimeS = z
  .number()
  .int()
  .min(0)
  .max(65535)
  .refine((v) => v === 0 || v >= 3, { message: 'must be 0 or at least 3 (RFC 4271 §4.2)' });

const COMMUNITY = /^\d{1,5}:\d{1,5}$/;
const LARGE_COMMUNITY = /^\d{1,10}:\d{1,10}:\d{1,10}$/;

/** A standard (`asn:value`, 16 bits each) or large (`global:local1:local2`, 32 bits each) community. */
const community = z.string().refine(
  (text) => {
    if (COMMUNITY.test(text)) return text.split(':').every((p) => Number(p) <= 0xffff);
    if (LARGE_COMMUNITY.test(text)) return text.split(':').every((p) => Number(p) <= 0xffffffff);
    return false;
  },
  { message: 'must be asn:value (16-bit parts) or global:local1:local2 (32-bit parts)' },
);

const prefixBound = z
  .object({
    /** A covering prefix, host bits zero: `10.0.0.0/8`, `2001:db8::/32`. */
    prefix: z.string().refine((t) => parsePrefix(t) !== undefined, {
      message: 'must be a prefix such as 10.0.0.0/8 with zero host bits',
    }),
    /** Shortest accepted length; the covering prefix's own length when absent. */
    minLength: z.number().int().min(0).max(128).optional(),
    /** Longest accepted length; 24 for IPv4 and 48 for IPv6 when absent (the common limits of the global table). */
    maxLength: z.number().int().min(0).max(128).optional(),
  })
  .strict()
  .superRefine((bound, ctx) => {
    const parsed = parsePrefix(bound.prefix);
    if (!parsed) return;
    const familyMax = parsed.bytes.length * 8;
    if ((bound.maxLength ?? 0) > familyMax || (bound.minLength ?? 0) > familyMax) {
      ctx.addIssue({ code: 'custom', message: `lengths must not exceed ${familyMax}`, path: ['maxLength'] });
    }
    if (bound.minLength !== undefined && bound.maxLength !== undefined && bound.minLength > bound.maxLength) {
      ctx.addIssue({ code: 'custom', message: 'must not exceed maxLength', path: ['minLength'] });
    }
  });

export const importPolicySchema = z
  .object({
    /** Accept only prefixes inside one of these; an empty list accepts every prefix. */
    prefixes: z.array(prefixBound).default([]),
    /**
     * Most prefixes (all families, all paths) one session may hold after policy; past it the
     * session is closed with Cease / Maximum Number of Prefixes Reached (RFC 4486). Unlimited when absent.
     */
    maxPrefixes: z.number().int().min(1).optional(),
    /** Community filters (RFC 1997 standard, RFC 8092 large communities). */
    communities: z
      .object({
        /** A route must carry at least one of these (empty: no requirement). */
        require: z.array(community).default([]),
        /** A route carrying any of these is rejected. */
        deny: z.array(community).default([]),
      })
      .strict()
      .default({ require: [], deny: [] }),
  })
  .strict();

export type ImportPolicyConfig = z.output<typeof importPolicySchema>;

const DEFAULT_POLICY: ImportPolicyConfig = { prefixes: [], communities: { require: [], deny: [] } };

const neighborSchema = z
  .object({
    /** The peer's name: the `peer` label of metrics and routes. */
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9._-]{0,62}$/, 'must be a letter, then letters, digits, ._-'),
    /** The peer's address: connections from it are this neighbor's; active mode connects to it. */
    address: z
      .string()
      .refine((t) => parseAddress(t) !== undefined, { message: 'must be an IPv4 or IPv6 address' }),
    /** The peer's TCP port for active mode. */
    port: z.number().int().min(1).max(65535).default(179),
    /** The peer's AS number (4-octet, RFC 6793). */
    peerAs: asn,
    /** Wait for the peer to connect (the ISP router dials the appliance) instead of connecting out. */
    passive: z.boolean().default(true),
    /** Local address to connect from in active mode. */
    localAddress: z
      .string()
      .refine((t) => parseAddress(t) !== undefined, { message: 'must be an IPv4 or IPv6 address' })
      .optional(),
    /** Hold time offered to this neighbor; the speaker's when absent. */
    holdTimeS: holdTimeS.optional(),
    /** Import policy for this neighbor; the speaker's when absent. */
    importPolicy: importPolicySchema.optional(),
  })
  .strict();

export type NeighborConfig = z.output<typeof neighborSchema>;

export const bgpConfigSchema = z
  .object({
    /** This speaker's AS number (4-octet, RFC 6793). */
    localAs: asn,
    /** BGP Identifier, an IPv4 address unique among the peers (RFC 4271 §4.2, RFC 6286). */
    routerId: z.string().refine((t) => parseIpv4(t) !== undefined && t !== '0.0.0.0', {
      message: 'must be a non-zero IPv4 address',
    }),
    /** Where the speaker accepts BGP connections (passive neighbors dial in here). */
    listen: z
      .object({
        /** Address to listen on; `0.0.0.0` accepts IPv4 on every interface. */
        host: z.string().min(1).default('0.0.0.0'),
        /** 179 is BGP's port (RFC 4271 §8.2.1); tests use any free port. */
        port: z.number().int().min(0).max(65535).default(179),
      })
      .strict()
      .default({ host: '0.0.0.0', port: 179 }),
    /** Offered hold time in seconds; 90 is RFC 4271 §10's suggestion. */
    holdTimeS: holdTimeS.default(90),
    /** Seconds between connection attempts in active mode (RFC 4271 §10 suggests 120). */
    connectRetryS: z.number().int().min(1).max(3600).default(120),
    /** Seconds an active neighbor waits in Idle after a failure before connecting again (damps flapping, RFC 4271 §8.1.1). */
    idleHoldS: z.number().int().min(0).max(3600).default(5),
    /** Address families negotiated with Multiprotocol Extensions (RFC 4760). */
    families: z
      .array(z.enum(['ipv4', 'ipv6']))
      .min(1)
      .default(['ipv4', 'ipv6']),
    /** Offer ADD-PATH receive (RFC 7911), so routers can send several paths per prefix. */
    addPath: z.boolean().default(true),
    /** Graceful restart (RFC 4724): routes survive a peer's restart while it comes back. */
    gracefulRestart: z
      .object({
        /** Offer the capability and keep a restarting peer's routes as stale. */
        enabled: z.boolean().default(true),
        /** Restart time offered to peers, in seconds (RFC 4724 §3: 12 bits, at most 4095). */
        restartTimeS: z.number().int().min(0).max(4095).default(120),
        /**
         * Longest a restarted peer's stale routes are kept waiting for its End-of-RIB, in seconds
         * (RFC 4724 §4.2 leaves it to the implementation; 360 is a common default).
         */
        stalePathTimeS: z.number().int().min(1).max(3600).default(360),
      })
      .strict()
      .default({ enabled: true, restartTimeS: 120, stalePathTimeS: 360 }),
    /** Which received routes are accepted, for every neighbor without its own. */
    importPolicy: importPolicySchema.default(DEFAULT_POLICY),
    /** The routers this speaker peers with. */
    neighbors: z.array(neighborSchema).default([]),
  })
  .strict()
  .superRefine((config, ctx) => {
    const names = new Set<string>();
    const addresses = new Set<string>();
    config.neighbors.forEach((n, i) => {
      if (names.has(n.name))
        ctx.addIssue({ code: 'custom', message: `duplicate name ${n.name}`, path: ['neighbors', i, 'name'] });
      names.add(n.name);
      const canonical = JSON.stringify([...(parseAddress(n.address)?.bytes ?? [])]);
      if (addresses.has(canonical)) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate address ${n.address}`,
          path: ['neighbors', i, 'address'],
        });
      }
      addresses.add(canonical);
    });
  });

export type BgpConfigInput = z.input<typeof bgpConfigSchema>;
export type BgpConfig = z.output<typeof bgpConfigSchema>;

/** Validates and freezes a BGP config; CDN_ERR_CONFIG_INVALID naming the key otherwise. */
export function loadBgpConfig(input: unknown): Readonly<BgpConfig> {
  return loadConfig(bgpConfigSchema, input, 'bgp config');
}
