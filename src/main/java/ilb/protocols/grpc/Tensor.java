package ilb.protocols.grpc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.google.protobuf.ByteString;
import ilb.protocols.grpc.KServeGrpcCodec.Unconvertible;
import ilb.protocols.grpc.v2.InferParameter;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferResponse;

/**
 * An input or output tensor on its way between the wires: what it is, and its values either typed or raw.
 *
 * @param what       how errors name it ({@code input 'INPUT0'})
 * @param parameters its own, without REST's binary extension ones
 * @param contents   its values typed (FP16 and BF16 in {@code fp32_contents}), or null when raw
 * @param raw        its values raw, or null when typed
 */
record Tensor(String what, String name, Datatype datatype, long[] shape, Map<String, InferParameter> parameters,
        InferTensorContents contents, ByteString raw) {

    /** The inputs of a gRPC request, each with its raw contents if the request has them. */
    static List<Tensor> inputs(ModelInferRequest request) {
        List<Tensor> inputs = new ArrayList<>(request.getInputsCount());
        boolean raw = hasRaw(request.getRawInputContentsCount(), request.getInputsCount(), "raw_input_contents");
        for (int i = 0; i < request.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor input = request.getInputs(i);
            inputs.add(of("input", input.getName(), input.getDatatype(), input.getShapeList(), input.getParametersMap(),
                    input.getContents(), raw ? request.getRawInputContents(i) : null));
        }
        return inputs;
    }

    /** The outputs of a gRPC response, each with its raw contents if the response has them. */
    static List<Tensor> outputs(ModelInferResponse response) {
        List<Tensor> outputs = new ArrayList<>(response.getOutputsCount());
        boolean raw = hasRaw(response.getRawOutputContentsCount(), response.getOutputsCount(), "raw_output_contents");
        for (int i = 0; i < response.getOutputsCount(); i++) {
            ModelInferResponse.InferOutputTensor output = response.getOutputs(i);
            outputs.add(of("output", output.getName(), output.getDatatype(), output.getShapeList(),
                    output.getParametersMap(), output.getContents(), raw ? response.getRawOutputContents(i) : null));
        }
        return outputs;
    }

    /** Its values raw: as they are, or typed ones written raw. */
    ByteString rawContents() {
        return raw != null ? raw : RawTensors.encode(datatype, contents, what);
    }

    /** The tensor as a gRPC request's input: typed contents unless {@code raw} (then the request carries them). */
    ModelInferRequest.InferInputTensor asInput(boolean raw) {
        ModelInferRequest.InferInputTensor.Builder input = ModelInferRequest.InferInputTensor.newBuilder()
                .setName(name).setDatatype(datatype.name()).putAllParameters(parameters);
        for (long dimension : shape) {
            input.addShape(dimension);
        }
        return (raw ? input : input.setContents(contents)).build();
    }

    /** The tensor as a gRPC response's output: typed contents unless {@code raw} (then the response carries them). */
    ModelInferResponse.InferOutputTensor asOutput(boolean raw) {
        ModelInferResponse.InferOutputTensor.Builder output = ModelInferResponse.InferOutputTensor.newBuilder()
                .setName(name).setDatatype(datatype.name()).putAllParameters(parameters);
        for (long dimension : shape) {
            output.addShape(dimension);
        }
        return (raw ? output : output.setContents(contents)).build();
    }

    private static boolean hasRaw(int rawCount, int tensorCount, String field) {
        if (rawCount != 0 && rawCount != tensorCount) {
            throw new Unconvertible("the message has " + rawCount + " " + field + " for " + tensorCount + " tensors");
        }
        return rawCount != 0;
    }

    private static Tensor of(String role, String name, String datatypeName, List<Long> shapeList,
            Map<String, InferParameter> parameters, InferTensorContents contents, ByteString raw) {
        String what = role + " '" + name + "'";
        Datatype datatype = Datatype.of(datatypeName, what);
        if (raw == null && !datatype.holdsAll(contents)) {
            throw new Unconvertible(what + " is " + datatype + ", but has contents in another datatype's field");
        }
        long[] shape = new long[shapeList.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeList.get(i);
        }
        return new Tensor(what, name, datatype, shape, parameters, raw == null ? contents : null, raw);
    }
}
