/**
 * BGP UPDATE ingest benchmark (not part of CI): `npm run build && node dist/test/bench/bgp.bench.js`.
 *
 * A synthetic full-table-like feed (BENCH_BGP_V4 IPv4 /24s, BENCH_BGP_V6 IPv6 /48s; 1 to 8 prefixes
 * per UPDATE, AS paths of 2 to 6 ASNs, 0 to 3 communities, a MED on some) is encoded once, then:
 * 1. decoded in process: framing + UPDATE decoding + route building, against the baseline of framing
 *    alone over the same bytes (the cheapest pass that still reads every message); medians of 3,
 *    alternating A B A B;
 * 2. sent over loopback TCP to a running speaker by a peer; timed from the first byte to the last
 *    prefix in the Loc-RIB (policy, Adj-RIB-In, best path and deltas included).
 */
import { connect } from 'node:net';
import { seededRandom } from '../helpers/random.js';
import { BgpSpeaker, loadBgpConfig } from '../../edge/bgp/index.js';
import type { AttributeContext, PathAttributes } from '../../edge/bgp/codec/attributes.js';
import { MessageFramer } from '../../edge/bgp/codec/header.js';
import type { Negotiated } from '../../edge/bgp/codec/negotiate.js';
import { encodeOpen } from '../../edge/bgp/codec/open.js';
import { encodeKeepalive } from '../../edge/bgp/codec/routeRefresh.js';
import { decodeUpdate, encodeUpdate } from '../../edge/bgp/codec/update.js';
import { routesOfUpdate } from '../../edge/bgp/route.js';

const V4 = Number(process.env.BENCH_BGP_V4 ?? 800_000);
const V6 = Number(process.env.BENCH_BGP_V6 ?? 150_000);
const CTX: AttributeContext = { fourOctetAs: true, addPathIpv4: false, addPathIpv6: false, ibgp: false };

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function buildFeed(): { bytes: Buffer; prefixes: number; messages: number } {
  const random = seededRandom(2024);
  const int = (n: number): number => Math.floor(random() * n);
  const chunks: Uint8Array[] = [];
  const attrs = (): PathAttributes => {
    const a: PathAttributes = {
      origin: 'igp',
      asPath: [{ type: 'sequence', asns: Array.from({ length: 2 + int(5) }, () => 1 + int(400_000)) }],
      nextHop: '127.0.0.9',
    };
    const communities = int(4);
    if (communities) a.communities = Array.from({ length: communities }, () => int(2 ** 32));
    if (int(3) === 0) a.med = int(1000);
    return a;
  };
  let v4 = 0;
  while (v4 < V4) {
    const n = Math.min(1 + int(8), V4 - v4);
    const nlri = Array.from({ length: n }, (_, i) => {
      const k = v4 + i;
      return { prefix: `${1 + ((k >>> 16) % 223)}.${(k >>> 8) & 255}.${k & 255}.0/24`, pathId: 0 };
    });
    chunks.push(encodeUpdate({ withdrawn: [], attributes: attrs(), nlri }, CTX));
    v4 += n;
  }
  let v6 = 0;
  while (v6 < V6) {
    const n = Math.min(1 + int(8), V6 - v6);
    const nlri = Array.from({ length: n }, (_, i) => {
      const k = v6 + i;
      return { prefix: `2001:${(k >>> 16).toString(16)}:${(k & 0xffff).toString(16)}::/48`, pathId: 0 };
    });
    const a = attrs();
    delete a.nextHop;
    a.mpReach = { afi: 2, safi: 1, nextHop: '2001:db8::9', nlri };
    chunks.push(encodeUpdate({ withdrawn: [], attributes: a, nlri: [] }, CTX));
    v6 += n;
  }
  return { bytes: Buffer.concat(chunks), prefixes: V4 + V6, messages: chunks.length };
}

/** Feeds the bytes in 64 KiB reads, as a socket would deliver them. */
function pass(bytes: Buffer, decode: boolean): number {
  const framer = new MessageFramer();
  const negotiated = { fourOctetAs: true } as Negotiated;
  let prefixes = 0;
  const t0 = performance.now();
  for (let pos = 0; pos < bytes.length; pos += 65536) {
    for (const frame of framer.push(bytes.subarray(pos, pos + 65536)).frames) {
      if (!decode) continue;
      const result = decodeUpdate(frame.body, CTX);
      if (result.kind === 'ok')
        prefixes += routesOfUpdate(result.update, negotiated, 'bench').announced.length;
    }
  }
  const s = (performance.now() - t0) / 1000;
  if (decode && prefixes !== V4 + V6) throw new Error(`decoded ${prefixes} prefixes`);
  return s;
}

async function endToEnd(bytes: Buffer, total: number): Promise<number> {
  const speaker = new BgpSpeaker({
    config: loadBgpConfig({
      localAs: 65000,
      routerId: '192.0.2.254',
      listen: { host: '127.0.0.1', port: 0 },
      neighbors: [{ name: 'feed', address: '127.0.0.9', peerAs: 65001 }],
    }),
  });
  await speaker.start();
  let learned = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  speaker.on('delta', (d) => {
    learned += d.announce.length;
    if (learned >= total) done();
  });
  const socket = connect({ host: '127.0.0.1', port: speaker.address()!.port, localAddress: '127.0.0.9' });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.on('data', () => undefined);
  socket.write(
    encodeOpen({
      myAs: 65001,
      holdTimeS: 0,
      bgpId: '198.51.100.1',
      capabilities: [
        { kind: 'four-octet-as', asn: 65001 },
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'multiprotocol', afi: 2, safi: 1 },
      ],
    }),
  );
  socket.write(encodeKeepalive());
  while (speaker.sessions()[0]!.state !== 'Established') await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  socket.write(bytes);
  await finished;
  const s = (performance.now() - t0) / 1000;
  socket.destroy();
  await speaker.stop();
  return s;
}

const feed = buildFeed();
console.log(
  `feed: ${feed.prefixes} prefixes in ${feed.messages} UPDATEs, ${(feed.bytes.length / 1e6).toFixed(1)} MB`,
);
const framing: number[] = [];
const decoding: number[] = [];
for (let round = 0; round < 3; round++) {
  framing.push(pass(feed.bytes, false));
  decoding.push(pass(feed.bytes, true));
}
const decodeRate = feed.prefixes / median(decoding);
console.log(
  `decode: ${(decodeRate / 1e6).toFixed(2)} M prefixes/s (median ${median(decoding).toFixed(2)} s); framing alone ${median(framing).toFixed(3)} s; decode/framing time ratio ${(median(decoding) / median(framing)).toFixed(1)}x`,
);
const e2e = await endToEnd(feed.bytes, feed.prefixes);
console.log(
  `end to end over loopback into the Loc-RIB: ${(feed.prefixes / e2e / 1e3).toFixed(0)} k prefixes/s (${e2e.toFixed(2)} s); goal 50 k/s`,
);
