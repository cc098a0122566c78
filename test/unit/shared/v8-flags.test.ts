import { describe, expect, it } from 'vitest';
import {
  missingMallocEnv,
  missingV8Flags,
  SUPERVISOR_MALLOC_ENV,
  SUPERVISOR_V8_FLAGS,
} from '../../../supervisor/shared/v8-flags.ts';

describe('missingV8Flags', () => {
  it('names every supervisor flag that neither the command line nor NODE_OPTIONS sets', () => {
    expect(missingV8Flags([], '')).toEqual(SUPERVISOR_V8_FLAGS);
    expect(missingV8Flags(['--expose-gc', '--import=x.mjs'], '--no-warnings')).toEqual(SUPERVISOR_V8_FLAGS);
  });

  it('leaves a flag the user gave, with any value, to the user', () => {
    for (const flag of SUPERVISOR_V8_FLAGS) {
      const name = flag.split('=')[0] as string;
      expect(missingV8Flags([`${name}=64`], '')).not.toContain(flag);
      expect(missingV8Flags([], `--inspect ${name}=64`)).not.toContain(flag);
    }
  });
});

describe('missingMallocEnv', () => {
  it('adds each malloc setting the environment does not set, and keeps one it sets', () => {
    expect(missingMallocEnv({})).toEqual(SUPERVISOR_MALLOC_ENV);
    for (const name of Object.keys(SUPERVISOR_MALLOC_ENV)) {
      expect(missingMallocEnv({ [name]: '8' })).not.toHaveProperty(name);
    }
  });
});
