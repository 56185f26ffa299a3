import { describe, expect, it } from 'vitest';
import {
  allowedModels,
  fileForTeam,
  lockedFields,
  NO_EDITS,
  type PolicyEdits,
  type PolicyFile,
  policyFileSchema,
  resolvePolicy,
} from '../../src/core/policy.js';

/** The minimal file of issue 16, exactly. */
const MINIMAL = `{ "defaults": { "respond": "thread", "model": "gpt-4o-mini" },
  "channels": { "C0123": { "respond": "mention", "systemPrompt": "You answer questions about payroll." },
                "C0456": { "respond": "off" } },
  "allowedUsers": ["U0AAA", "U0BBB"] }`;

const builtIn = { systemPrompt: 'BUILT-IN PROMPT', model: 'built-in-model' };
const file = policyFileSchema.parse(JSON.parse(MINIMAL));
const at = (channelId: string | undefined, edits: PolicyEdits = NO_EDITS, f: PolicyFile | undefined = file) =>
  resolvePolicy({ builtIn, file: f, edits, teamId: 'T1', channelId });

describe('the policy of a request', () => {
  it('follows the minimal file exactly: defaults, per-channel respond and prompt, and the user allowlist', () => {
    expect(at('C0999')).toEqual({
      respond: 'thread',
      model: 'gpt-4o-mini',
      systemPrompt: 'BUILT-IN PROMPT',
      background: true,
      private: false,
      allowedUsers: ['U0AAA', 'U0BBB'],
      contact: 'a workspace admin',
    });
    expect(at('C0123')).toMatchObject({
      respond: 'mention',
      systemPrompt: 'You answer questions about payroll.',
      model: 'gpt-4o-mini',
    });
    expect(at('C0456').respond).toBe('off');
    // A DM: the workspace level.
    expect(at(undefined).respond).toBe('thread');
  });

  it('without a file is today’s behaviour: follow threads, built-in prompt and model, everyone', () => {
    expect(
      resolvePolicy({ builtIn, file: undefined, edits: NO_EDITS, teamId: 'T1', channelId: 'C1' }),
    ).toEqual({
      respond: 'thread',
      model: 'built-in-model',
      systemPrompt: 'BUILT-IN PROMPT',
      background: true,
      private: false,
      contact: 'a workspace admin',
    });
  });

  it('ranks built-in < file defaults < Home workspace < Home channel < the file’s channel entry', () => {
    const edits: PolicyEdits = {
      workspace: { respond: 'mention', private: true, systemPrompt: 'HOME WORKSPACE' },
      channels: {
        C0123: { respond: 'off', systemPrompt: 'HOME CHANNEL', background: false },
        C0999: { respond: 'off' },
      },
    };
    // The file sets C0123's respond and prompt: Home cannot change them there.
    expect(at('C0123', edits)).toMatchObject({
      respond: 'mention',
      systemPrompt: 'You answer questions about payroll.',
      background: false,
      private: true,
    });
    expect(at('C0999', edits)).toMatchObject({
      respond: 'off',
      systemPrompt: 'HOME WORKSPACE',
      private: true,
    });
    expect(at('C0777', edits)).toMatchObject({ respond: 'mention', systemPrompt: 'HOME WORKSPACE' });
    expect(lockedFields(fileForTeam(file, 'T1'), 'C0123')).toEqual(new Set(['respond', 'systemPrompt']));
    expect(lockedFields(fileForTeam(file, 'T1'), 'C0999')).toEqual(new Set());
  });

  it('locks a field everywhere to the file’s value with `locked`, and drops Home models off the list', () => {
    const f = policyFileSchema.parse({
      defaults: { model: 'gpt-4o-mini', private: false },
      models: ['gpt-4o'],
      locked: ['private'],
      channels: { C1: { private: true } },
    });
    const edits: PolicyEdits = {
      workspace: { private: true, model: 'gpt-4o' },
      channels: { C2: { model: 'rogue' } },
    };
    expect(at('C3', edits, f)).toMatchObject({ private: false, model: 'gpt-4o' });
    expect(at('C1', edits, f).private).toBe(true);
    expect(at('C2', edits, f).model).toBe('gpt-4o');
    expect(allowedModels(fileForTeam(f, 'T1'), builtIn)).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect(allowedModels(fileForTeam(undefined, 'T1'), builtIn)).toEqual(['built-in-model']);
  });

  it('applies top-level fields to every workspace and `teams.<id>` on top for that one only', () => {
    const f = policyFileSchema.parse({
      defaults: { respond: 'mention' },
      allowedChannels: ['C1'],
      contact: '<@U0ADMIN>',
      teams: {
        T2: { defaults: { model: 'other' }, allowedChannels: ['C9'], channels: { C5: { respond: 'off' } } },
      },
    });
    const t2 = resolvePolicy({ builtIn, file: f, edits: NO_EDITS, teamId: 'T2', channelId: 'C5' });
    expect(t2).toMatchObject({
      respond: 'off',
      model: 'other',
      allowedChannels: ['C9'],
      contact: '<@U0ADMIN>',
    });
    expect(at('C5', NO_EDITS, f)).toMatchObject({
      respond: 'mention',
      model: 'built-in-model',
      allowedChannels: ['C1'],
    });
  });
});
