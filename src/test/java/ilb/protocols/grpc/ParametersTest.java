package ilb.protocols.grpc;

import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.UnknownFieldSet;
import ilb.protocols.grpc.KServeGrpcCodec.Unconvertible;
import ilb.protocols.grpc.v2.InferParameter;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParametersTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void booleansIntegersAndStringsGoBothWays() throws Exception {
        String json = "{\"sequence_start\":true,\"sequence_id\":9007199254740993,\"priority\":-1,\"tag\":\"a\"}";
        Map<String, InferParameter> parameters = Parameters.fromJson(JSON.readTree(json), "the request", false);

        assertThat(parameters).containsExactly(
                Map.entry("sequence_start", InferParameter.newBuilder().setBoolParam(true).build()),
                Map.entry("sequence_id", InferParameter.newBuilder().setInt64Param(9007199254740993L).build()),
                Map.entry("priority", InferParameter.newBuilder().setInt64Param(-1).build()),
                Map.entry("tag", InferParameter.newBuilder().setStringParam("a").build()));
        assertThat(write(parameters)).isEqualTo(json);
    }

    @Test
    void aValueGrpcCannotHoldIsUnconvertibleInARequest() {
        assertThatThrownBy(() -> Parameters.fromJson(JSON.readTree("{\"temperature\":0.7}"), "input 'x'", false))
                .isInstanceOf(Unconvertible.class).hasMessage("parameter 'temperature' of input 'x' is 0.7: over gRPC a"
                        + " parameter is a boolean, a 64-bit integer or a string");
        assertThatThrownBy(() -> Parameters.fromJson(JSON.readTree("[1]"), "the request", false))
                .hasMessage("the parameters of the request must be a JSON object");
    }

    @Test
    void aValueGrpcCannotHoldIsPassedOnAsItsJsonInAReply() throws Exception {
        Map<String, InferParameter> parameters = Parameters.fromJson(
                JSON.readTree("{\"score\":0.5,\"big\":18446744073709551615,\"list\":[1]}"), "the response", true);

        assertThat(parameters.values()).extracting(InferParameter::getStringParam)
                .containsExactly("0.5", "18446744073709551615", "[1]");
    }

    @Test
    void tritonsDoubleAndUnsignedParametersReachRestAsNumbers() throws Exception {
        // tritonclient's InferParameter has double_param = 4 and uint64_param = 5, which KServe's proto lacks
        InferParameter temperature = InferParameter.newBuilder().setUnknownFields(UnknownFieldSet.newBuilder()
                .addField(4, UnknownFieldSet.Field.newBuilder().addFixed64(Double.doubleToLongBits(0.7)).build())
                .build()).build();
        InferParameter seed = InferParameter.parseFrom(InferParameter.newBuilder().setUnknownFields(UnknownFieldSet
                .newBuilder().addField(5, UnknownFieldSet.Field.newBuilder().addVarint(-1L).build()).build()).build()
                .toByteArray());
        Map<String, InferParameter> parameters = new LinkedHashMap<>();
        parameters.put("temperature", temperature);
        parameters.put("seed", seed);
        parameters.put("nothing", InferParameter.getDefaultInstance());

        assertThat(write(parameters)).isEqualTo("{\"temperature\":0.7,\"seed\":18446744073709551615,\"nothing\":null}");
    }

    private static String write(Map<String, InferParameter> parameters) throws Exception {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = new JsonFactory().createGenerator(out)) {
            json.writeStartObject();
            Parameters.writeFields(json, new LinkedHashMap<>(parameters));
            json.writeEndObject();
        }
        return out.toString();
    }
}
