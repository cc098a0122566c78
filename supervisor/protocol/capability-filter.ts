/**
 * The tool list each client may see when a 2025 server decides its tools by the capabilities the
 * *session* declared at `initialize`.
 *
 * server-everything (and servers like it) registers some tools only after `initialized`, and only
 * if the session's client declared a capability: `get-roots-list` (roots), `trigger-elicitation-
 * request` (elicitation), `trigger-url-elicitation` (elicitation.url), `trigger-sampling-request`
 * (sampling), the `*-async` ones (tasks); see its dist/tools/index.js `registerConditionalTools`.
 * The gateway's one upstream session declares sampling + elicitation + roots, so it sees 16 tools
 * where a plain client sees 13. The protocol never says which tool needs which capability, so the
 * gateway learns it by observation: the tool lists of sessions that declared different capability
 * sets (the gateway's own session, and probe sessions, see the design note). A client sees a tool
 * when some observed session that declared no more than the client did listed it.
 *
 * Pure; monotone by assumption (declaring more never hides a tool), which is how servers gate.
 */

type Params = Record<string, unknown>;

/** The capability atoms that gate tools, from a ClientCapabilities object. */
export function capabilityAtoms(capabilities: Params | undefined): Set<string> {
  const atoms = new Set<string>();
  for (const [key, value] of Object.entries(capabilities ?? {})) {
    if (value === undefined || key === 'experimental' || key === 'extensions') continue;
    atoms.add(key);
    if (key === 'elicitation' && value !== null && typeof value === 'object') {
      const modes = value as Params;
      // An empty elicitation object means form mode (client/elicitation#capabilities).
      if (modes.url !== undefined) atoms.add('elicitation.url');
    }
  }
  return atoms;
}

/** One tool list seen by a session that declared `capabilities`. */
export interface ToolObservation {
  capabilities: Params;
  tools: readonly string[];
}

export interface ToolVisibility {
  /** Names the client may see, in the order of the broadest observed list. */
  visible: string[];
  /**
   * False when no observation was made with a subset of the client's capabilities; then the
   * broadest list is returned unfiltered (today's behaviour), and the gateway should probe.
   */
  isExact: boolean;
}

/** Which tools a client that declared `declared` may see, given the observations so far. */
export function visibleTools(
  observations: readonly ToolObservation[],
  declared: Params | undefined,
): ToolVisibility {
  const client = capabilityAtoms(declared);
  const broadest = [...observations].sort((a, b) => b.tools.length - a.tools.length)[0];
  if (!broadest) return { visible: [], isExact: true };
  const applicable = observations.filter((o) =>
    [...capabilityAtoms(o.capabilities)].every((atom) => client.has(atom)),
  );
  if (applicable.length === 0) return { visible: [...broadest.tools], isExact: false };
  const allowed = new Set(applicable.flatMap((o) => o.tools));
  const order = new Map<string, number>();
  for (const o of [...observations].sort((a, b) => b.tools.length - a.tools.length)) {
    for (const name of o.tools) if (!order.has(name)) order.set(name, order.size);
  }
  return { visible: [...allowed].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0)), isExact: true };
}

/**
 * The capability each gated tool was first seen with (for the README and the status view): a
 * tool absent from the plain ({}) observation, mapped to the atoms of the smallest observation
 * that listed it.
 */
export function toolRequirements(observations: readonly ToolObservation[]): Map<string, string[]> {
  const bySize = [...observations].sort(
    (a, b) => capabilityAtoms(a.capabilities).size - capabilityAtoms(b.capabilities).size,
  );
  const plain = new Set(bySize.find((o) => capabilityAtoms(o.capabilities).size === 0)?.tools ?? []);
  const required = new Map<string, string[]>();
  for (const o of bySize) {
    for (const name of o.tools)
      if (!plain.has(name) && !required.has(name))
        required.set(name, [...capabilityAtoms(o.capabilities)].sort());
  }
  return required;
}

/**
 * The capability sets to probe a server with so that {@link visibleTools} is exact for every
 * client: none, and each single gating capability the gateway's own session declares.
 */
export function probeCapabilitySets(gatewayCapabilities: Params): Params[] {
  const sets: Params[] = [{}];
  for (const [key, value] of Object.entries(gatewayCapabilities)) sets.push({ [key]: value });
  return sets;
}
