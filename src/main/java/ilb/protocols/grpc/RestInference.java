package ilb.protocols.grpc;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import ilb.inference.ApiError;
import ilb.protocols.grpc.KServeGrpcCodec.Unconvertible;
import ilb.protocols.grpc.v2.InferParameter;
import ilb.protocols.grpc.v2.InferTensorContents;

/**
 * A KServe v2 REST infer body, request or response, read into {@link Tensor}s: its JSON, or with the binary tensor
 * extension its JSON header and the raw tensors after it (of the tensors with {@code binary_data_size}, in order),
 * each a view of the body. The extension's own parameters are taken out of the tensors' and read here.
 *
 * @param tensors      the request's inputs or the response's outputs
 * @param requested    the outputs a request asks for (none for a response)
 * @param binaryOutput a request's {@code binary_data_output}, or null
 * @param binary       whether some tensor came raw, in the binary extension
 */
record RestInference(String modelName, String modelVersion, String id, Map<String, InferParameter> parameters,
        List<Tensor> tensors, List<Requested> requested, Boolean binaryOutput, boolean binary) {

    /** KServe's binary extension: the body is a JSON header of this many bytes, then the raw tensors. */
    static final String HEADER_LENGTH = "inference-header-content-length";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * An output a request asks for.
     *
     * @param binary its {@code binary_data} parameter, or null
     */
    record Requested(String name, Map<String, InferParameter> parameters, Boolean binary) {
    }

    /**
     * An infer request's body.
     *
     * @param headerLength its {@link #HEADER_LENGTH} header, or null
     * @param withData     false to read only what describes it, its data skipped (tensors then have no values)
     */
    static RestInference request(byte[] body, String headerLength, boolean withData) {
        return read(body, headerLength, true, withData);
    }

    /** An infer response's body; {@code headerLength} its {@link #HEADER_LENGTH} header, or null. */
    static RestInference response(byte[] body, String headerLength) {
        return read(body, headerLength, false, true);
    }

    /**
     * Whether the client of this request wants an output in binary: as it asks for it (the output's
     * {@code binary_data}, else the request's {@code binary_data_output}), else not, as Triton answers: the same
     * request gets the same shape of answer from a REST server and from a gRPC one.
     */
    boolean wantsBinary(String output) {
        for (Requested asked : requested) {
            if (asked.name().equals(output) && asked.binary() != null) {
                return asked.binary();
            }
        }
        return binaryOutput != null && binaryOutput;
    }

    private static RestInference read(byte[] body, String headerLength, boolean request, boolean withData) {
        int jsonLength = jsonLength(headerLength, body.length);
        String kind = request ? "request" : "response";
        Reader reader = new Reader(request, withData);
        try (JsonParser json = JSON.createParser(body, 0, jsonLength < 0 ? body.length : jsonLength)) {
            reader.body(json);
            if (json.nextToken() != null) {
                throw new Unconvertible("unexpected content after the infer " + kind + "'s JSON");
            }
        } catch (JsonProcessingException e) {
            throw new Unconvertible("the infer " + kind + " is not valid JSON: "
                    + ApiError.firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new IllegalStateException("reading from an array cannot fail", e);
        }
        return reader.done(body, jsonLength);
    }

    private static int jsonLength(String header, int bodyLength) {
        if (header == null) {
            return -1;
        }
        try {
            int length = Integer.parseInt(header.trim());
            if (length >= 0 && length <= bodyLength) {
                return length;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new Unconvertible(HEADER_LENGTH + " must be the length of the body's JSON header, at most " + bodyLength);
    }

    /** One body's fields as they come, in whatever order. */
    private static final class Reader {
        private final boolean request;
        private final boolean withData;
        private String modelName;
        private String modelVersion;
        private String id;
        private Map<String, InferParameter> parameters = Map.of();
        private Boolean binaryOutput;
        private final List<Tensor> tensors = new ArrayList<>();
        /** Per tensor, its binary_data_size, or -1. */
        private final List<Long> binarySizes = new ArrayList<>();
        private final List<Requested> requested = new ArrayList<>();

        Reader(boolean request, boolean withData) {
            this.request = request;
            this.withData = withData;
        }

        void body(JsonParser json) throws IOException {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw new Unconvertible("the infer " + (request ? "request" : "response") + " must be a JSON object");
            }
            String tensorsField = request ? "inputs" : "outputs";
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                json.nextToken();
                switch (field) {
                    case "model_name" -> modelName = text(json, field);
                    case "model_version" -> modelVersion = text(json, field);
                    case "id" -> id = text(json, field);
                    case "parameters" -> {
                        ObjectNode object = parameters(json.readValueAsTree(), "the " + kind());
                        JsonNode binary = object.remove("binary_data_output");
                        if (binary != null && request) {
                            binaryOutput = bool(binary, "binary_data_output");
                        }
                        parameters = Parameters.fromJson(object, "the " + kind(), !request);
                    }
                    default -> {
                        if (field.equals(tensorsField)) {
                            each(json, field, () -> tensor(json, tensorsField.substring(0, tensorsField.length() - 1)));
                        } else if (field.equals("outputs") && request) {
                            each(json, field, () -> requested(json));
                        } else {
                            json.skipChildren();
                        }
                    }
                }
            }
            if (tensors.isEmpty() && request) {
                throw new Unconvertible("'inputs' must be a list of one or more tensors");
            }
        }

        RestInference done(byte[] body, int jsonLength) {
            boolean binary = false;
            long offset = jsonLength;
            List<Tensor> complete = new ArrayList<>(tensors.size());
            for (int i = 0; i < tensors.size(); i++) {
                Tensor tensor = tensors.get(i);
                long size = binarySizes.get(i);
                if (size >= 0) {
                    if (jsonLength < 0) {
                        throw new Unconvertible(tensor.what() + " has a binary_data_size, but the body has no "
                                + HEADER_LENGTH + " header: nothing follows its JSON");
                    }
                    if (offset + size > body.length) {
                        throw new Unconvertible("the binary_data_size of the tensors up to " + tensor.what()
                                + " add up to more than the " + (body.length - jsonLength) + " bytes after the JSON");
                    }
                    ByteString raw = UnsafeByteOperations.unsafeWrap(body, (int) offset, (int) size);
                    tensor = new Tensor(tensor.what(), tensor.name(), tensor.datatype(), tensor.shape(),
                            tensor.parameters(), null, raw);
                    offset += size;
                    binary = true;
                } else if (withData && tensor.contents() == null) {
                    throw new Unconvertible(tensor.what() + " has neither 'data' nor a binary_data_size");
                }
                complete.add(tensor);
            }
            if (jsonLength >= 0 && offset != body.length) {
                throw new Unconvertible("the tensors' binary_data_size add up to " + (offset - jsonLength)
                        + " bytes, but " + (body.length - jsonLength) + " follow the JSON");
            }
            return new RestInference(modelName, modelVersion, id, parameters, complete, requested, binaryOutput,
                    binary);
        }

        private void tensor(JsonParser json, String role) throws IOException {
            String what = role + "s[" + tensors.size() + "]";
            if (json.currentToken() != JsonToken.START_OBJECT) {
                throw new Unconvertible(what + " must be a JSON object");
            }
            String name = null;
            String datatype = null;
            long[] shape = null;
            Map<String, InferParameter> tensorParameters = Map.of();
            long binarySize = -1;
            InferTensorContents contents = null;
            JsonNode laterData = null;
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                json.nextToken();
                switch (field) {
                    case "name" -> {
                        name = text(json, what + ".name");
                        what = role + " '" + name + "'";
                    }
                    case "datatype" -> datatype = text(json, what + ".datatype");
                    case "shape" -> shape = shape(json, what);
                    case "parameters" -> {
                        ObjectNode object = parameters(json.readValueAsTree(), what);
                        JsonNode size = object.remove("binary_data_size");
                        if (size != null) {
                            if (!size.isIntegralNumber() || !size.canConvertToInt() || size.intValue() < 0) {
                                throw new Unconvertible("the binary_data_size of " + what
                                        + " must be a non-negative integer");
                            }
                            binarySize = size.intValue();
                        }
                        tensorParameters = Parameters.fromJson(object, what, !request);
                    }
                    case "data" -> {
                        if (!withData) {
                            json.skipChildren();
                        } else if (name != null && datatype != null && shape != null) {
                            contents = TensorJson.read(json, Datatype.of(datatype, what), shape, what);
                        } else {
                            // before what it needs to be read: kept until the tensor's end
                            laterData = json.readValueAsTree();
                        }
                    }
                    default -> json.skipChildren();
                }
            }
            if (name == null || datatype == null || shape == null) {
                throw new Unconvertible(what + " must have a string 'name', a 'shape' and a string 'datatype'");
            }
            Datatype type = Datatype.of(datatype, what);
            if (laterData != null && binarySize < 0) {
                try (JsonParser data = laterData.traverse(JSON)) {
                    data.nextToken();
                    contents = TensorJson.read(data, type, shape, what);
                }
            }
            tensors.add(new Tensor(what, name, type, shape, tensorParameters, contents, null));
            binarySizes.add(binarySize);
        }

        private void requested(JsonParser json) throws IOException {
            JsonNode output = json.readValueAsTree();
            if (!output.isObject()) {
                throw new Unconvertible("outputs[" + requested.size() + "] must be a JSON object");
            }
            JsonNode name = output.path("name");
            if (!name.isTextual()) {
                throw new Unconvertible("outputs[" + requested.size() + "] must have a string 'name'");
            }
            String what = "output '" + name.textValue() + "'";
            JsonNode parameters = output.path("parameters");
            if (parameters.isMissingNode()) {
                requested.add(new Requested(name.textValue(), Map.of(), null));
                return;
            }
            ObjectNode object = parameters(parameters, what);
            JsonNode binary = object.remove("binary_data");
            requested.add(new Requested(name.textValue(), Parameters.fromJson(object, what, false),
                    binary == null ? null : bool(binary, "binary_data of " + what)));
        }

        private String kind() {
            return request ? "request" : "response";
        }
    }

    private interface Item {
        void read() throws IOException;
    }

    /** Reads each item of the array the parser is at. */
    private static void each(JsonParser json, String field, Item item) throws IOException {
        if (json.currentToken() != JsonToken.START_ARRAY) {
            throw new Unconvertible("'" + field + "' must be a list");
        }
        while (json.nextToken() != JsonToken.END_ARRAY) {
            item.read();
        }
    }

    private static String text(JsonParser json, String what) throws IOException {
        if (json.currentToken() != JsonToken.VALUE_STRING) {
            throw new Unconvertible("'" + what + "' must be a string");
        }
        return json.getText();
    }

    private static ObjectNode parameters(JsonNode node, String what) {
        if (!(node instanceof ObjectNode object)) {
            throw new Unconvertible("the parameters of " + what + " must be a JSON object");
        }
        return object;
    }

    private static boolean bool(JsonNode node, String what) {
        if (!node.isBoolean()) {
            throw new Unconvertible(what + " must be true or false");
        }
        return node.booleanValue();
    }

    private static long[] shape(JsonParser json, String what) throws IOException {
        if (json.currentToken() != JsonToken.START_ARRAY) {
            throw new Unconvertible("the shape of " + what + " must be a list of non-negative integers");
        }
        List<Long> dimensions = new ArrayList<>();
        while (json.nextToken() != JsonToken.END_ARRAY) {
            if (json.currentToken() != JsonToken.VALUE_NUMBER_INT || json.getLongValue() < 0) {
                throw new Unconvertible("the shape of " + what + " must be a list of non-negative integers");
            }
            dimensions.add(json.getLongValue());
        }
        long[] shape = new long[dimensions.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dimensions.get(i);
        }
        return shape;
    }
}
