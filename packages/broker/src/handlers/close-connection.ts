/**
 * CloseConnection: thrown by a handler (or by a service a handler awaits, such as the
 * GroupService on shutdown) to close the connection deliberately, not as a bug: e.g. a
 * failed acks=0 produce, which Kafka answers by closing so the client notices. The
 * dispatcher closes the connection without logging an error.
 *
 * A leaf module (no imports), so anything may throw it without joining an import cycle.
 */
export class CloseConnection extends Error {
  override readonly name = 'CloseConnection';
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}
