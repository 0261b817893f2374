import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorRegistry } from '../errors/registry.js';
import { isSsprError } from '../errors/sspr-error.js';
import type { Flow, ResetFlowState } from '../model/flow.js';
import { FLOW_TTL_MS, advance, type ResetFlowEvent } from './reset-flow.js';

const flowsDir = fileURLToPath(new URL('../../../docs/flows/', import.meta.url));
const read = (file: string): string => readFileSync(join(flowsDir, file), 'utf8');

/** Every state and event, as records so adding one to the union without updating this fails tsc. */
const stateSet = {
  choose_method: true,
  new_password: true,
  completed: true,
  failed: true,
} as const satisfies Record<ResetFlowState, true>;
const eventSet = {
  gate_passed: true,
  password_reset: true,
  account_unlocked: true,
  failed: true,
} as const satisfies Record<ResetFlowEvent['type'], true>;
const states = Object.keys(stateSet) as ResetFlowState[];
const eventTypes = Object.keys(eventSet) as ResetFlowEvent['type'][];

const issuedAt = new Date('2026-01-15T09:00:00.000Z');
const now = new Date(issuedAt.getTime() + 60_000);

function flowIn(state: ResetFlowState, gatesRequired: 1 | 2): Flow {
  return {
    id: 'flow-1',
    kind: 'reset',
    state,
    userId: 'user-1',
    gatesRequired,
    gatesPassed: [],
    context: {
      offered: [
        { method: 'totp', methodId: 'm-totp', hint: 'Authenticator app' },
        { method: 'email', methodId: 'm-email', hint: 'a***@contoso.com' },
      ],
      challenges: {},
      typedUserId: 'ann@contoso.com',
      isAdmin: false,
      source: 'cloud',
    },
    submitCount: 0,
    correlationId: 'corr-1',
    issuedAt: issuedAt.toISOString(),
    expiresAt: new Date(issuedAt.getTime() + FLOW_TTL_MS).toISOString(),
    completedAt: null,
    version: 1,
  };
}

function eventOf(type: ResetFlowEvent['type']): ResetFlowEvent {
  return type === 'gate_passed' ? { type, method: 'totp' } : { type };
}

/** `from --> to : event` for every transition advance() accepts (one and two gates). */
function acceptedTransitions(): string[] {
  const edges = new Set<string>();
  for (const state of states) {
    for (const type of eventTypes) {
      for (const gates of [1, 2] as const) {
        try {
          const next = advance(flowIn(state, gates), eventOf(type), now);
          edges.add(`${state} --> ${next.state} : ${type}`);
        } catch (error) {
          if (!isSsprError(error, 'FLOW_INVALID_STATE')) throw error;
        }
      }
    }
  }
  return [...edges].sort();
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
}

/** Lines of a diagram outside `%%` comments and multi-line notes. */
function statements(text: string): string[] {
  const lines: string[] = [];
  let inNote = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (inNote) {
      if (line === 'end note') inNote = false;
      continue;
    }
    if (line.startsWith('note ') && !line.includes(' : ')) {
      inNote = true;
      continue;
    }
    if (line === '' || line.startsWith('%%')) continue;
    lines.push(line);
  }
  return lines;
}

function edgesOf(text: string): Edge[] {
  return statements(text).flatMap((line) => {
    const m = /^(\S+)\s*-->\s*(\S+)(?:\s*:\s*(.*))?$/.exec(line);
    return m ? [{ from: m[1] ?? '', to: m[2] ?? '', label: m[3] ?? '' }] : [];
  });
}

/** `state "description" as id` declarations. */
function descriptionsOf(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of statements(text)) {
    const m = /^state "([^"]*)" as (\S+)$/.exec(line);
    if (m) map.set(m[2] ?? '', m[1] ?? '');
  }
  return map;
}

const diagrams = readdirSync(flowsDir)
  .filter((file) => file.endsWith('.mermaid'))
  .sort();

describe('docs/flows/reset.mermaid', () => {
  const text = read('reset.mermaid');
  const edges = edgesOf(text);

  it('shows every state of ResetFlowState', () => {
    for (const state of states) {
      expect(
        edges.some((e) => e.from === state || e.to === state),
        `${state} has no edge`,
      ).toBe(true);
    }
  });

  it('draws exactly the transitions advance() accepts between stored states', () => {
    const isState = (id: string): id is ResetFlowState => id in stateSet;
    const isEvent = (word: string): word is ResetFlowEvent['type'] => word in eventSet;
    const drawn = edges
      .filter((e) => isState(e.from) && isState(e.to))
      .flatMap((e) => {
        const word = /^[a-z_]+/.exec(e.label)?.[0] ?? '';
        return isEvent(word) ? [`${e.from} --> ${e.to} : ${word}`] : [];
      });
    expect([...new Set(drawn)].sort()).toEqual(acceptedTransitions());
  });

  it('shows the 15-minute expiry (410) from every state that still accepts events', () => {
    const atExpiry = new Date(issuedAt.getTime() + FLOW_TTL_MS);
    let thrown: unknown;
    try {
      advance(flowIn('choose_method', 1), eventOf('gate_passed'), atExpiry);
    } catch (error) {
      thrown = error;
    }
    expect(isSsprError(thrown, 'FLOW_EXPIRED') && thrown.status === 410).toBe(true);
    const described = descriptionsOf(text);
    const expiredIds = [...described].filter(([, d]) => d.includes('SSPR_3002')).map(([id]) => id);
    expect(expiredIds.length, 'a state described with SSPR_3002').toBeGreaterThan(0);
    expect(text).toContain('15 min');
    const live = new Set(acceptedTransitions().map((t) => t.split(' ')[0]));
    for (const state of live) {
      expect(
        edges.some((e) => e.from === state && expiredIds.includes(e.to)),
        `${String(state)} --> expired`,
      ).toBe(true);
    }
  });

  it('covers gates, throttles, the unknown-user emulation and challenges', () => {
    for (const phrase of [
      'different method',
      'unknown or disabled',
      'challenge',
      'email',
      'securityQuestions',
      'Retry-After',
    ]) {
      expect(text, phrase).toContain(phrase);
    }
    for (const name of ['GATE_THROTTLED', 'USER_BLOCKED', 'EMAIL_SEND_THROTTLED'] as const) {
      expect(text, name).toContain(errorRegistry[name].code);
    }
  });
});

describe('docs/flows', () => {
  const registered = new Set(Object.values(errorRegistry).map((spec) => spec.code));
  const readme = read('README.md');

  it('has the reset, change, registration and sign-in diagrams, each listed in README.md', () => {
    expect(diagrams).toEqual([
      'change.mermaid',
      'registration.mermaid',
      'reset.mermaid',
      'sign-in.mermaid',
    ]);
    for (const file of diagrams) expect(readme, file).toContain(`(${file})`);
  });

  it.each(diagrams)('%s is a stateDiagram-v2 that Mermaid can lex', (file) => {
    const text = read(file);
    expect(statements(text)[0]).toBe('stateDiagram-v2');
    for (const line of statements(text)) {
      // Mermaid ends a description at ':' or ';' and reads "direction XX" anywhere on a line.
      const colon = line.indexOf(' : ');
      if (colon >= 0) expect(line.slice(colon + 3), `${file}: ${line}`).not.toMatch(/[:;]/);
      expect(line, `${file}: ${line}`).not.toMatch(/direction\s+(TB|BT|RL|LR)/i);
    }
    // A trailing space after `state "…" as id` would become part of the id.
    for (const line of text.split('\n'))
      expect(line, `${file}: trailing space`).toBe(line.trimEnd());
    expect(edgesOf(text).length, file).toBeGreaterThan(3);
  });

  it.each(diagrams)('%s names only registered SSPR_ codes', (file) => {
    const unknown = [...read(file).matchAll(/\bSSPR_\d+\b/g)]
      .map(([code]) => code)
      .filter((code) => !registered.has(code));
    expect(unknown).toEqual([]);
  });
});
