package ilb.protocols.grpc;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ilb.inference.ApiError;
import ilb.protocols.grpc.KServeGrpcCodec.Unconvertible;
import ilb.protocols.grpc.v2.ModelMetadataResponse;
import ilb.protocols.grpc.v2.ServerMetadataResponse;

/**
 * KServe v2 model and server metadata between REST's JSON ({@code {"name", "versions", "platform", "inputs",
 * "outputs"}}, {@code {"name", "version", "extensions"}}) and gRPC's {@code ModelMetadataResponse} and
 * {@code ServerMetadataResponse}. A field a server leaves out is empty.
 */
final class MetadataJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private MetadataJson() {
    }

    static ModelMetadataResponse model(byte[] json) {
        JsonNode model = object(json, "model metadata");
        ModelMetadataResponse.Builder metadata = ModelMetadataResponse.newBuilder()
                .setName(string(model, "name")).setPlatform(string(model, "platform"));
        for (JsonNode version : array(model, "versions")) {
            metadata.addVersions(version.asText());
        }
        for (JsonNode tensor : array(model, "inputs")) {
            metadata.addInputs(tensor(tensor));
        }
        for (JsonNode tensor : array(model, "outputs")) {
            metadata.addOutputs(tensor(tensor));
        }
        return metadata.build();
    }

    static String model(ModelMetadataResponse metadata) {
        ObjectNode model = JSON.createObjectNode().put("name", metadata.getName());
        metadata.getVersionsList().forEach(model.putArray("versions")::add);
        model.put("platform", metadata.getPlatform());
        ArrayNode inputs = model.putArray("inputs");
        metadata.getInputsList().forEach(tensor -> inputs.add(tensor(tensor)));
        ArrayNode outputs = model.putArray("outputs");
        metadata.getOutputsList().forEach(tensor -> outputs.add(tensor(tensor)));
        return model.toString();
    }

    static ServerMetadataResponse server(byte[] json) {
        JsonNode server = object(json, "server metadata");
        ServerMetadataResponse.Builder metadata = ServerMetadataResponse.newBuilder()
                .setName(string(server, "name")).setVersion(string(server, "version"));
        for (JsonNode extension : array(server, "extensions")) {
            metadata.addExtensions(extension.asText());
        }
        return metadata.build();
    }

    static String server(ServerMetadataResponse metadata) {
        ObjectNode server = JSON.createObjectNode().put("name", metadata.getName())
                .put("version", metadata.getVersion());
        metadata.getExtensionsList().forEach(server.putArray("extensions")::add);
        return server.toString();
    }

    private static ModelMetadataResponse.TensorMetadata tensor(JsonNode tensor) {
        if (!tensor.isObject()) {
            throw new Unconvertible("a tensor of the model metadata is not a JSON object: " + tensor);
        }
        ModelMetadataResponse.TensorMetadata.Builder metadata = ModelMetadataResponse.TensorMetadata.newBuilder()
                .setName(string(tensor, "name")).setDatatype(string(tensor, "datatype"));
        // -1: a dimension the model takes at any size
        for (JsonNode dimension : array(tensor, "shape")) {
            if (!dimension.isIntegralNumber() || !dimension.canConvertToLong()) {
                throw new Unconvertible("the shape of tensor '" + metadata.getName() + "' in the model metadata is"
                        + " not a list of integers");
            }
            metadata.addShape(dimension.longValue());
        }
        return metadata.build();
    }

    private static ObjectNode tensor(ModelMetadataResponse.TensorMetadata metadata) {
        ObjectNode tensor = JSON.createObjectNode().put("name", metadata.getName())
                .put("datatype", metadata.getDatatype());
        metadata.getShapeList().forEach(tensor.putArray("shape")::add);
        return tensor;
    }

    private static JsonNode object(byte[] json, String what) {
        try {
            JsonNode node = JSON.readTree(json);
            if (node == null || !node.isObject()) {
                throw new Unconvertible("the " + what + " is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new Unconvertible("the " + what + " is not valid JSON: " + ApiError.firstLine(e.getMessage()));
        }
    }

    private static String string(JsonNode object, String field) {
        JsonNode value = object.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return "";
        }
        if (!value.isTextual()) {
            throw new Unconvertible("'" + field + "' in the metadata is not a string: " + value);
        }
        return value.textValue();
    }

    private static Iterable<JsonNode> array(JsonNode object, String field) {
        JsonNode value = object.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new Unconvertible("'" + field + "' in the metadata is not a list: " + value);
        }
        return value;
    }
}
