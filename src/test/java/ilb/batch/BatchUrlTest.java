package ilb.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class BatchUrlTest {

    /** Urls a batch job must not name: each would reach a backend's request line other than as one API path. */
    static final List<String> BAD = List.of(
            // escapes: a batch url is not percent-encoded, so none is decoded, nor passed on
            "/v2/models/resnet50/versions/1%20x/infer", "/v2/models/..%252F..%252Fother/infer",
            "/v2/models/m%2Fx/infer", "/v1/chat%2Fcompletions", "/v1/chat%zz/completions",
            // queries and fragments
            "/v1/chat/completions?debug=1", "/v2/models/m/infer?x=1", "/v1/embeddings#top", "/v2/models/m#/infer",
            "/v2/models/m?/infer",
            // dot-segments and separators
            "/v2/models/../infer", "/v2/models/./infer", "/v2/models/m/versions/../infer", "/v2/models/..m/infer",
            "/v2/models/m/../../admin/infer", "/v1/../v1/chat/completions", "/v2/models/m\\..\\x/infer",
            "/v2/models/m;jsessionid=1/infer", "/v2/models/a/b/infer", "/v2/models/m/versions/1/versions/2/infer",
            "/v2/models/m/versions//infer", "/v2/models//infer", "/v2/models/m/versions/infer",
            // whitespace, control and non-ASCII characters
            "/v2/models/ m/infer", "/v2/models/m /infer", "/v2/models/m\t/infer", "/v2/models/m\r\nHost: x/infer",
            "/v2/models/m\u0000/infer", "/v2/models/m\u007f/infer", "/v2/models/mod\u00e8le/infer",
            "/v2/models/m\u2028/infer", "/v1/chat/completions ", " /v1/chat/completions", "/v1/chat/completions\n",
            // other paths, other spellings
            "", "/", "/v1", "/v1/models", "/v1/chat/completions/", "//v1/chat/completions", "/V1/chat/completions",
            "v1/chat/completions", "/v2/models/m", "/v2/models/m/ready", "/v2/models/m/versions/1", "/v2/health/live",
            "/v2/models/m/infer/", "/v2/models/m/infer/infer", "/v2/repository/index", "/v1/batches",
            "http://evil.example/v1/chat/completions", "/v1/completions/../embeddings");

    @Test
    void theApisInferencePathsAreAccepted() {
        assertThat(List.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v2/models/resnet50/infer",
                "/v2/models/resnet50/versions/1/infer", "/v2/models/llama-3.1_8B:q4@x/versions/2024.05-rc1/infer"))
                .allMatch(BatchUrl::accepted);
    }

    @Test
    void anythingElseIsRefused() {
        assertThat(BAD).noneMatch(BatchUrl::accepted);
    }
}
