package ilb.balancer;

import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;

import ilb.inference.Priority;

/**
 * Requests waiting for a pool's backends, in the order they are to be served: strictly by class (critical, then
 * standard, then sheddable), and inside a class fairly between tenants by weight, by start-time fair queuing.
 * <p>
 * Each tenant of a class is a flow whose requests wait first come first served. Serving a request charges its flow
 * {@code 1 / weight} of the class's virtual time; the flow whose next request has the earliest virtual start goes
 * next. So two backlogged tenants of equal weight alternate however many requests each has queued, weights 3 and 1
 * are served 3:1, and a tenant that was idle joins at the class's current virtual time, with no credit saved up
 * and no debt. Only service is charged: a request that leaves unserved (deadline, shed) costs its tenant nothing.
 * <p>
 * When full, a queue sheds from its lowest class present: the longest-waiting request of the tenant with the most
 * queued relative to its weight (the newcomer counted). The oldest, not the newest, because it is the nearest to
 * its deadline and its client the likeliest to have given up.
 * <p>
 * Not thread-safe (the balancer holds its lock), and time-free: order is by arrival, deadlines are the caller's.
 *
 * @param <T> what waits; each item at most once, known by identity
 */
public final class FairQueue<T> implements Iterable<T> {

    private static final Priority[] CLASSES = {Priority.CRITICAL, Priority.STANDARD, Priority.SHEDDABLE};

    private final int capacity;
    private final Map<T, Entry<T>> entries = new IdentityHashMap<>();
    private final Map<Priority, Lane<T>> lanes = new EnumMap<>(Priority.class);
    private long arrivals;

    /** @param capacity most items waiting; a full queue sheds one for each newcomer (or the newcomer) */
    public FairQueue(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("a queue's capacity cannot be negative: " + capacity);
        }
        this.capacity = capacity;
        for (Priority priority : CLASSES) {
            lanes.put(priority, new Lane<>());
        }
    }

    /** One item waiting, and its place among its tenant's. */
    private record Entry<T>(T item, Flow<T> flow, long arrival) {
    }

    /** One tenant's requests of one class, oldest first, and its place in the class's virtual time. */
    private static final class Flow<T> {
        private final Lane<T> lane;
        private final String tenant;
        private final LinkedHashSet<Entry<T>> waiting = new LinkedHashSet<>();
        private double weight;
        /**
         * Where it joined the class's time, and how many it was served since: its oldest request starts at
         * {@code base + served / weight}, so counted rather than summed that weights 3 and 1 meet exactly at 1, 2...
         */
        private double base;
        private long served;

        Flow(Lane<T> lane, String tenant) {
            this.lane = lane;
            this.tenant = tenant;
        }

        /** The virtual start of its {@code k}-th request waiting (0: the oldest). */
        double start(long k) {
            return base + (served + k) / weight;
        }

        void rebase(double start) {
            base = start;
            served = 0;
        }

        double share(int extra) {
            return (waiting.size() + extra) / weight;
        }
    }

    /** A class: its flows and its virtual time (the start of the last request it served). */
    private static final class Lane<T> {
        private final Map<String, Flow<T>> flows = new HashMap<>();
        private double virtualTime;
        private int size;
    }

    public int size() {
        return entries.size();
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public boolean contains(T item) {
        return entries.containsKey(item);
    }

    /** How many tenants the queue holds state for, over all classes: the backlogged, and those just served. */
    int tenants() {
        return lanes.values().stream().mapToInt(lane -> lane.flows.size()).sum();
    }

    /**
     * Queues an item of {@code tenant} (whose share is {@code weight}) in class {@code priority}. When the queue is
     * full, one item is shed to make room, or the newcomer itself is turned away: from the lowest class present (a
     * newcomer below every class present is turned away), the longest-waiting item of the tenant with the most
     * queued relative to its weight, the newcomer counted as its tenant's.
     *
     * @return null, or the item shed: {@code item} itself, or one that waited (and no longer does)
     */
    public T offer(T item, Priority priority, String tenant, double weight) {
        if (!priority.interactive()) {
            throw new IllegalArgumentException("only interactive classes wait in a queue, not " + priority.label());
        }
        if (!(weight > 0)) {
            throw new IllegalArgumentException("tenant " + tenant + ": weight must be above 0, not " + weight);
        }
        if (entries.containsKey(item)) {
            throw new IllegalArgumentException("already queued: " + item);
        }
        T shed = null;
        if (entries.size() >= capacity) {
            Priority lowest = lowestPresent();
            if (lowest == null || lowest.above(priority)) {
                return item;
            }
            Entry<T> victim = victim(lanes.get(lowest), lowest == priority ? tenant : null, weight);
            if (victim == null) {
                return item;
            }
            leave(victim, false);
            shed = victim.item();
        }
        Lane<T> lane = lanes.get(priority);
        Flow<T> flow = lane.flows.computeIfAbsent(tenant, t -> {
            Flow<T> joining = new Flow<>(lane, t);
            joining.weight = weight;
            joining.rebase(lane.virtualTime);
            return joining;
        });
        if (flow.weight != weight) {
            // a tenant's weight changed (its properties were reloaded): from its next request on
            flow.rebase(flow.start(0));
            flow.weight = weight;
        }
        if (flow.waiting.isEmpty()) {
            // back from idle: no credit for the time it sent nothing
            flow.rebase(Math.max(flow.start(0), lane.virtualTime));
        }
        Entry<T> entry = new Entry<>(item, flow, arrivals++);
        flow.waiting.add(entry);
        lane.size++;
        entries.put(item, entry);
        return shed;
    }

    /** The item leaves the queue for a backend: its tenant is charged for it. False if it was not queued. */
    public boolean serve(T item) {
        Entry<T> entry = entries.get(item);
        if (entry == null) {
            return false;
        }
        leave(entry, true);
        return true;
    }

    /** The item leaves the queue unserved (its deadline passed, or it was shed): nobody is charged for it. */
    public boolean remove(T item) {
        Entry<T> entry = entries.get(item);
        if (entry == null) {
            return false;
        }
        leave(entry, false);
        return true;
    }

    /**
     * The items in the order they are to be served. Read-only, and only until the queue changes: take the item
     * wanted, then {@link #serve} or {@link #remove} it.
     */
    @Override
    public Iterator<T> iterator() {
        return new ServiceOrder();
    }

    private Priority lowestPresent() {
        for (int i = CLASSES.length - 1; i >= 0; i--) {
            if (lanes.get(CLASSES[i]).size > 0) {
                return CLASSES[i];
            }
        }
        return null;
    }

    /**
     * The oldest item of the lane's most over-share tenant; null when that is the newcomer's tenant with nothing
     * queued yet (then the newcomer is the one to shed). Between tenants as far over, the one waiting longest.
     *
     * @param newcomer the newcomer's tenant if it joins this lane, else null
     */
    private Entry<T> victim(Lane<T> lane, String newcomer, double newcomerWeight) {
        Entry<T> victim = null;
        double most = -1;
        boolean newcomerCounted = false;
        for (Flow<T> flow : lane.flows.values()) {
            boolean own = flow.tenant.equals(newcomer);
            newcomerCounted |= own;
            if (flow.waiting.isEmpty() && !own) {
                continue;
            }
            double share = own ? (flow.waiting.size() + 1) / newcomerWeight : flow.share(0);
            Entry<T> oldest = flow.waiting.isEmpty() ? null : flow.waiting.iterator().next();
            if (share > most || share == most && isOlder(oldest, victim)) {
                most = share;
                victim = oldest;
            }
        }
        if (newcomer != null && !newcomerCounted && 1 / newcomerWeight > most) {
            return null;
        }
        return victim;
    }

    /** Whether {@code a} waited longer than {@code b}; the newcomer (null) is the youngest of all. */
    private static boolean isOlder(Entry<?> a, Entry<?> b) {
        return a != null && (b == null || a.arrival() < b.arrival());
    }

    private void leave(Entry<T> entry, boolean served) {
        Flow<T> flow = entry.flow();
        Lane<T> lane = flow.lane;
        if (served) {
            // its virtual start: one 1/weight further for each of the flow's items before it
            long before = 0;
            for (Entry<T> e : flow.waiting) {
                if (e == entry) {
                    break;
                }
                before++;
            }
            lane.virtualTime = Math.max(lane.virtualTime, flow.start(before));
            flow.served++;
        }
        flow.waiting.remove(entry);
        lane.size--;
        entries.remove(entry.item());
        if (lane.size == 0) {
            // nobody left to be fair to: the next busy spell starts afresh
            lane.flows.clear();
            lane.virtualTime = 0;
        } else if (served) {
            // an idle tenant matters while it is ahead of the class's time (it would join behind); then it is gone
            lane.flows.values().removeIf(f -> f.waiting.isEmpty() && f.start(0) <= lane.virtualTime);
        } else if (flow.waiting.isEmpty() && flow.start(0) <= lane.virtualTime) {
            lane.flows.remove(flow.tenant);
        }
    }

    /** Walks the classes in order, and in each merges its flows by their items' virtual starts. */
    private final class ServiceOrder implements Iterator<T> {

        /** A flow's next item, at its virtual start. */
        private final class Cursor {
            private final Flow<T> flow;
            private final Iterator<Entry<T>> items;
            private Entry<T> next;
            private long k;
            private double start;

            Cursor(Flow<T> flow) {
                this.flow = flow;
                this.items = flow.waiting.iterator();
                this.next = items.next();
                this.start = flow.start(0);
            }

            boolean advance() {
                if (!items.hasNext()) {
                    return false;
                }
                next = items.next();
                start = flow.start(++k);
                return true;
            }
        }

        private final PriorityQueue<Cursor> heads = new PriorityQueue<>(Comparator.<Cursor>comparingDouble(c -> c.start)
                .thenComparingLong(c -> c.next.arrival()));
        private int lane = -1;

        @Override
        public boolean hasNext() {
            while (heads.isEmpty() && ++lane < CLASSES.length) {
                for (Flow<T> flow : lanes.get(CLASSES[lane]).flows.values()) {
                    if (!flow.waiting.isEmpty()) {
                        heads.add(new Cursor(flow));
                    }
                }
            }
            return !heads.isEmpty();
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Cursor head = heads.poll();
            T item = head.next.item();
            if (head.advance()) {
                heads.add(head);
            }
            return item;
        }
    }
}
