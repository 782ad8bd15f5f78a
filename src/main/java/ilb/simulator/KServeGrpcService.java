package ilb.simulator;

import ilb.protocols.grpc.GrpcStatuses;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferResponse;
import ilb.protocols.grpc.v2.ModelMetadataRequest;
import ilb.protocols.grpc.v2.ModelMetadataResponse;
import ilb.protocols.grpc.v2.ModelReadyRequest;
import ilb.protocols.grpc.v2.ModelReadyResponse;
import ilb.protocols.grpc.v2.ServerLiveRequest;
import ilb.protocols.grpc.v2.ServerLiveResponse;
import ilb.protocols.grpc.v2.ServerMetadataRequest;
import ilb.protocols.grpc.v2.ServerMetadataResponse;
import ilb.protocols.grpc.v2.ServerReadyRequest;
import ilb.protocols.grpc.v2.ServerReadyResponse;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * KServe v2's {@code inference.GRPCInferenceService} on a simulated backend: the models, checks, faults and engine of
 * its REST KServe path, answered as gRPC messages and statuses. An infer echoes its inputs as outputs (typed contents
 * as typed, raw contents byte for byte) once the engine has run it; a call cancelled or past its deadline leaves
 * the engine.
 */
final class KServeGrpcService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    private final SimulatedBackend backend;
    private final KServeModels models;

    KServeGrpcService(SimulatedBackend backend) {
        this.backend = backend;
        this.models = backend.kserveModels();
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> call) {
        answer(call, ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> call) {
        answer(call, ServerReadyResponse.newBuilder().setReady(true).build());
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> call) {
        answer(call, ServerMetadataResponse.newBuilder().setName(KServeModels.SERVER)
                .setVersion(KServeModels.SERVER_VERSION).build());
    }

    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> call) {
        if (served(request.getName(), request.getVersion(), call)) {
            answer(call, ModelReadyResponse.newBuilder().setReady(true).build());
        }
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> call) {
        if (served(request.getName(), request.getVersion(), call)) {
            answer(call, ModelMetadataResponse.newBuilder().setName(request.getName())
                    .addAllVersions(models.versions()).setPlatform(KServeModels.SERVER)
                    .addInputs(tensor(KServeModels.INPUT)).addOutputs(tensor(KServeModels.OUTPUT)).build());
        }
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> call) {
        if (!served(request.getModelName(), request.getModelVersion(), call)) {
            return;
        }
        backend.countInferenceRequest();
        Faults faults = backend.faults();
        switch (faults.draw()) {
            case HANG -> {
                // never answered: the client's deadline or cancel ends the call
                return;
            }
            case ERROR -> {
                call.onError(Status.fromCode(GrpcStatuses.code(faults.errorStatus))
                        .withDescription("injected failure").asRuntimeException());
                return;
            }
            case RATE_LIMIT -> {
                Metadata trailers = new Metadata();
                // seconds to wait, as the REST path's Retry-After
                trailers.put(GrpcStatuses.RETRY_AFTER, Integer.toString(faults.retryAfterSeconds));
                call.onError(Status.fromCode(GrpcStatuses.code(429)).withDescription("injected rate limit")
                        .asRuntimeException(trailers));
                return;
            }
            default -> {
            }
        }
        String problem = RequestValidation.infer(request);
        if (problem != null) {
            call.onError(Status.INVALID_ARGUMENT.withDescription(problem).asRuntimeException());
            return;
        }
        ModelInferResponse response = echo(request);
        BatchingEngine.Sequence sequence = backend.inferSequence(typedElements(request), () -> answer(call, response));
        // set before the engine can answer: a cancel from now on takes the sequence out
        ((ServerCallStreamObserver<ModelInferResponse>) call).setOnCancelHandler(() -> backend.cancel(sequence));
        backend.submit(sequence);
    }

    /** The answer to an infer: each input as an output named for it, in the version that answers. */
    private ModelInferResponse echo(ModelInferRequest request) {
        ModelInferResponse.Builder response = ModelInferResponse.newBuilder().setModelName(request.getModelName())
                .setModelVersion(models.answering(request.getModelVersion())).setId(request.getId());
        for (ModelInferRequest.InferInputTensor input : request.getInputsList()) {
            ModelInferResponse.InferOutputTensor.Builder output = response.addOutputsBuilder()
                    .setName(KServeModels.outputName(input.getName())).setDatatype(input.getDatatype())
                    .addAllShape(input.getShapeList());
            if (input.hasContents()) {
                output.setContents(input.getContents());
            }
        }
        return response.addAllRawOutputContents(request.getRawInputContentsList()).build();
    }

    /** The elements the engine counts as prompt tokens: typed values, as the REST path counts JSON data; raw, none. */
    private static int typedElements(ModelInferRequest request) {
        long elements = 0;
        for (ModelInferRequest.InferInputTensor input : request.getInputsList()) {
            if (input.hasContents()) {
                elements += RequestValidation.elements(input.getShapeList());
            }
        }
        return (int) Math.min(elements, Integer.MAX_VALUE);
    }

    private boolean served(String model, String version, StreamObserver<?> call) {
        String notFound = models.notFound(model, version);
        if (notFound != null) {
            call.onError(Status.NOT_FOUND.withDescription(notFound).asRuntimeException());
        }
        return notFound == null;
    }

    private static ModelMetadataResponse.TensorMetadata tensor(String name) {
        return ModelMetadataResponse.TensorMetadata.newBuilder().setName(name).setDatatype(KServeModels.DATATYPE)
                .addAllShape(KServeModels.SHAPE).build();
    }

    private static <T> void answer(StreamObserver<T> call, T response) {
        call.onNext(response);
        call.onCompleted();
    }
}
