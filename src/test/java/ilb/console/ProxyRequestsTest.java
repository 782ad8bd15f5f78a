package ilb.console;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyRequestsTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"type\":\"read\",\"mbean\":\"java.lang:type=Memory\",\"target\":{\"url\":\"service:jmx:rmi:///x\"}}",
        "[{\"type\":\"version\"},{\"type\":\"read\",\"target\":{\"url\":\"service:jmx:rmi:///x\"}}]",
        "{\"target\":null}",
        "not json",
        "{\"type\":",
        ""})
    void refusesProxyRequestsAndWhatIsNotJson(String body) {
        assertThat(ProxyRequests.refused(body.getBytes(StandardCharsets.UTF_8))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"type\":\"read\",\"mbean\":\"ilb:type=Backend,name=a\",\"attribute\":\"State\"}",
        "[{\"type\":\"version\"},{\"type\":\"exec\",\"mbean\":\"ilb:type=Backend,name=a\",\"operation\":\"drain()\"}]",
        // a target deeper than a request's own fields is an argument, not a proxy target
        "{\"type\":\"exec\",\"mbean\":\"x:y=z\",\"operation\":\"op\",\"arguments\":[{\"target\":\"here\"}]}",
        "[1, \"two\", [3]]"})
    void letsRequestsOfThisJvmThrough(String body) {
        assertThat(ProxyRequests.refused(body.getBytes(StandardCharsets.UTF_8))).isFalse();
    }
}
