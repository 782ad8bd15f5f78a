package ilb.protocols.grpc;

import java.io.IOException;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.UnknownFieldSet;
import ilb.protocols.grpc.KServeGrpcCodec.Unconvertible;
import ilb.protocols.grpc.v2.InferParameter;

/**
 * KServe v2 parameters (of a request, a response or a tensor) between REST's JSON object and gRPC's
 * {@code map<string, InferParameter>}: a boolean, a 64-bit integer or a string, both ways; and from gRPC, Triton's
 * double and unsigned 64-bit parameters too (its clients send them).
 */
final class Parameters {

    /** The field numbers of Triton's parameter kinds that KServe's proto lacks. */
    private static final int TRITON_DOUBLE_PARAM = 4;
    private static final int TRITON_UINT64_PARAM = 5;

    private Parameters() {
    }

    /**
     * A JSON object's parameters as gRPC's. A value gRPC cannot hold (a fraction, an object, null...) is the
     * client's mistake in a request ({@code lenient} false: {@link Unconvertible}); in a server's reply it is passed on
     * as its JSON text ({@code lenient} true), since the reply is good but for that.
     */
    static Map<String, InferParameter> fromJson(JsonNode object, String what, boolean lenient) {
        if (!object.isObject()) {
            throw new Unconvertible("the parameters of " + what + " must be a JSON object");
        }
        Map<String, InferParameter> parameters = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : object.properties()) {
            JsonNode value = field.getValue();
            InferParameter.Builder parameter = InferParameter.newBuilder();
            if (value.isBoolean()) {
                parameter.setBoolParam(value.booleanValue());
            } else if (value.isIntegralNumber() && value.canConvertToLong()) {
                parameter.setInt64Param(value.longValue());
            } else if (value.isTextual()) {
                parameter.setStringParam(value.textValue());
            } else if (lenient) {
                parameter.setStringParam(value.toString());
            } else {
                throw new Unconvertible("parameter '" + field.getKey() + "' of " + what + " is " + value
                        + ": over gRPC a parameter is a boolean, a 64-bit integer or a string");
            }
            parameters.put(field.getKey(), parameter.build());
        }
        return parameters;
    }

    /** gRPC parameters as fields of the JSON object being written. */
    static void writeFields(JsonGenerator json, Map<String, InferParameter> parameters) throws IOException {
        for (Map.Entry<String, InferParameter> entry : parameters.entrySet()) {
            json.writeFieldName(entry.getKey());
            InferParameter parameter = entry.getValue();
            switch (parameter.getParameterChoiceCase()) {
                case BOOL_PARAM -> json.writeBoolean(parameter.getBoolParam());
                case INT64_PARAM -> json.writeNumber(parameter.getInt64Param());
                case STRING_PARAM -> json.writeString(parameter.getStringParam());
                case PARAMETERCHOICE_NOT_SET -> writeTritons(json, parameter.getUnknownFields());
            }
        }
    }

    /**
     * A parameter this proto (KServe's) does not name but Triton's does: {@code double_param = 4},
     * {@code uint64_param = 5}; else null.
     */
    private static void writeTritons(JsonGenerator json, UnknownFieldSet fields) throws IOException {
        UnknownFieldSet.Field asDouble = fields.getField(TRITON_DOUBLE_PARAM);
        UnknownFieldSet.Field asUnsigned = fields.getField(TRITON_UINT64_PARAM);
        if (!asDouble.getFixed64List().isEmpty()) {
            json.writeNumber(Double.longBitsToDouble(asDouble.getFixed64List().get(0)));
        } else if (!asUnsigned.getVarintList().isEmpty()) {
            json.writeNumber(new BigInteger(Long.toUnsignedString(asUnsigned.getVarintList().get(0))));
        } else {
            json.writeNull();
        }
    }
}
