/**
 * The logger hook the host passes in (pino-shaped: structured object first, message second).
 * The log reports recovery truncation, rebuilt indices and deleted stray files through it.
 */
export interface LogLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export const silentLogger: LogLogger = {
  info() {},
  warn() {},
};
