package ilb.protocols;

/**
 * When a client connection has waited too long, from what has happened on it (times in {@link System#nanoTime()}
 * units, given by the caller). A request must arrive whole (head and body) within the read timeout of its first
 * byte; a connection with no request being read and no response owed closes after the idle timeout. While ilb owes
 * a response (a backend is working, a stream is flowing) neither applies: the backend's own timeouts do.
 */
final class ConnectionTimeouts {

    /** Which timeout, if any, has run out. */
    enum Expired { NONE, READ, IDLE }

    /** A deadline that never comes. */
    static final long NEVER = Long.MAX_VALUE;

    private final long readNanos;
    private final long idleNanos;
    private long idleSince;
    private long readingSince;
    private boolean reading;
    /** Requests read whose responses are not written yet. */
    private int owed;

    ConnectionTimeouts(long readNanos, long idleNanos, long openedNanos) {
        this.readNanos = readNanos;
        this.idleNanos = idleNanos;
        this.idleSince = openedNanos;
    }

    /** Bytes of a request (its head or its body) arrived. */
    void requestBytes(long now) {
        if (!reading) {
            reading = true;
            readingSince = now;
        }
    }

    /** The last byte of a request arrived: ilb owes its response now. */
    void requestRead() {
        reading = false;
        owed++;
    }

    /** The end of a response was written. */
    void responseWritten(long now) {
        if (owed > 0) {
            owed--;
        }
        if (owed == 0 && reading) {
            // bytes that came while a response was owed (a pipelined request) get their whole read timeout from now
            readingSince = now;
        } else if (owed == 0) {
            idleSince = now;
        }
    }

    /** Whether no response is owed: request bytes held for the connection may be given back. */
    boolean nothingOwed() {
        return owed == 0;
    }

    /** When the next timeout runs out, or {@link #NEVER} while a response is owed. */
    long deadline() {
        if (owed > 0) {
            return NEVER;
        }
        return reading ? readingSince + readNanos : idleSince + idleNanos;
    }

    Expired expired(long now) {
        long deadline = deadline();
        if (deadline == NEVER || now - deadline < 0) {
            return Expired.NONE;
        }
        return reading ? Expired.READ : Expired.IDLE;
    }
}
