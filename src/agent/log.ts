/** What the agent logs through (pino-compatible). Never a password, a token or a private key. */
export interface AgentLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** A setup problem the admin must fix (printed as one line by the CLI). */
export class AgentSetupError extends Error {
  override readonly name = 'AgentSetupError';
}

/** The connection to the server closed before a message could be written. */
export class LinkClosedError extends Error {
  override readonly name = 'LinkClosedError';
}
