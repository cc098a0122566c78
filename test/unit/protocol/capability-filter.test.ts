import { describe, expect, it } from 'vitest';
import {
  capabilityAtoms,
  probeCapabilitySets,
  toolRequirements,
  visibleTools,
} from '../../../supervisor/protocol/capability-filter.ts';

// server-everything 2026.8.31: 13 tools for a plain session; roots, elicitation and sampling each add one.
const PLAIN = [
  'echo',
  'get-annotated-message',
  'get-env',
  'get-resource-links',
  'get-resource-reference',
  'get-structured-content',
  'get-sum',
  'get-tiny-image',
  'gzip-file-as-resource',
  'toggle-simulated-logging',
  'toggle-subscriber-updates',
  'trigger-long-running-operation',
  'simulate-research-query',
];
const OBS = [
  { capabilities: {}, tools: PLAIN },
  { capabilities: { roots: {} }, tools: [...PLAIN, 'get-roots-list'] },
  { capabilities: { elicitation: {} }, tools: [...PLAIN, 'trigger-elicitation-request'] },
  { capabilities: { sampling: {} }, tools: [...PLAIN, 'trigger-sampling-request'] },
  {
    capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
    tools: [...PLAIN, 'get-roots-list', 'trigger-elicitation-request', 'trigger-sampling-request'],
  },
];

describe('visibleTools', () => {
  it('lists 13 tools to a plain client and 16 to one that declared sampling, elicitation and roots', () => {
    expect(visibleTools(OBS, {})).toEqual({ visible: PLAIN, isExact: true });
    expect(visibleTools(OBS, { sampling: {}, elicitation: {}, roots: {} }).visible).toHaveLength(16);
  });
  it('lists a gated tool only to clients that declared its capability', () => {
    const { visible } = visibleTools(OBS, { sampling: {} });
    expect(visible).toContain('trigger-sampling-request');
    expect(visible).not.toContain('get-roots-list');
    expect(visible).not.toContain('trigger-elicitation-request');
  });
  it('falls back to the broadest list, marked inexact, with only the gateway session observed', () => {
    const only = [OBS[4]!];
    expect(visibleTools(only, {})).toEqual({ visible: only[0]!.tools, isExact: false });
  });
});

describe('capabilityAtoms / toolRequirements / probeCapabilitySets', () => {
  it('reads url elicitation as its own atom and ignores experimental and extensions', () => {
    expect([...capabilityAtoms({ elicitation: { url: {} }, experimental: {}, extensions: {} })]).toEqual([
      'elicitation',
      'elicitation.url',
    ]);
  });
  it('names the capability each gated tool needs', () => {
    expect(Object.fromEntries(toolRequirements(OBS))).toEqual({
      'get-roots-list': ['roots'],
      'trigger-elicitation-request': ['elicitation'],
      'trigger-sampling-request': ['sampling'],
    });
  });
  it('probes with no capability and each single one the gateway declares', () => {
    expect(probeCapabilitySets({ sampling: {}, roots: { listChanged: true } })).toEqual([
      {},
      { sampling: {} },
      { roots: { listChanged: true } },
    ]);
  });
});
