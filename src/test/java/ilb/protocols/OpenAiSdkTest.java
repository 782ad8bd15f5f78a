package ilb.protocols;

import java.util.List;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The official OpenAI Java SDK, unchanged, pointed at ilb. */
class OpenAiSdkTest {

    private static final Servers SERVERS = new Servers();
    private static OpenAIClient openai;

    @BeforeAll
    static void start() {
        SimulatedBackend a = SERVERS.backend(new SimulatorOptions().models("llama-3.1-8b").ttftMs(2).itlMs(2));
        SimulatedBackend b = SERVERS.backend(new SimulatorOptions().models("llama-3.1-8b").ttftMs(2).itlMs(2));
        Appliance ilb = SERVERS.ilb(route("pool-llama", "model:llama-3.1-8b?aliases=llama3", "", "peak-ewma",
                backend("a", a), backend("b", b)));
        openai = OpenAIOkHttpClient.builder().baseUrl(ilb.baseUrl() + "/v1").apiKey(Appliance.API_KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() throws Exception {
        openai.close();
        SERVERS.close();
    }

    @Test
    void chatCompletion() {
        ChatCompletion completion = openai.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("llama3").addUserMessage("Say three words.").maxCompletionTokens(3).build());

        assertThat(completion.model()).isEqualTo("llama-3.1-8b");
        assertThat(completion.choices().get(0).message().content()).hasValue("the quick brown");
        assertThat(completion.usage()).hasValueSatisfying(usage -> assertThat(usage.completionTokens()).isEqualTo(3));
    }

    @Test
    void streamedChatCompletion() {
        StringBuilder text = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("llama-3.1-8b").addUserMessage("Tell me a story.")
                        .maxCompletionTokens(6).build())) {
            List<ChatCompletionChunk> chunks = stream.stream().toList();
            chunks.forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
            assertThat(chunks.get(chunks.size() - 1).choices().get(0).finishReason()).isPresent();
        }
        assertThat(text.toString()).isEqualTo("the quick brown fox jumps over");
    }

    @Test
    void completion() {
        Completion completion = openai.completions().create(CompletionCreateParams.builder()
                .model("llama3").prompt("Once upon a time").maxTokens(2).build());

        assertThat(completion.choices().get(0).text()).isEqualTo("the quick");
    }

    @Test
    void embeddings() {
        CreateEmbeddingResponse response = openai.embeddings().create(EmbeddingCreateParams.builder()
                .model("llama3").inputOfArrayOfStrings(List.of("first", "second")).build());

        assertThat(response.data()).hasSize(2);
        assertThat(response.data().get(0).embedding()).hasSize(16);
        assertThat(response.data().get(0).embedding()).isNotEqualTo(response.data().get(1).embedding());
    }

    @Test
    void modelList() {
        List<String> ids = openai.models().list().data().stream().map(Model::id).toList();

        assertThat(ids).containsExactly("llama-3.1-8b", "llama3");
    }

    @Test
    void anUnknownModelIsTheSdksNotFoundException() {
        assertThatThrownBy(() -> openai.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("gpt-7").addUserMessage("hi").build()))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.code()).hasValue("model_not_found");
                });
    }
}
