package ilb.admission;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.chat;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Tenants' requests and tokens a minute and requests at once, through ilb as it runs, on a clock the test moves: a
 * tenant each, so that tests do not share a count. {@code chat(m, n)}'s prompt is estimated at 7 tokens (26
 * characters: role and content) and the simulator counts 3 ("user: hello there"), and n completion tokens.
 */
class TenantLimitsTest {

    private static final Servers SERVERS = new Servers();
    private static final AtomicLong NOW = new AtomicLong(1_000_000_000);
    private static SimulatedBackend fast;
    private static SimulatedBackend slow;
    private static Appliance ilb;

    @BeforeAll
    static void start() {
        fast = SERVERS.fastBackend();
        // streams that last as long as the test holds them
        slow = SERVERS.backend(new SimulatorOptions().models("slow").ttftMs(1).itlMs(60_000));
        ilb = SERVERS.ilb(pool("m", "round-robin", backend("m-0", fast))
                        + pool("slow", "round-robin", backend("slow-0", slow))
                        // nothing listens there
                        + pool("gone", "round-robin", backend("gone-0", "http://127.0.0.1:" + Appliance.freePort())),
                Map.of("ilbClock", (LongSupplier) NOW::get),
                "ilb.tenants=test,rpm,tpm,streams,conc,down,sdk",
                "ilb.tenant.rpm.apiKeys=sk-rpm", "ilb.tenant.rpm.requestsPerMinute=3",
                "ilb.tenant.tpm.apiKeys=sk-tpm", "ilb.tenant.tpm.tokensPerMinute=1000",
                "ilb.tenant.streams.apiKeys=sk-streams", "ilb.tenant.streams.tokensPerMinute=1000",
                "ilb.tenant.conc.apiKeys=sk-conc", "ilb.tenant.conc.maxConcurrent=2",
                "ilb.tenant.down.apiKeys=sk-down", "ilb.tenant.down.tokensPerMinute=100",
                "ilb.tenant.sdk.apiKeys=sk-sdk", "ilb.tenant.sdk.requestsPerMinute=1",
                "ilb.tenant.sdk.tokensPerMinute=10000");
    }

    @AfterAll
    static void stop() throws Exception {
        SERVERS.close();
    }

    @Test
    void theRequestAfterAMinutesLimitIs429UntilTheMinuteGivesOneBack() {
        long before = fast.inferenceRequests();
        for (int i = 1; i <= 3; i++) {
            HttpResponse<String> served = post("sk-rpm", chat("m", 2));
            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(header(served, "x-ratelimit-limit-requests")).isEqualTo("3");
            assertThat(header(served, "x-ratelimit-remaining-requests")).isEqualTo(String.valueOf(3 - i));
            // a request comes back every 20 s
            assertThat(header(served, "x-ratelimit-reset-requests")).isEqualTo(new String[] {"20s", "40s", "1m0s"}[i - 1]);
            // no token limit, no token headers
            assertThat(served.headers().firstValue("x-ratelimit-limit-tokens")).isEmpty();
        }

        HttpResponse<String> limited = post("sk-rpm", chat("m", 2));
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.body()).contains("\"type\":\"rate_limit_error\"", "\"code\":\"rate_limit_exceeded\"",
                "tenant rpm on requests per minute (limit 3)", "try again in 20s");
        assertThat(header(limited, "retry-after")).isEqualTo("20");
        assertThat(header(limited, "x-ratelimit-remaining-requests")).isEqualTo("0");
        assertThat(header(limited, "x-ratelimit-reset-requests")).isEqualTo("1m0s");
        assertThat(fast.inferenceRequests() - before).isEqualTo(3);
        // another tenant is not held back by it
        assertThat(ilb.post("/v1/chat/completions", chat("m", 1)).statusCode()).isEqualTo(200);
        assertThat(fast.inferenceRequests() - before).isEqualTo(4);

        NOW.addAndGet(20_000);
        HttpResponse<String> again = post("sk-rpm", chat("m", 2));
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(header(again, "x-ratelimit-remaining-requests")).isEqualTo("0");
        assertThat(fast.inferenceRequests() - before).isEqualTo(5);
    }

    @Test
    void tokensAreEstimatedAtAdmissionAndCorrectedFromTheResponsesUsage() {
        long before = fast.inferenceRequests();
        HttpResponse<String> first = post("sk-tpm", chat("m", 5));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).contains("\"prompt_tokens\":3", "\"completion_tokens\":5");
        assertThat(header(first, "x-ratelimit-limit-tokens")).isEqualTo("1000");
        assertThat(header(first, "x-ratelimit-remaining-tokens")).isEqualTo("993");
        assertThat(header(first, "x-ratelimit-reset-tokens")).isEqualTo("420ms");
        assertThat(first.headers().firstValue("x-ratelimit-limit-requests")).isEmpty();

        // the first used 8, not 7: 992 left before the second takes its 7
        HttpResponse<String> second = post("sk-tpm", chat("m", 5));
        assertThat(header(second, "x-ratelimit-remaining-tokens")).isEqualTo("985");

        // a prompt of 1004 tokens is more than the minute holds: it waits for a full minute's tokens
        String large = "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\""
                + "x".repeat(4000) + "\"}]}";
        HttpResponse<String> limited = post("sk-tpm", large);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.body()).contains("tenant tpm on tokens per minute (limit 1000, this request 1004 prompt"
                + " tokens)");
        assertThat(header(limited, "retry-after")).isEqualTo("1");
        assertThat(header(limited, "x-ratelimit-remaining-tokens")).isEqualTo("984");
        assertThat(header(limited, "x-ratelimit-reset-tokens")).isEqualTo("960ms");
        assertThat(fast.inferenceRequests() - before).isEqualTo(2);
    }

    @Test
    void aStreamsTokensAreCorrectedWhenItEndsFromItsUsageOrElseItsEvents() {
        long before = fast.inferenceRequests();
        HttpResponse<String> withUsage = post("sk-streams", "{\"model\":\"m\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"max_tokens\":5,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}");
        assertThat(withUsage.statusCode()).isEqualTo(200);
        assertThat(withUsage.body()).contains("\"total_tokens\":8", "data: [DONE]");
        // the headers of a stream are on its head, before its tokens are known
        assertThat(header(withUsage, "x-ratelimit-remaining-tokens")).isEqualTo("993");

        // 8 used: 992 left, less this one's 7
        HttpResponse<String> withoutUsage = post("sk-streams", "{\"model\":\"m\",\"stream\":true,\"max_tokens\":5,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}");
        assertThat(withoutUsage.body()).doesNotContain("\"usage\":{").contains("data: [DONE]");
        assertThat(header(withoutUsage, "x-ratelimit-remaining-tokens")).isEqualTo("985");

        // no usage: the estimate stands for the prompt, and each of the 5 events with text is a token: 12 used
        HttpResponse<String> next = post("sk-streams", chat("m", 1));
        assertThat(header(next, "x-ratelimit-remaining-tokens")).isEqualTo("973");
        assertThat(fast.inferenceRequests() - before).isEqualTo(3);
    }

    @Test
    void theRequestPastTheMostAtOnceIs429AndAPlaceComesBackWhenAStreamsClientGoes() throws IOException {
        long before = slow.inferenceRequests();
        HttpResponse<InputStream> first = openStream("sk-conc");
        HttpResponse<InputStream> second = openStream("sk-conc");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        // OpenAI has no header for concurrency
        assertThat(first.headers().map().keySet()).noneMatch(name -> name.startsWith("x-ratelimit"));

        HttpResponse<String> third = post("sk-conc", chat("slow", 2));
        assertThat(third.statusCode()).isEqualTo(429);
        assertThat(third.body()).contains("tenant conc on concurrent requests (limit 2)", "\"code\":\"rate_limit_exceeded\"");
        assertThat(header(third, "retry-after")).isEqualTo("1");
        assertThat(third.headers().map().keySet()).noneMatch(name -> name.startsWith("x-ratelimit"));

        // the first's client goes away mid-stream: its place is back before its backend hears
        first.body().close();
        await().atMost(Duration.ofSeconds(10)).until(() -> slow.running() == 1);
        HttpResponse<InputStream> fourth = openStream("sk-conc");
        assertThat(fourth.statusCode()).isEqualTo(200);
        second.body().close();
        fourth.body().close();
        assertThat(slow.inferenceRequests() - before).isEqualTo(3);
    }

    @Test
    void aRequestNoBackendServedGivesItsTokensBackAndItsErrorHasTheHeaders() {
        HttpResponse<String> failed = post("sk-down", chat("gone", 2));
        assertThat(failed.statusCode()).isEqualTo(503);
        assertThat(failed.body()).contains("no_healthy_backend");
        assertThat(header(failed, "x-ratelimit-remaining-tokens")).isEqualTo("93");

        // had the failed one kept its 7, 86 would be left
        HttpResponse<String> served = post("sk-down", chat("m", 2));
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(header(served, "x-ratelimit-remaining-tokens")).isEqualTo("93");
    }

    @Test
    void aTenantWithoutLimitsGetsNoRateLimitHeaders() {
        HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().map().keySet()).noneMatch(name -> name.startsWith("x-ratelimit"));
    }

    @Test
    void theOpenAiSdkReadsThe429AndTheHeaders() {
        long before = fast.inferenceRequests();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("m")
                .addUserMessage("hello there").maxCompletionTokens(2).build();
        // the SDK's own retries off: every request it makes is one seen here
        OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(ilb.baseUrl() + "/v1").apiKey("sk-sdk")
                .maxRetries(0).build();
        try {
            try (HttpResponseFor<ChatCompletion> served = openai.chat().completions().withRawResponse()
                    .create(params)) {
                assertThat(served.statusCode()).isEqualTo(200);
                assertThat(served.parse().usage()).isPresent();
                assertThat(served.headers().values("x-ratelimit-remaining-requests")).containsExactly("0");
                assertThat(served.headers().values("x-ratelimit-limit-tokens")).containsExactly("10000");
            }
            assertThatThrownBy(() -> openai.chat().completions().create(params))
                    .isInstanceOfSatisfying(RateLimitException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(429);
                        assertThat(e.code()).hasValue("rate_limit_exceeded");
                        assertThat(e.type()).hasValue("rate_limit_error");
                        assertThat(e.headers().values("retry-after")).containsExactly("60");
                        assertThat(e.headers().values("x-ratelimit-limit-requests")).containsExactly("1");
                        assertThat(e.headers().values("x-ratelimit-remaining-requests")).containsExactly("0");
                        assertThat(e.headers().values("x-ratelimit-reset-requests")).containsExactly("1m0s");
                    });
        } finally {
            openai.close();
        }
        assertThat(fast.inferenceRequests() - before).isEqualTo(1);
    }

    private static HttpResponse<String> post(String key, String json) {
        return ilb.send(request(key, json).build());
    }

    private static HttpRequest.Builder request(String key, String json) {
        return HttpRequest.newBuilder(URI.create(ilb.baseUrl() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
    }

    /** A stream of the slow model, returned once its head is in. */
    private static HttpResponse<InputStream> openStream(String key) {
        try {
            return ilb.http().send(request(key, "{\"model\":\"slow\",\"stream\":true,\"max_tokens\":100,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"tell a story\"}]}").build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String header(HttpResponse<?> response, String name) {
        HttpHeaders headers = response.headers();
        return headers.firstValue(name).orElseThrow(() -> new AssertionError("no " + name + " in " + headers.map()));
    }
}
