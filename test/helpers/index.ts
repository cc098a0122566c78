export * from './cli.ts';
export * from './paths.ts';
export * from './process-table.ts';
export * from './servers.ts';
export * from './supervisor-process.ts';
export * from './temp-home.ts';
