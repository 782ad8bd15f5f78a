package ilb.inference;

import java.util.Locale;

/**
 * Who waits for whom, highest first. Interactive traffic (HTTP, gRPC) comes in three classes: {@code critical}
 * (internal products), {@code standard} (customers), {@code sheddable} (what may be dropped first: experiments,
 * shadow copies). Batch jobs take only what all three leave free.
 */
public enum Priority {
    CRITICAL,
    STANDARD,
    SHEDDABLE,
    /** Sent only to a backend with room to spare for interactive requests; never queued in a pool. */
    BATCH;

    /** Whether a client waits on a connection for it: every class but batch. */
    public boolean interactive() {
        return this != BATCH;
    }

    /** Whether it comes before {@code other}. */
    public boolean above(Priority other) {
        return ordinal() < other.ordinal();
    }

    /** Its name in headers, properties and metric labels: {@code critical}, {@code standard}, ... */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The interactive class a header or property names ({@code critical|standard|sheddable}), or null. */
    public static Priority ofInteractive(String name) {
        if (name == null) {
            return null;
        }
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "critical" -> CRITICAL;
            case "standard" -> STANDARD;
            case "sheddable" -> SHEDDABLE;
            default -> null;
        };
    }
}
