package ilb.routing;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

import ilb.Appliance;

/** Clients of a model with versions, for tests: end users, sessions, pins, tenants by key. */
final class VersionClients {

    /** The key of tenant "prod", which reaches the production stage only (see {@link #TENANTS}). */
    static final String PROD_KEY = "sk-prod";
    /** Tenant "test" reaches both stages; tenant "prod" production only. */
    static final String[] TENANTS = {"ilb.tenants=test,prod", "ilb.tenant.test.stages=production,experimental",
        "ilb.tenant.prod.apiKeys=" + PROD_KEY, "ilb.tenant.prod.models=*"};
    static final String INFER = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,3],\"datatype\":\"FP32\","
            + "\"data\":[1.0,2.0,3.0]}]}";

    private VersionClients() {
    }

    /** A chat completion for model m from an end user (or none), pinned to a version (or not). */
    static HttpResponse<String> chat(Appliance ilb, String key, String user, String pin) {
        String body = "{\"model\":\"m\",\"max_tokens\":2," + (user == null ? "" : "\"user\":\"" + user + "\",")
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}";
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(ilb.baseUrl() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (pin != null) {
            request.header("x-ilb-model-version", pin);
        }
        return ilb.send(request.build());
    }

    /** A KServe request on {@code path} in a session (or none). */
    static HttpResponse<String> kserve(Appliance ilb, String key, String path, String session) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(ilb.baseUrl() + path))
                .header("authorization", "Bearer " + key);
        if (session != null) {
            request.header("x-session-id", session);
        }
        return ilb.send((path.contains("/infer") ? request.header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(INFER)) : request.GET()).build());
    }

    /** The version that answered, by {@code x-ilb-model-version}; fails on anything but a 200. */
    static String version(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new AssertionError("answered " + response.statusCode() + " " + response.body());
        }
        return response.headers().firstValue("x-ilb-model-version").orElse("");
    }

    /** {@code call(i)} for i in 0..n-1, eight at a time; the results in order of i. */
    static <T> List<T> each(int n, IntFunction<T> call) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<T>> futures = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int index = i;
                futures.add(threads.submit(() -> call.apply(index)));
            }
            List<T> results = new ArrayList<>(n);
            for (Future<T> future : futures) {
                results.add(future.get());
            }
            return results;
        } finally {
            threads.shutdownNow();
        }
    }
}
