package ilb.protocols;

import java.net.http.HttpResponse;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.route;
import static org.assertj.core.api.Assertions.assertThat;

/** KServe v2 REST: version-aware routing of model paths; server health answered by ilb. */
class KServeTest {

    private static final String INFER = "{\"id\":\"r1\",\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,3],"
            + "\"datatype\":\"FP32\",\"data\":[1.0,2.0,3.0]}]}";
    private static final Servers SERVERS = new Servers();
    private static Appliance ilb;

    @BeforeAll
    static void start() {
        // version 1 and version 2 of resnet run on different servers, each behind its own route
        SimulatedBackend v1 = SERVERS.backend(new SimulatorOptions().models("resnet").versions("1").ttftMs(1));
        SimulatedBackend v2 = SERVERS.backend(new SimulatorOptions().models("resnet").versions("2").ttftMs(1));
        ilb = SERVERS.ilb(
                route("resnet-v1", "model:resnet?version=1&aliases=image-classifier", "", "round-robin",
                        backend("resnet-v1-0", v1, "healthPath: /v2/health/ready"))
                + route("resnet-v2", "model:resnet?version=2", "", "round-robin",
                        backend("resnet-v2-0", v2, "healthPath: /v2/health/ready")));
    }

    @AfterAll
    static void stop() throws Exception {
        SERVERS.close();
    }

    @Test
    void eachVersionGoesToTheRouteThatServesIt() {
        HttpResponse<String> one = ilb.post("/v2/models/resnet/versions/1/infer", INFER);
        HttpResponse<String> two = ilb.post("/v2/models/resnet/versions/2/infer", INFER);

        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(servedBy(one)).isEqualTo("resnet-v1-0");
        assertThat(one.body()).contains("\"model_version\":\"1\"").contains("\"data\":[1.0,2.0,3.0]")
                .contains("\"id\":\"r1\"");
        assertThat(servedBy(two)).isEqualTo("resnet-v2-0");
        assertThat(two.body()).contains("\"model_version\":\"2\"");
    }

    @Test
    void withoutAVersionTheNewestServes() {
        HttpResponse<String> response = ilb.post("/v2/models/resnet/infer", INFER);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(servedBy(response)).isEqualTo("resnet-v2-0");
    }

    @Test
    void anAliasReachesTheModelUnderItsOwnName() {
        HttpResponse<String> response = ilb.post("/v2/models/image-classifier/versions/1/infer", INFER);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"model_name\":\"resnet\"");
    }

    @Test
    void anUnknownVersionIs404() {
        HttpResponse<String> response = ilb.post("/v2/models/resnet/versions/3/infer", INFER);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).isEqualTo("{\"error\":\"Model `resnet` has no version `3`.\"}");
    }

    @Test
    void modelMetadataAndReadinessComeFromTheServingBackend() {
        HttpResponse<String> metadata = ilb.get("/v2/models/resnet/versions/1");
        HttpResponse<String> ready = ilb.get("/v2/models/resnet/versions/2/ready");

        assertThat(metadata.statusCode()).isEqualTo(200);
        assertThat(metadata.body()).contains("\"name\":\"resnet\"").contains("\"inputs\"");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(servedBy(ready)).isEqualTo("resnet-v2-0");
    }

    @Test
    void serverHealthAndMetadataAreIlbsOwn() {
        assertThat(ilb.get("/v2/health/live").statusCode()).isEqualTo(200);
        assertThat(ilb.get("/v2/health/ready").statusCode()).isEqualTo(200);
        HttpResponse<String> server = ilb.get("/v2");
        assertThat(server.statusCode()).isEqualTo(200);
        assertThat(server.body()).contains("\"name\":\"ilb\"");
    }

    @Test
    void aBinaryTensorComesBackWithTheHeaderThatSaysWhereItsJsonEnds() {
        byte[] json = ("{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,4],\"datatype\":\"UINT8\","
                + "\"parameters\":{\"binary_data_size\":4}}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] tensor = {7, 0, (byte) 0xff, 42};
        byte[] body = java.util.Arrays.copyOf(json, json.length + tensor.length);
        System.arraycopy(tensor, 0, body, json.length, tensor.length);

        HttpResponse<byte[]> response = ilb.sendBytes(ilb.request("/v2/models/resnet/versions/1/infer")
                .header("content-type", "application/octet-stream")
                .header("inference-header-content-length", Integer.toString(json.length))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build());

        assertThat(response.statusCode()).isEqualTo(200);
        // without the header a client cannot tell the reply's JSON from its tensors
        int headerLength = Integer.parseInt(
                response.headers().firstValue("inference-header-content-length").orElseThrow());
        byte[] reply = response.body();
        assertThat(new String(reply, 0, headerLength, java.nio.charset.StandardCharsets.UTF_8))
                .contains("\"name\":\"OUTPUT0\"").contains("\"binary_data_size\":4");
        assertThat(java.util.Arrays.copyOfRange(reply, headerLength, reply.length)).isEqualTo(tensor);
    }
}
