/**
 * The setup every browser test file shares: one server and one Chromium for the file (started
 * together before the first test, closed after the last), and a fresh browser context per page
 * opened, closed after each test.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { launchBrowser, openPage, type PageProblems } from './browser.js';
import { startServer, type E2eServer } from './server.js';

export type OpenOptions = Parameters<typeof openPage>[1];

export interface BrowserSuite<S> {
  /** The file's server (set once `beforeAll` ran). */
  readonly server: S;
  readonly browser: Browser;
  /** A new context and page (console errors, page errors and CSP violations recorded). */
  open(
    options?: OpenOptions,
  ): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }>;
}

/**
 * Registers the hooks; `start` starts the server (the demo server by default), `timeoutMs` bounds
 * `beforeAll` (a real directory takes longer).
 */
export function useBrowserSuite(): BrowserSuite<E2eServer>;
export function useBrowserSuite<S extends { close(): Promise<void> }>(
  start: () => Promise<S>,
  timeoutMs?: number,
): BrowserSuite<S>;
export function useBrowserSuite(
  start: () => Promise<{ close(): Promise<void> }> = startServer,
  timeoutMs?: number,
): BrowserSuite<{ close(): Promise<void> }> {
  let server: { close(): Promise<void> } | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([start(), launchBrowser()]);
  }, timeoutMs);
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the ${what} has not started (beforeAll failed?)`);
    return value;
  };
  return {
    get server() {
      return started(server, 'server');
    },
    get browser() {
      return started(browser, 'browser');
    },
    async open(options = {}) {
      const opened = await openPage(started(browser, 'browser'), options);
      contexts.push(opened.context);
      return opened;
    },
  };
}
