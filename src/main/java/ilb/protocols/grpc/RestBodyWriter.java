package ilb.protocols.grpc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ByteString;
import ilb.protocols.grpc.v2.InferParameter;

/**
 * A KServe v2 REST infer body being written: its JSON, and with the binary tensor extension the raw tensors after
 * it, copied once into the body when it is done.
 */
final class RestBodyWriter {

    private static final JsonFactory JSON = new JsonFactory();

    /** The body written, and the headers that say what it is. */
    record Body(byte[] bytes, Map<String, String> headers) {
    }

    private final ByteArrayOutputStream jsonBytes = new ByteArrayOutputStream();
    private final List<ByteString> raw = new ArrayList<>();
    /** The JSON being written; the caller writes the body's own fields. */
    final JsonGenerator json;

    RestBodyWriter() {
        try {
            json = JSON.createGenerator(jsonBytes);
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
    }

    /** A {@code parameters} field, if there is one to write: the parameters, and binary_data_output if asked. */
    void parameters(Map<String, InferParameter> parameters, boolean binaryDataOutput) throws IOException {
        if (parameters.isEmpty() && !binaryDataOutput) {
            return;
        }
        json.writeObjectFieldStart("parameters");
        Parameters.writeFields(json, binaryDataOutput ? without(parameters, "binary_data_output") : parameters);
        if (binaryDataOutput) {
            json.writeBooleanField("binary_data_output", true);
        }
        json.writeEndObject();
    }

    /**
     * A tensor: its values in {@code data}, or when {@code inBinary} (or when they are BYTES that JSON cannot carry)
     * raw after the JSON, its {@code binary_data_size} saying how many bytes.
     */
    void tensor(Tensor tensor, boolean inBinary) throws IOException {
        boolean rawAfter = inBinary || !TensorJson.fits(tensor);
        ByteString contents = rawAfter ? tensor.rawContents() : null;
        json.writeStartObject();
        json.writeStringField("name", tensor.name());
        json.writeStringField("datatype", tensor.datatype().name());
        json.writeArrayFieldStart("shape");
        for (long dimension : tensor.shape()) {
            json.writeNumber(dimension);
        }
        json.writeEndArray();
        // a binary_data_size of the sender's own would frame the body wrong: only this writer's counts
        Map<String, InferParameter> parameters = without(tensor.parameters(), "binary_data_size");
        if (!parameters.isEmpty() || rawAfter) {
            json.writeObjectFieldStart("parameters");
            Parameters.writeFields(json, parameters);
            if (rawAfter) {
                json.writeNumberField("binary_data_size", contents.size());
            }
            json.writeEndObject();
        }
        if (rawAfter) {
            raw.add(contents);
        } else {
            json.writeFieldName("data");
            TensorJson.write(json, tensor);
        }
        json.writeEndObject();
    }

    /** The body: its JSON, and its raw tensors after it if any tensor went raw. */
    Body finish() throws IOException {
        json.close();
        byte[] header = jsonBytes.toByteArray();
        Map<String, String> headers = new LinkedHashMap<>();
        if (raw.isEmpty()) {
            headers.put("content-type", "application/json");
            return new Body(header, headers);
        }
        long size = header.length;
        for (ByteString tensor : raw) {
            size += tensor.size();
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new KServeGrpcCodec.Unconvertible("the tensors are too large for one body (" + size + " bytes)");
        }
        byte[] body = new byte[(int) size];
        System.arraycopy(header, 0, body, 0, header.length);
        int offset = header.length;
        for (ByteString tensor : raw) {
            tensor.copyTo(body, offset);
            offset += tensor.size();
        }
        // what Triton and the simulator take and send with the extension
        headers.put("content-type", "application/octet-stream");
        headers.put(RestInference.HEADER_LENGTH, Integer.toString(header.length));
        return new Body(body, headers);
    }

    /** The parameters but one this writer sets itself. */
    private static Map<String, InferParameter> without(Map<String, InferParameter> parameters, String name) {
        if (!parameters.containsKey(name)) {
            return parameters;
        }
        Map<String, InferParameter> others = new LinkedHashMap<>(parameters);
        others.remove(name);
        return others;
    }
}
