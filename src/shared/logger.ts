import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** pino's numeric levels → syslog priorities, which journald reads from a `<N>` line prefix. */
const JOURNAL_PRIORITY: Record<number, number> = { 10: 7, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };

/** Prefix for one JSON line: `<N>` when stderr is the journal, else nothing. */
export function journalPrefix(line: string): string {
  const m = /^\{"level":(\d+)/.exec(line);
  return `<${JOURNAL_PRIORITY[Number(m?.[1])] ?? 6}>`;
}

export interface LoggerOptions {
  level: string;
  /** Name of the role writing (supervisor, worker, cli). */
  name: string;
  env?: NodeJS.ProcessEnv;
  /** Where lines go; default stderr. Tests pass a collector. */
  write?: (line: string) => void;
}

/**
 * The one root logger of a process: JSON lines on stderr (never stdout, which carries MCP in
 * stdio mode), with journald priority prefixes when stderr is connected to the journal.
 */
export function createLogger(options: LoggerOptions): Logger {
  const env = options.env ?? process.env;
  const toJournal = Boolean(env.JOURNAL_STREAM);
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const stream = {
    write(line: string) {
      write(toJournal ? journalPrefix(line) + line : line);
    },
  };
  return pino({ level: options.level, base: { name: options.name, pid: process.pid } }, stream);
}
