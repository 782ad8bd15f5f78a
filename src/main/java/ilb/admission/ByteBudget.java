package ilb.admission;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A budget of bytes shared by every connection: the request bodies ilb holds at once, gathered or in flight. A
 * reservation that would take it past its limit is refused, so that clients who start large uploads and stall
 * cannot fill the heap, however many connections they open.
 */
public final class ByteBudget {

    private final long limit;
    private final AtomicLong inUse = new AtomicLong();

    public ByteBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("a byte budget must be at least 1 byte, not " + limit);
        }
        this.limit = limit;
    }

    /** Takes {@code bytes} if they fit, all or nothing. */
    public boolean tryReserve(long bytes) {
        while (true) {
            long current = inUse.get();
            if (current + bytes > limit) {
                return false;
            }
            if (inUse.compareAndSet(current, current + bytes)) {
                return true;
            }
        }
    }

    /** Gives back bytes reserved before. */
    public void release(long bytes) {
        inUse.addAndGet(-bytes);
    }

    public long inUse() {
        return inUse.get();
    }

    public long limit() {
        return limit;
    }
}
