// Notices when what an agent may do changes without a restart: a revocation written by the
// CLI into the shared store, or an edited config file (validated; a bad edit is logged and
// ignored, the policy in force stays). Listeners then send notifications/tools/list_changed.
// The watcher polls every second; a store that can tell at once (PostgreSQL's NOTIFY from a
// revocation on another instance) makes it look at once.
// An applied edit is a `config_changed` audit record naming the new policy version.
import fs from 'node:fs';
import { EventEmitter } from 'node:events';
import type { AuditStore, RevocationStore } from '../store/types.js';
import type { Config } from '../config/schema.js';
import { parseConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import { configChangedInput } from '../audit/events.js';

export interface PolicyWatcher {
  /** Called after the revocations or the config changed. */
  onChange(listener: () => void): () => void;
  close(): void;
}

export interface WatchOptions {
  store: RevocationStore & Pick<AuditStore, 'appendAudit'>;
  configFile: string | null;
  logger: Logger;
  /** Applies a new, valid config; returns the policy version now in force. */
  apply: (config: Config) => string;
  intervalMs?: number;
}

export function watchPolicy(opts: WatchOptions): PolicyWatcher {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let lastRevocations: string | null = null;
  let lastMtime = opts.configFile ? mtimeOf(opts.configFile) : 0;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      let changed = false;
      const revocations = JSON.stringify(await opts.store.listRevocations());
      if (lastRevocations !== null && revocations !== lastRevocations) changed = true;
      lastRevocations = revocations;
      if (opts.configFile) {
        const mtime = mtimeOf(opts.configFile);
        if (mtime !== lastMtime) {
          lastMtime = mtime;
          try {
            const version = opts.apply(parseConfig(JSON.parse(fs.readFileSync(opts.configFile, 'utf8')), opts.configFile));
            opts.logger.info({ file: opts.configFile, policy_version: version }, 'config reloaded');
            changed = true;
            await opts.store.appendAudit([configChangedInput(version, opts.configFile)]).catch((err: unknown) => {
              opts.logger.error({ err: { message: (err as Error).message } }, 'the config_changed audit record could not be written');
            });
          } catch (err) {
            opts.logger.error({ err: { message: (err as Error).message } }, 'config edit ignored: it is not valid; the policy in force stays');
          }
        }
      }
      if (changed) events.emit('change');
    } catch (err) {
      opts.logger.warn({ err: { message: (err as Error).message } }, 'policy watch failed once');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(tick, opts.intervalMs ?? 1000);
  timer.unref();
  const unsubscribe = opts.store.onRevocationsChanged?.(() => void tick()) ?? (() => undefined);
  void tick();
  return {
    onChange(listener) {
      events.on('change', listener);
      return () => events.off('change', listener);
    },
    close: () => {
      clearInterval(timer);
      unsubscribe();
    },
  };
}

function mtimeOf(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
