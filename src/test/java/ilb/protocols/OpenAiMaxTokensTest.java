package ilb.protocols;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import ilb.admission.Tenant;
import ilb.inference.ApiError;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.routing.ModelCatalog;
import ilb.routing.ModelComponent;
import org.apache.camel.Consumer;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The output tokens an OpenAI request asks for, as read for the policies that predict a request's time. */
class OpenAiMaxTokensTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final DefaultCamelContext context = new DefaultCamelContext();
    private final ModelCatalog catalog = new ModelCatalog(timer, timer, 1000);
    private final OpenAiApi api = new OpenAiApi(catalog);

    OpenAiMaxTokensTest() throws Exception {
        context.addComponent("model", new ModelComponent(catalog));
        Consumer served = context.getEndpoint("model:m").createConsumer(exchange -> { });
        // in the catalog: model m is served
        served.start();
    }

    @AfterEach
    void stop() throws Exception {
        context.close();
        timer.shutdownNow();
    }

    private InferenceMessage chat(String fields) {
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" + fields + "}";
        return api.handle(Tenant.ANYONE, "POST", RequestPath.parse("/v1/chat/completions"), "", Map.of(),
                body.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "                                                  | 0",
        ",\"max_tokens\":64                                | 64",
        ",\"max_completion_tokens\":32                     | 32",
        ",\"max_tokens\":null                              | 0",
        // the newer field wins, whichever comes first
        ",\"max_tokens\":64,\"max_completion_tokens\":32   | 32",
        ",\"max_completion_tokens\":32,\"max_tokens\":64   | 32",
        ",\"max_tokens\":99999999999                       | 2147483647",
    })
    void theRequestCarriesTheOutputTokensItAsksFor(String fields, int maxTokens) {
        InferenceMessage parsed = chat(fields == null ? "" : fields.strip());

        assertThat(parsed).isInstanceOf(InferenceRequest.class);
        assertThat(((InferenceRequest) parsed).maxTokens()).isEqualTo(maxTokens);
    }

    @Test
    void aCompletionsPromptCarriesItToo() {
        InferenceMessage parsed = api.handle(Tenant.ANYONE, "POST", RequestPath.parse("/v1/completions"), "",
                Map.of(), "{\"model\":\"m\",\"prompt\":\"hi\",\"max_tokens\":7}".getBytes(StandardCharsets.UTF_8));

        assertThat(((InferenceRequest) parsed).maxTokens()).isEqualTo(7);
    }

    @Test
    void aCountThatIsNoPositiveIntegerIsStillRefused() {
        InferenceMessage parsed = chat(",\"max_completion_tokens\":0");

        assertThat(parsed).isInstanceOfSatisfying(ApiError.class, error -> {
            assertThat(error.status()).isEqualTo(400);
            assertThat(error.message()).contains("'max_completion_tokens' must be a positive integer");
        });
    }
}
