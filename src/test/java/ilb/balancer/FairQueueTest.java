package ilb.balancer;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import ilb.inference.Priority;
import org.junit.jupiter.api.Test;

import static ilb.inference.Priority.BATCH;
import static ilb.inference.Priority.CRITICAL;
import static ilb.inference.Priority.SHEDDABLE;
import static ilb.inference.Priority.STANDARD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The order a saturated pool serves its waiting requests in, and which it sheds when its queue is full. */
class FairQueueTest {

    /** A request waiting: its tenant, and the how-many-th of its tenant's it is. */
    private record Item(String tenant, int n) {
        @Override
        public String toString() {
            return tenant + n;
        }
    }

    private final Map<String, Integer> sent = new TreeMap<>();

    private Item offer(FairQueue<Item> queue, Priority priority, String tenant, double weight, List<Item> shed) {
        Item item = new Item(tenant, sent.merge(tenant, 1, Integer::sum) - 1);
        Item out = queue.offer(item, priority, tenant, weight);
        if (out != null) {
            shed.add(out);
        }
        return item;
    }

    private Item offer(FairQueue<Item> queue, Priority priority, String tenant) {
        List<Item> shed = new ArrayList<>();
        Item item = offer(queue, priority, tenant, 1, shed);
        assertThat(shed).as("shed").isEmpty();
        return item;
    }

    /** Serves the queue's first item, as the balancer does when a backend frees up. */
    private static Item serveNext(FairQueue<Item> queue) {
        Item first = queue.iterator().next();
        assertThat(queue.serve(first)).isTrue();
        return first;
    }

    private static List<String> serveAll(FairQueue<Item> queue) {
        List<String> served = new ArrayList<>();
        while (!queue.isEmpty()) {
            served.add(serveNext(queue).toString());
        }
        return served;
    }

    private static List<String> order(FairQueue<Item> queue) {
        List<String> order = new ArrayList<>();
        queue.forEach(item -> order.add(item.toString()));
        return order;
    }

    @Test
    void classesAreServedStrictlyInOrder() {
        FairQueue<Item> queue = new FairQueue<>(10);
        offer(queue, SHEDDABLE, "s");
        offer(queue, STANDARD, "a");
        offer(queue, STANDARD, "a");
        offer(queue, SHEDDABLE, "s");
        offer(queue, CRITICAL, "c");
        offer(queue, STANDARD, "b");
        offer(queue, CRITICAL, "c");

        assertThat(order(queue)).containsExactly("c0", "c1", "a0", "b0", "a1", "s0", "s1");
        assertThat(serveAll(queue)).containsExactly("c0", "c1", "a0", "b0", "a1", "s0", "s1");
    }

    @Test
    void tenantsOfEqualWeightAlternateHoweverManyEachHasQueued() {
        FairQueue<Item> queue = new FairQueue<>(100);
        for (int i = 0; i < 10; i++) {
            offer(queue, STANDARD, "a");
        }
        for (int i = 0; i < 3; i++) {
            offer(queue, STANDARD, "b");
        }

        assertThat(serveAll(queue)).containsExactly("a0", "b0", "a1", "b1", "a2", "b2", "a3", "a4", "a5", "a6", "a7",
                "a8", "a9");
    }

    @Test
    void weightsThreeAndOneAreServedThreeToOne() {
        FairQueue<Item> queue = new FairQueue<>(1000);
        List<Item> shed = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            offer(queue, STANDARD, "heavy", 3, shed);
            offer(queue, STANDARD, "light", 1, shed);
        }
        assertThat(shed).isEmpty();

        Map<String, Integer> served = new TreeMap<>();
        for (int i = 1; i <= 400; i++) {
            served.merge(serveNext(queue).tenant(), 1, Integer::sum);
            if (i % 4 == 0) {
                // every four served, both backlogged throughout: exactly three of the heavier
                assertThat(served).containsEntry("heavy", 3 * i / 4).containsEntry("light", i / 4);
            }
        }
    }

    @Test
    void aTenantWithTenTimesTheTrafficGetsItsShareNotTenTimesIt() {
        FairQueue<Item> queue = new FairQueue<>(50);
        List<Item> shed = new ArrayList<>();
        Map<String, Integer> served = new TreeMap<>();
        // each tick, a sends 10 and b 1; the pool serves 2
        for (int tick = 0; tick < 100; tick++) {
            for (int i = 0; i < 10; i++) {
                offer(queue, STANDARD, "a", 1, shed);
            }
            offer(queue, STANDARD, "b", 1, shed);
            for (int i = 0; i < 2; i++) {
                served.merge(serveNext(queue).tenant(), 1, Integer::sum);
            }
        }

        assertThat(served).containsEntry("a", 100).containsEntry("b", 100);
        // the full queue turned away only the tenant over its share: each of a's 1000 served, shed or waiting
        assertThat(shed).allMatch(item -> item.tenant().equals("a")).hasSize(1000 - 100 - queue.size());
        assertThat(queue).allMatch(item -> item.tenant().equals("a"));
    }

    @Test
    void aTenantBackFromIdleJoinsAtTheClassesTimeWithNoCreditSaved() {
        FairQueue<Item> queue = new FairQueue<>(100);
        for (int i = 0; i < 10; i++) {
            offer(queue, STANDARD, "a");
        }
        for (int i = 0; i < 5; i++) {
            serveNext(queue);
        }
        // b sent nothing while a was served five times: it goes next, but does not get five in a row
        offer(queue, STANDARD, "b");
        offer(queue, STANDARD, "b");
        offer(queue, STANDARD, "b");

        assertThat(serveAll(queue)).containsExactly("b0", "a5", "b1", "a6", "b2", "a7", "a8", "a9");
    }

    @Test
    void aFullQueueShedsSheddableFirstThenTheOldestOfTheTenantMostOverItsShare() {
        FairQueue<Item> queue = new FairQueue<>(5);
        List<Item> shed = new ArrayList<>();
        offer(queue, SHEDDABLE, "a", 1, shed);
        offer(queue, STANDARD, "a", 1, shed);
        offer(queue, STANDARD, "a", 1, shed);
        offer(queue, STANDARD, "a", 1, shed);
        offer(queue, STANDARD, "b", 1, shed);
        assertThat(shed).isEmpty();

        // full: the sheddable one goes first
        offer(queue, STANDARD, "b", 1, shed);
        assertThat(shed).extracting(Item::toString).containsExactly("a0");
        // a has 3 standard ones queued, b 3 with the newcomer: as far over, a's waited longest
        offer(queue, STANDARD, "b", 1, shed);
        assertThat(shed).extracting(Item::toString).containsExactly("a0", "a1");
        // a 2, b 4 with the newcomer: b's oldest goes, not the newcomer
        offer(queue, STANDARD, "b", 1, shed);
        assertThat(shed).extracting(Item::toString).containsExactly("a0", "a1", "b0");
        assertThat(order(queue)).containsExactly("a2", "b1", "a3", "b2", "b3");
    }

    @Test
    void overShareIsQueuedRequestsRelativeToWeightAndTiesShedTheLongestWaiting() {
        FairQueue<Item> queue = new FairQueue<>(5);
        List<Item> shed = new ArrayList<>();
        offer(queue, STANDARD, "heavy", 3, shed);
        offer(queue, STANDARD, "light", 1, shed);
        offer(queue, STANDARD, "heavy", 3, shed);
        offer(queue, STANDARD, "light", 1, shed);
        offer(queue, STANDARD, "heavy", 3, shed);

        // heavy has 3 queued for weight 3, light 2 for weight 1: light is further over its share
        offer(queue, STANDARD, "other", 1, shed);
        assertThat(shed).extracting(Item::toString).containsExactly("light0");
        // heavy 3/3, light 1/1, other 1/1, the newcomer's new tenant 1/1: all as far over, the longest waiting goes
        offer(queue, STANDARD, "new", 1, shed);
        assertThat(shed).extracting(Item::toString).containsExactly("light0", "heavy0");
    }

    @Test
    void aNewcomerBelowEveryClassQueuedIsTurnedAwayAndOneAboveDisplacesTheLowest() {
        FairQueue<Item> queue = new FairQueue<>(2);
        List<Item> shed = new ArrayList<>();
        offer(queue, STANDARD, "a", 1, shed);
        offer(queue, STANDARD, "b", 1, shed);

        Item sheddable = offer(queue, SHEDDABLE, "c", 1, shed);
        assertThat(shed).containsExactly(sheddable);
        assertThat(queue.contains(sheddable)).isFalse();

        Item critical = offer(queue, CRITICAL, "c", 1, shed);
        assertThat(shed).extracting(Item::toString).containsExactly("c0", "a0");
        assertThat(queue.contains(critical)).isTrue();
        assertThat(order(queue)).containsExactly("c1", "b0");
    }

    @Test
    void aNewcomerWhoseTenantIsMostOverItsShareIsItselfTurnedAway() {
        FairQueue<Item> queue = new FairQueue<>(2);
        List<Item> shed = new ArrayList<>();
        offer(queue, STANDARD, "a", 1, shed);
        offer(queue, STANDARD, "b", 1, shed);

        // one request for a quarter share is four times over it
        Item small = offer(queue, STANDARD, "small", 0.25, shed);

        assertThat(shed).containsExactly(small);
        assertThat(order(queue)).containsExactly("a0", "b0");
    }

    @Test
    void anItemMayLeaveFromAnywhereAndLeavingUnservedChargesNobody() {
        FairQueue<Item> queue = new FairQueue<>(10);
        Item a0 = offer(queue, STANDARD, "a");
        offer(queue, STANDARD, "a");
        Item a2 = offer(queue, STANDARD, "a");
        offer(queue, STANDARD, "b");
        offer(queue, STANDARD, "b");

        assertThat(queue.remove(a0)).isTrue();
        assertThat(queue.remove(a2)).isTrue();
        assertThat(queue.remove(a2)).isFalse();
        assertThat(queue.serve(a2)).isFalse();
        assertThat(queue.size()).isEqualTo(3);
        // a's timed-out requests cost it nothing: its next still goes first
        assertThat(serveAll(queue)).containsExactly("a1", "b0", "b1");
    }

    @Test
    void anItemPastTheHeadMayBeServedAndItsTenantIsChargedForIt() {
        FairQueue<Item> queue = new FairQueue<>(10);
        offer(queue, STANDARD, "a");
        offer(queue, STANDARD, "a");
        offer(queue, STANDARD, "b");
        offer(queue, STANDARD, "b");
        Iterator<Item> order = queue.iterator();
        assertThat(List.of(order.next(), order.next(), order.next()).toString()).isEqualTo("[a0, b0, a1]");

        // a1 goes ahead of a0 (a retry that only a backend it tried could take, say): a has had its turn
        assertThat(queue.serve(find(queue, "a1"))).isTrue();
        assertThat(serveAll(queue)).containsExactly("b0", "a0", "b1");
    }

    private static Item find(FairQueue<Item> queue, String name) {
        for (Item item : queue) {
            if (item.toString().equals(name)) {
                return item;
            }
        }
        throw new AssertionError(name + " is not queued");
    }

    @Test
    void tenantsWithNothingQueuedAreForgottenOnceTheyNoLongerMatter() {
        FairQueue<Item> queue = new FairQueue<>(2000);
        for (int i = 0; i < 1000; i++) {
            offer(queue, STANDARD, "t" + i);
        }
        assertThat(queue.tenants()).isEqualTo(1000);
        serveAll(queue);
        assertThat(queue.tenants()).isZero();

        for (int i = 0; i < 3; i++) {
            offer(queue, STANDARD, "a");
        }
        offer(queue, STANDARD, "x");
        assertThat(serveNext(queue).toString()).isEqualTo("a0");
        assertThat(serveNext(queue).toString()).isEqualTo("x0");
        // x was just served: were it to come back now, it would join behind a's next, so it is remembered
        assertThat(queue.tenants()).isEqualTo(2);
        assertThat(serveNext(queue).toString()).isEqualTo("a1");
        // the class's time has caught up with x: it would join at that time anyway
        assertThat(queue.tenants()).isEqualTo(1);
    }

    @Test
    void batchJobsAreNeverQueuedAndAQueueOfNoPlacesTurnsEveryoneAway() {
        FairQueue<Item> none = new FairQueue<>(0);
        Item item = new Item("a", 0);

        assertThat(none.offer(item, CRITICAL, "a", 1)).isSameAs(item);
        assertThat(none.isEmpty()).isTrue();
        assertThatThrownBy(() -> new FairQueue<Item>(10).offer(item, BATCH, "a", 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch");
    }
}
