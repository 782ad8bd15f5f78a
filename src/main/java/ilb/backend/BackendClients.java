package ilb.backend;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Supplier;

import ilb.inference.Api;
import ilb.inference.BackendFailure;
import ilb.inference.BackendStream;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.inference.Protocol;
import ilb.protocols.grpc.GrpcStatuses;
import ilb.protocols.grpc.KServeGrpcCodec;
import ilb.protocols.grpc.KServeRpc;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Talks to each backend in its own protocol: everything ilb sends a backend (requests, health checks, metrics
 * scrapes) goes through here. A KServe v2 request goes as it is to a backend that speaks its wire, and converted
 * ({@link KServeGrpcCodec}) to one that does not; an OpenAI request only goes to a backend that speaks HTTP.
 */
final class BackendClients implements AutoCloseable {

    private static final Map<KServeRpc, MethodDescriptor<byte[], byte[]>> CALLS = new EnumMap<>(KServeRpc.class);

    static {
        for (KServeRpc rpc : KServeRpc.values()) {
            CALLS.put(rpc, GrpcBackendClient.onBytes(rpc.method()));
        }
    }

    /** How a request reaches a backend: as it is, in the backend's wire, or not at all. */
    enum Passage {
        /** An HTTP request (OpenAI, KServe REST) to an HTTP backend, as it is. */
        HTTP,
        /** A KServe gRPC request to an HTTP backend, as the REST request it stands for. */
        GRPC_AS_REST,
        /** A KServe gRPC request to a gRPC backend: its message as it is, but for the model and version it names. */
        GRPC,
        /** A KServe REST request to a gRPC backend, as the call it stands for. */
        REST_AS_GRPC,
        /** An OpenAI request to a gRPC backend, which speaks KServe v2 only. */
        NONE;

        static Passage of(Protocol backend, InferenceRequest request) {
            if (backend == Protocol.HTTP) {
                return request.protocol() == Protocol.GRPC ? GRPC_AS_REST : HTTP;
            }
            if (request.protocol() == Protocol.GRPC) {
                return GRPC;
            }
            return request.api() == Api.KSERVE ? REST_AS_GRPC : NONE;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(BackendClients.class);

    private final HttpBackendClient http;
    private final GrpcBackendClient grpc;

    /**
     * @param group            the event loops backend connections run on: best those of the inbound servers
     * @param maxResponseBytes the largest response (not a stream) or response message taken from a backend
     */
    BackendClients(EventLoopGroup group, int maxResponseBytes) {
        this.http = new HttpBackendClient(group, maxResponseBytes);
        this.grpc = new GrpcBackendClient(group, maxResponseBytes);
    }

    /**
     * Sends a request to the backend in the backend's protocol. {@code done} gets exactly one {@link HttpReply},
     * {@link BackendStream} or {@link BackendFailure}, as from {@link HttpBackendClient#send}: a request over gRPC
     * gets its response message as {@code HttpReply(200, content-type application/grpc, <message>)}. A request that
     * cannot be written in the backend's wire ({@link KServeGrpcCodec.Unconvertible}) is answered 400 in KServe's
     * shape ({@code {"error": ...}}), not held against the backend.
     */
    void send(BackendSettings backend, InferenceRequest request, TimeLimits limits, Consumer<InferenceMessage> done) {
        Passage passage = Passage.of(backend.protocol(), request);
        if (passage == Passage.HTTP) {
            http.send(backend, request.method(), request.path(), request.headers(), request.body(), limits,
                    request.clientGone(), done);
            return;
        }
        if (passage == Passage.NONE) {
            done.accept(new BackendFailure(BackendFailure.Kind.REQUEST, "backend " + backend.id()
                    + " speaks KServe v2 over gRPC only: it cannot serve " + request.path()));
            return;
        }
        try {
            if (passage == Passage.GRPC_AS_REST) {
                KServeGrpcCodec.RestCall rest = KServeGrpcCodec.toRest(request);
                http.send(backend, rest.method(), rest.path(), rest.headers(), rest.body(), limits,
                        request.clientGone(), answer -> done.accept(converted(backend, () -> fromRest(request, answer))));
                return;
            }
            KServeRpc rpc = KServeRpc.of(request.method(), request.path());
            if (passage == Passage.GRPC) {
                // the gRPC entry wrote the path of the call it was asked
                grpc.call(backend, CALLS.get(rpc), rpc.namesModel() ? KServeGrpcCodec.withModel(request)
                        : request.body(), request.headers(), limits, request.clientGone(), done);
            } else {
                // Unconvertible, too, for a path that stands for no call
                byte[] message = KServeGrpcCodec.toGrpc(request);
                grpc.call(backend, CALLS.get(rpc), message, request.headers(), limits, request.clientGone(),
                        answer -> done.accept(converted(backend, () -> fromGrpc(request, answer))));
            }
        } catch (KServeGrpcCodec.Unconvertible e) {
            done.accept(GrpcStatuses.reply(Status.INVALID_ARGUMENT.withDescription(e.getMessage())));
        } catch (RuntimeException e) {
            // a fault of the codec's, not of the request's: it fails (never hangs), and says so
            LOG.warn("could not write a request for backend {} in its wire", backend.id(), e);
            done.accept(new BackendFailure(BackendFailure.Kind.REQUEST, "ilb could not write the request for backend "
                    + backend.id() + ": " + e));
        }
    }

    /** {@code convert}'s answer; a failure of ilb's codec, never thrown at the client's connection, as a failure. */
    private static InferenceMessage converted(BackendSettings backend, Supplier<InferenceMessage> convert) {
        try {
            return convert.get();
        } catch (RuntimeException e) {
            LOG.warn("could not read backend {}'s answer in the client's wire", backend.id(), e);
            return new BackendFailure(BackendFailure.Kind.PROTOCOL, "ilb could not convert backend " + backend.id()
                    + "'s answer: " + e);
        }
    }

    /**
     * GETs one of the backend's own paths, its health or metrics path; of a gRPC backend, makes the health call its
     * health path names ({@link GrpcHealthProbe}), answered 200 when up and 503 when not.
     */
    void poll(BackendSettings backend, String path, TimeLimits limits, Consumer<InferenceMessage> done) {
        if (backend.protocol() == Protocol.HTTP) {
            http.send(backend, "GET", path, Map.of(), new byte[0], limits, null, done);
        } else {
            GrpcHealthProbe probe = GrpcHealthProbe.of(path);
            grpc.call(backend, probe.method(), probe.request(), Map.of(), limits, null,
                    answer -> done.accept(probe.judge(answer)));
        }
    }

    /** An endpoint of the backend has started: a gRPC backend's channel is made if it has none. */
    void hold(BackendSettings backend) {
        if (backend.protocol() == Protocol.GRPC) {
            grpc.hold(backend);
        }
    }

    /** An endpoint of the backend has stopped, holding these settings: a channel no endpoint uses is shut down. */
    void release(BackendSettings backend) {
        if (backend.protocol() == Protocol.GRPC) {
            grpc.release(backend);
        }
    }

    /** Where health checks and other periodic work of the backends run. */
    ScheduledExecutorService scheduler() {
        return http.scheduler();
    }

    @Override
    public void close() {
        grpc.close();
        http.close();
    }

    /** An HTTP backend's answer to a request over gRPC, in gRPC. */
    private static InferenceMessage fromRest(InferenceRequest request, InferenceMessage answer) {
        if (answer instanceof BackendStream stream) {
            stream.cancel();
            return new BackendFailure(BackendFailure.Kind.PROTOCOL, "the backend answered a KServe v2 call with a"
                    + " stream");
        }
        // a reply the codec cannot read is the backend's failure, in its answer
        return answer instanceof HttpReply reply ? KServeGrpcCodec.replyFromRest(request, reply) : answer;
    }

    /** A gRPC backend's answer to a REST request, in REST. */
    private static InferenceMessage fromGrpc(InferenceRequest request, InferenceMessage answer) {
        // an error status is in KServe's REST shape already (GrpcStatuses.reply); a response message the codec
        // cannot write in REST, a 502 in its answer
        return answer instanceof HttpReply reply && reply.status() == 200
                ? KServeGrpcCodec.replyFromGrpc(request, reply.body()) : answer;
    }
}
