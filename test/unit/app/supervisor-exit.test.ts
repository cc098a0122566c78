import { describe, expect, it } from 'vitest';
import { describeSupervisorExit, LineTail } from '../../../app/supervisor-exit.ts';

describe('supervisor exit reason', () => {
  it('uses the CLI error line: port in use', () => {
    expect(
      describeSupervisorExit({
        exitCode: 9,
        wasRunning: false,
        stderrLines: [
          'some warning',
          'mcp-supervisor: port 7420 on 127.0.0.1 is in use; set supervisor.port or MCP_SUPERVISOR_PORT to a free port',
          '',
        ],
      }),
    ).toBe(
      'port 7420 on 127.0.0.1 is in use; set supervisor.port or MCP_SUPERVISOR_PORT to a free port (the supervisor exited with code 9 while starting)',
    );
  });

  it('uses the error line of a crash, else the last line, else the code', () => {
    expect(
      describeSupervisorExit({
        exitCode: 1,
        wasRunning: true,
        stderrLines: ['file:///x/service.js:1', 'TypeError: boom', '    at run (file:///x/service.js:1:1)'],
      }),
    ).toBe('the supervisor exited with code 1: TypeError: boom');
    expect(describeSupervisorExit({ exitCode: 1, wasRunning: true, stderrLines: ['segfault'] })).toBe(
      'the supervisor exited with code 1: segfault',
    );
    expect(describeSupervisorExit({ exitCode: null, wasRunning: true, stderrLines: [] })).toBe(
      'the supervisor was killed',
    );
  });
});

describe('line tail', () => {
  it('keeps the last complete lines and the partial one', () => {
    const tail = new LineTail(2);
    tail.push('one\ntw');
    tail.push('o\r\nthree\nfou');
    expect(tail.lines()).toEqual(['two', 'three', 'fou']);
    expect(() => new LineTail(0)).toThrow(/maxLines must be a positive integer, got 0/);
  });
});
