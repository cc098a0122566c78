// Minimal local typings for better-sqlite3 13, which ships none and has no @types package installed.
// Only what the store uses is declared; replace with @types/better-sqlite3 when it is added.
declare module 'better-sqlite3' {
  namespace Database {
    interface RunResult {
      changes: number;
      lastInsertRowid: number | bigint;
    }
    interface Statement {
      run(...params: unknown[]): RunResult;
      get(...params: unknown[]): unknown;
      all(...params: unknown[]): unknown[];
      iterate(...params: unknown[]): IterableIterator<unknown>;
      pluck(toggle?: boolean): this;
    }
    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      /** busy timeout in ms */
      timeout?: number;
    }
    type Transaction<F extends (...args: never[]) => unknown> = F & {
      deferred: F;
      immediate: F;
      exclusive: F;
    };
  }
  class Database {
    constructor(filename: string, options?: Database.Options);
    readonly name: string;
    readonly open: boolean;
    readonly inTransaction: boolean;
    readonly memory: boolean;
    readonly readonly: boolean;
    prepare(sql: string): Database.Statement;
    exec(sql: string): this;
    pragma(source: string, options?: { simple?: boolean }): unknown;
    transaction<F extends (...args: never[]) => unknown>(fn: F): Database.Transaction<F>;
    close(): this;
  }
  export = Database;
}
