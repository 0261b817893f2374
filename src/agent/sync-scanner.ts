/**
 * Answers the server's `sync.request`: scans the directory (full, or changes since the server's
 * cookie) and streams `sync.page` messages in order, then `sync.done` with the new cookie. Each
 * page waits until the previous one is written to the socket, so a large directory never piles up
 * in memory. One scan at a time; the server schedules them.
 */
import { errorRegistry } from '../domain/errors/registry.js';
import { SsprError } from '../domain/errors/sspr-error.js';
import type { Directory, DirectoryChangePage } from '../domain/ports/directory.js';
import {
  PROTOCOL_VERSION,
  type AgentMessage,
  type SyncPageMessage,
  type SyncRequestMessage,
  type WireError,
} from '../protocol/messages.js';
import { LinkClosedError, type AgentLogger } from './log.js';

export interface SyncScannerOptions {
  readonly directory: Directory;
  readonly log: AgentLogger;
  /** Objects per page (default 500; the protocol allows 5000). */
  readonly pageSize?: number;
}

export interface SyncScanner {
  /**
   * Runs one scan, sending through `send`, which resolves once the message is written and rejects
   * with LinkClosedError when the link is gone (the scan stops) or another error (reported).
   */
  handle(
    request: SyncRequestMessage,
    send: (message: AgentMessage) => Promise<void>,
  ): Promise<void>;
}

/** The link is gone: stop scanning, nobody is listening. */
class SendFailed extends Error {
  override readonly name = 'SendFailed';
}

function wireError(error: unknown): WireError {
  const known = error instanceof SsprError ? error : new SsprError('SYNC_FAILED');
  return {
    name: known.errorName,
    code: known.code,
    message: known.message.slice(0, 1000),
    ...(known.details === undefined ? {} : { details: { ...known.details } }),
  };
}

function toPage(syncId: string, seq: number, page: DirectoryChangePage): SyncPageMessage {
  return {
    v: PROTOCOL_VERSION,
    type: 'sync.page',
    syncId,
    seq,
    users: page.users.map((u) => ({ ...u, state: { ...u.state }, memberOf: [...u.memberOf] })),
    groups: page.groups.map((g) => ({ ...g, members: [...g.members] })),
    deleted: [...page.deleted],
  };
}

export function createSyncScanner(options: SyncScannerOptions): SyncScanner {
  const { directory, log } = options;
  const pageSize = options.pageSize ?? 500;
  let running: string | null = null;

  return {
    async handle(request, send) {
      const { syncId } = request;
      const sendOrStop = async (message: AgentMessage): Promise<void> => {
        try {
          await send(message);
        } catch (error) {
          if (error instanceof LinkClosedError) throw new SendFailed(error.message);
          throw error;
        }
      };
      if (running !== null) {
        log.warn({ syncId, running }, 'sync request refused: a sync is already running');
        await sendOrStop({
          v: PROTOCOL_VERSION,
          type: 'sync.done',
          syncId,
          ok: false,
          full: request.full,
          cookie: null,
          pages: 0,
          error: {
            name: 'SYNC_FAILED',
            code: errorRegistry.SYNC_FAILED.code,
            message: 'A sync is already running on this agent.',
          },
        }).catch(() => undefined);
        return;
      }
      running = syncId;
      const started = Date.now();
      let pages = 0;
      let objects = 0;
      try {
        log.info({ syncId, full: request.full }, 'directory sync started');
        const result = await directory.scan(
          request.full ? null : request.cookie,
          async (page) => {
            await sendOrStop(toPage(syncId, pages, page));
            pages += 1;
            objects += page.users.length + page.groups.length + page.deleted.length;
          },
          { pageSize },
        );
        await sendOrStop({
          v: PROTOCOL_VERSION,
          type: 'sync.done',
          syncId,
          ok: true,
          full: result.full,
          cookie: result.cookie,
          pages,
        });
        log.info(
          { syncId, full: result.full, pages, objects, ms: Date.now() - started },
          'directory sync sent',
        );
      } catch (error) {
        if (error instanceof SendFailed) {
          log.warn(
            { syncId, pages, error: error.message },
            'directory sync stopped: the link is gone',
          );
          return;
        }
        log.warn(
          {
            syncId,
            pages,
            code: error instanceof SsprError ? error.code : undefined,
            error: error instanceof Error ? error.message : String(error),
          },
          'directory sync failed',
        );
        await send({
          v: PROTOCOL_VERSION,
          type: 'sync.done',
          syncId,
          ok: false,
          full: request.full,
          cookie: null,
          pages,
          error: wireError(error),
        }).catch(() => undefined);
      } finally {
        running = null;
      }
    },
  };
}
