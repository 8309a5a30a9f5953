import { createHash } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { StartAnswers } from '../shared/ipc.js';
import { resultSchema, startAnswersSchema } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';
import { foreignFile, pruneNewest, removeQuietly } from './worker-snapshot-files.js';

/** Answer files kept (one per program build and configuration); older ones are removed. */
const KEEP_FILES = 4;
const FILE = /^start-answers-[0-9a-f]{16}\.json$/;

/** What the cache holds: a stored file has no `tools/list` (start-answers.ts says why). */
const knownAnswersSchema = startAnswersSchema.extend({
  opening: z.record(z.string(), z.object({ initialize: resultSchema, toolsList: resultSchema.optional() })),
});
export type KnownAnswers = z.infer<typeof knownAnswersSchema>;
const fileSchema = z.object({ program: z.string(), config: z.string(), answers: knownAnswersSchema });

export interface AnswersStore {
  /** The answers stored for this program and `configKey`, if a usable file holds them. */
  load(configKey: string): KnownAnswers | undefined;
  /** Stores `answers` for `configKey` (without `tools/list`), unless the file already holds them. */
  save(configKey: string, answers: StartAnswers): void;
}

export interface AnswersStoreOptions {
  /** Where the files are kept (0700, ours: the worker snapshot's directory), or why there is none. */
  dir: () => { path: string } | { off: string };
  /**
   * What identifies the program the workers run (the node binary and the build); undefined when
   * it cannot be told (a checkout run through tsx): then nothing is stored.
   */
  program: string | undefined;
  log: Logger;
}

/**
 * Start answers kept on disk for the next run: `start-answers-<hash>.json` in the cache
 * directory, named by a hash of the program and the configuration text, both also written inside
 * and compared on load (a file for another build or configuration is never used). Written 0600
 * and renamed into place; a file that is not ours, writable by others or does not parse is removed.
 */
export function answersStore(options: AnswersStoreOptions): AnswersStore | undefined {
  const program = options.program;
  if (program === undefined) return undefined;
  let dir: string | undefined;
  let asked = false;
  const dirPath = (): string | undefined => {
    if (!asked) {
      asked = true;
      const found = options.dir();
      dir = 'path' in found ? found.path : undefined;
    }
    return dir;
  };
  const fileOf = (base: string, configKey: string): string =>
    join(
      base,
      `start-answers-${createHash('sha256').update(`${program}\n${configKey}`).digest('hex').slice(0, 16)}.json`,
    );
  const stored = new Map<string, string>();

  return {
    load(configKey) {
      const base = dirPath();
      if (!base) return undefined;
      const path = fileOf(base, configKey);
      let text: string;
      try {
        if (foreignFile(statSync(path))) {
          removeQuietly(path);
          return undefined;
        }
        text = readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
      try {
        const file = fileSchema.parse(JSON.parse(text));
        if (file.program !== program || file.config !== configKey) return undefined;
        stored.set(configKey, JSON.stringify(file.answers));
        return file.answers;
      } catch (err) {
        options.log.warn({ err, path }, 'stored start answers unusable; removed');
        removeQuietly(path);
        return undefined;
      }
    },
    save(configKey, answers) {
      const base = dirPath();
      if (!base) return;
      const opening = Object.fromEntries(
        Object.entries(answers.opening).map(([version, { initialize }]) => [version, { initialize }]),
      );
      const kept = JSON.stringify({ discover: answers.discover, opening });
      if (stored.get(configKey) === kept) return;
      const path = fileOf(base, configKey);
      const temp = `${path}.${process.pid}.tmp`;
      try {
        writeFileSync(
          temp,
          `{"program":${JSON.stringify(program)},"config":${JSON.stringify(configKey)},"answers":${kept}}\n`,
          {
            mode: 0o600,
          },
        );
        renameSync(temp, path);
        stored.set(configKey, kept);
        pruneNewest(base, FILE, KEEP_FILES, path);
      } catch (err) {
        removeQuietly(temp);
        options.log.debug({ err, path }, 'start answers not stored');
      }
    },
  };
}
