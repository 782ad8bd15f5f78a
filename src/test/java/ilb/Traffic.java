package ilb;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static ilb.Appliance.chat;
import static ilb.Appliance.servedBy;

/**
 * A steady stream of chat completions for model {@code m} from a few client threads, each request's outcome kept
 * ({@code "200 <backend>"}, another status with its body, or what kept the client from an answer): a test counts
 * every request sent against the outcomes seen.
 */
public final class Traffic implements AutoCloseable {

    private final Queue<String> outcomes = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ExecutorService clients;
    private final List<Future<Integer>> workers = new ArrayList<>();

    public Traffic(Appliance ilb, int threads) {
        clients = Executors.newFixedThreadPool(threads);
        for (int i = 0; i < threads; i++) {
            workers.add(clients.submit(() -> {
                // every request sent gets one outcome, even one the client could not send or read: no worker ends early
                int sent = 0;
                while (running.get()) {
                    sent++;
                    outcomes.add(outcome(ilb));
                }
                return sent;
            }));
        }
    }

    /** How many outcomes are {@code "200 <backend>"} so far. */
    public long served(String backend) {
        return outcomes.stream().filter(("200 " + backend)::equals).count();
    }

    public int seen() {
        return outcomes.size();
    }

    /** Stops the clients; every outcome, after checking that there is one per request sent. */
    public List<String> stop() throws Exception {
        running.set(false);
        int sent = 0;
        for (Future<Integer> worker : workers) {
            sent += worker.get(30, TimeUnit.SECONDS);
        }
        clients.shutdown();
        List<String> all = List.copyOf(outcomes);
        if (all.size() != sent) {
            throw new AssertionError(sent + " requests sent, " + all.size() + " outcomes");
        }
        return all;
    }

    @Override
    public void close() {
        running.set(false);
        clients.shutdownNow();
    }

    /** The status and backend of one request's response, or what kept the client from having one. */
    public static String outcome(Appliance ilb) {
        try {
            HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));
            // a failure says why, in the assertion's message
            return response.statusCode() + " " + servedBy(response)
                    + (response.statusCode() == 200 ? "" : " " + response.body());
        } catch (RuntimeException e) {
            return "failed: " + e;
        }
    }
}
