package ilb.protocols.grpc;

import java.util.concurrent.TimeUnit;

import ilb.admission.ApiKeys;
import ilb.inference.Api;
import ilb.inference.ApiError;
import ilb.inference.ClientGone;
import ilb.inference.EventLoops;
import ilb.inference.ExchangeProperties;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.protocols.InferenceHttpBinding;
import ilb.telemetry.RequestRecord;
import ilb.telemetry.RequestRecords;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One unary call of {@code inference.GRPCInferenceService}: its request message in, one exchange through the route
 * ({@link GrpcCall} its body; the caller, {@link Api#KSERVE} and the call's deadline as properties), its answer
 * ({@link GrpcAnswer}) out. The call is only touched on its connection's event loop, where gRPC calls its listener
 * (the server runs callbacks directly, nothing on the path blocks).
 */
final class InferenceCall extends ServerCall.Listener<byte[]> {

    private static final Logger LOG = LoggerFactory.getLogger(InferenceCall.class);
    private static final Metadata.Key<String> REQUEST_ID = ascii("x-request-id");
    private static final Metadata.Key<String> TRACEPARENT = ascii("traceparent");
    private static final Metadata.Key<String> TRACESTATE = ascii("tracestate");

    private final KServeGrpcConsumer consumer;
    private final KServeRpc rpc;
    private final ServerCall<byte[], byte[]> call;
    private final Metadata metadata;
    private final EventExecutor loop;
    private final ClientGone cancelled;
    /** What the access log and the trace are told of the call; null while neither is on. */
    private final RequestRecord record;
    private byte[] message;
    private boolean answered;
    /** Handed to its route (its request whole): the route's answer then ends its record. */
    private boolean routed;

    private InferenceCall(KServeGrpcConsumer consumer, KServeRpc rpc, ServerCall<byte[], byte[]> call,
            Metadata metadata, EventExecutor loop, RequestRecords records) {
        this.record = record(records, metadata, call.getMethodDescriptor());
        this.consumer = consumer;
        this.rpc = rpc;
        this.call = call;
        this.metadata = metadata;
        this.loop = loop;
        this.cancelled = new ClientGone(loop);
    }

    /** Takes a call that has just started, on its connection's event loop (one of {@code eventLoops}). */
    static ServerCall.Listener<byte[]> start(KServeGrpcConsumer consumer, KServeRpc rpc,
            ServerCall<byte[], byte[]> call, Metadata metadata, EventLoopGroup eventLoops, RequestRecords records) {
        InferenceCall listener = new InferenceCall(consumer, rpc, call, metadata, EventLoops.current(eventLoops),
                records);
        // one message, and a second to tell a client that sends two
        call.request(2);
        return listener;
    }

    /** The record of a call that has just started, from its metadata; null while records are off. */
    static RequestRecord record(RequestRecords records, Metadata metadata, MethodDescriptor<?, ?> method) {
        if (!records.enabled()) {
            return null;
        }
        return records.start(RequestRecord.Entry.GRPC, metadata.get(REQUEST_ID), method.getFullMethodName(),
                metadata.get(TRACEPARENT), metadata.get(TRACESTATE));
    }

    @Override
    public void onMessage(byte[] request) {
        if (message != null) {
            close(Status.INVALID_ARGUMENT.withDescription("a unary call takes one request message, not more"));
            return;
        }
        message = request;
    }

    @Override
    public void onHalfClose() {
        if (answered) {
            return;
        }
        if (message == null) {
            close(Status.INVALID_ARGUMENT.withDescription("the call ended without a request message"));
            return;
        }
        route();
    }

    @Override
    public void onCancel() {
        // the client cancelled, went away, or its deadline passed: a backend call still running is stopped
        cancelled.trySuccess(null);
        if (!routed && !answered) {
            // gone before its request was whole (a deadline while uploading, a message over the limit): no route
            // will answer it, so its record ends here, as the client's going
            answered = true;
            ended();
        }
    }

    private void route() {
        routed = true;
        Exchange exchange = consumer.createExchange(false);
        exchange.setProperty(ExchangeProperties.API, Api.KSERVE);
        if (record != null) {
            exchange.setProperty(ExchangeProperties.RECORD, record);
        }
        ApiKeys.Caller caller = ApiKeyInterceptor.CALLER.get();
        if (caller != null) {
            caller.setOn(exchange);
        }
        Deadline deadline = Context.current().getDeadline();
        if (deadline != null) {
            // the backend call ends by the call's deadline
            exchange.setProperty(ExchangeProperties.DEADLINE_NANOS,
                    System.nanoTime() + deadline.timeRemaining(TimeUnit.NANOSECONDS));
        }
        exchange.getMessage().setBody(new GrpcCall(rpc, message, metadata, cancelled));
        message = null;
        try {
            consumer.createUoW(exchange);
        } catch (Exception e) {
            LOG.warn("cannot start a unit of work for a gRPC call on route {}", consumer.getRouteId(), e);
            consumer.releaseExchange(exchange, false);
            close(Status.INTERNAL.withDescription("ilb failed to handle the request; see its log"));
            return;
        }
        consumer.getAsyncProcessor().process(exchange, doneSync -> {
            GrpcAnswer answer;
            try {
                InferenceMessage ended = ended(exchange);
                RequestRecords.answered(exchange, ended);
                answer = GrpcAnswer.of(rpc, ended, InferenceHttpBinding.served(exchange));
            } catch (RuntimeException e) {
                // a fault of ilb's in writing the answer: the call still ends, never hangs
                LOG.warn("could not answer a gRPC call on route {}", consumer.getRouteId(), e);
                answer = new GrpcAnswer(null, Status.INTERNAL.withDescription("ilb failed to write the answer; see its"
                        + " log"), new Metadata(), new Metadata());
            } finally {
                consumer.doneUoW(exchange);
                consumer.releaseExchange(exchange, false);
            }
            GrpcAnswer ending = answer;
            if (loop.inEventLoop()) {
                answer(ending);
            } else {
                loop.execute(() -> answer(ending));
            }
        });
    }

    /** What the route ended with: its answer, or the error for a route that failed or left none. */
    private static InferenceMessage ended(Exchange exchange) {
        if (exchange.getException() != null) {
            return InferenceHttpBinding.fromException(exchange);
        }
        Object body = exchange.getMessage().getBody();
        if (body instanceof InferenceMessage message && !(body instanceof InferenceRequest)) {
            return message;
        }
        LOG.warn("route {} ended without an inference response (body: {})", exchange.getFromRouteId(),
                body == null ? null : body.getClass().getName());
        return ApiError.internal("the route ended without a response");
    }

    private void answer(GrpcAnswer answer) {
        if (answered || call.isCancelled()) {
            // nobody to answer any more
            ended();
            return;
        }
        answered = true;
        if (answer.message() != null) {
            call.sendHeaders(answer.headers());
            call.sendMessage(answer.message());
        }
        call.close(answer.status(), answer.trailers());
        ended();
    }

    /** A call ilb ends without its route: a message too many or none, or a fault of ilb's. */
    private void close(Status status) {
        if (record != null) {
            record.answered(status.getCode() == Status.Code.INVALID_ARGUMENT
                    ? ApiError.badRequest(status.getDescription()) : ApiError.internal(status.getDescription()), null, 0);
        }
        answer(new GrpcAnswer(null, status, new Metadata(), new Metadata()));
    }

    private void ended() {
        if (record != null) {
            record.end();
        }
    }

    private static Metadata.Key<String> ascii(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }
}
