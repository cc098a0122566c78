import { round } from './measure.ts';

/** What the floor targets read of a gateway bench case. */
type CaseFigures = { target: string; concurrency: number; requestsPerSecond: number; p50Ms: number };

type Target = { name: string; value: number; unit: string; goal: string; isMet: boolean };

/** The gateway's two endpoints, each held to the floor. */
const ENDPOINTS = [
  { target: 'gateway-server', label: '/mcp/everything' },
  { target: 'gateway-aggregated', label: '/mcp aggregated' },
] as const;

/**
 * The "gateway at the floor" targets (issue 13 goal 4) for both endpoints: c16 throughput at
 * least `floorShare` × the pass-through's and `peerFactor` × the best peer's, and c1 p50 at most
 * `p50MarginMs` above the pass-through's. A case that is missing makes its targets NaN, not met.
 */
export function floorTargets(
  cases: readonly CaseFigures[],
  options: { peers: readonly string[]; floorShare: number; peerFactor: number; p50MarginMs: number },
): { ratios: Record<string, number>; targets: Target[] } {
  const find = (target: string, concurrency: number) =>
    cases.find((c) => c.target === target && c.concurrency === concurrency);
  const floorC16 = find('pass-through', 16)?.requestsPerSecond ?? Number.NaN;
  const floorC1P50 = find('pass-through', 1)?.p50Ms ?? Number.NaN;
  const peerRates = options.peers.map((peer) => find(peer, 16)?.requestsPerSecond ?? Number.NaN);
  const bestPeerC16 = Math.max(...peerRates);
  const bestPeer = options.peers[peerRates.indexOf(bestPeerC16)] ?? 'none';
  const ratios: Record<string, number> = {};
  const targets: Target[] = [];
  for (const { target, label } of ENDPOINTS) {
    const c16 = find(target, 16)?.requestsPerSecond ?? Number.NaN;
    const overFloor = round(c16 / floorC16);
    const overPeer = round(c16 / bestPeerC16);
    const p50Above = round((find(target, 1)?.p50Ms ?? Number.NaN) - floorC1P50);
    ratios[`${target}C16OverPassThroughC16`] = overFloor;
    ratios[`${target}C16OverBestPeerC16`] = overPeer;
    ratios[`${target}C1P50MinusPassThroughC1P50Ms`] = p50Above;
    targets.push(
      {
        name: `gateway c16 throughput / pass-through c16 (${label})`,
        value: overFloor,
        unit: '×',
        goal: `≥ ${options.floorShare}`,
        isMet: overFloor >= options.floorShare,
      },
      {
        name: `gateway c16 throughput / best peer c16, ${bestPeer} (${label})`,
        value: overPeer,
        unit: '×',
        goal: `≥ ${options.peerFactor}`,
        isMet: overPeer >= options.peerFactor,
      },
      {
        name: `gateway c1 p50 − pass-through c1 p50 (${label})`,
        value: p50Above,
        unit: 'ms',
        goal: `≤ ${options.p50MarginMs}`,
        isMet: p50Above <= options.p50MarginMs,
      },
    );
  }
  return { ratios, targets };
}
