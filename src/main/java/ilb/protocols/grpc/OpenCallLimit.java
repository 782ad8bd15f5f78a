package ilb.protocols.grpc;

import java.util.concurrent.atomic.AtomicLong;

import io.grpc.Context;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;

/**
 * Holds each open call ({@link OpenCalls}) to {@link OpenCalls#MAX_BYTES} while its bytes arrive; added to the server
 * both as a stream tracer factory and as an interceptor of every call.
 *
 * <p>gRPC's deframer tells a stream's tracer of each piece of a message as it takes it from the connection
 * ({@code inboundWireSize}), long before the message is whole, and ends the stream on a tracer's exception: the
 * stream's buffers are released, the rest of its bytes dropped, the exception's status sent to the client (as
 * trailers, or a reset once the call has answered and its service does not close it). A message too large is so
 * cut off a piece past the cap, not buffered up to maxMessageBytes first. A compressed message is refused before it
 * is inflated: it could inflate to maxMessageBytes out of a few kilobytes, and gRPC inflates it only as the call reads
 * it, where nothing can stop it cleanly.
 *
 * <p>As the interceptor, it keeps that status the call's: a service that closes its call when the call is cancelled
 * (reflection says CANCELLED "client cancelled") closes it with the status it was cut off with instead.
 */
final class OpenCallLimit extends ServerStreamTracer.Factory implements ServerInterceptor {

    /** The framing before each message: its compressed flag and its length. */
    private static final int FRAME_HEADER_BYTES = 5;
    private static final ServerStreamTracer UNLIMITED = new ServerStreamTracer() {
    };
    private static final Context.Key<Received> RECEIVED = Context.key("ilb.openCallReceived");

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        return OpenCalls.isOpen(fullMethodName) ? new Received() : UNLIMITED;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
            ServerCallHandler<Q, A> next) {
        Received received = RECEIVED.get();
        if (received == null) {
            return next.startCall(call, headers);
        }
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                Status cut = received.cut;
                if (cut == null) {
                    super.close(status, trailers);
                } else {
                    super.close(cut, new Metadata());
                }
            }
        }, headers);
    }

    /** What one open call has sent so far, and the status it was cut off with, if it was. */
    private static final class Received extends ServerStreamTracer {

        private final AtomicLong bytes = new AtomicLong();
        private volatile Status cut;

        @Override
        public Context filterContext(Context context) {
            // for the interceptor, which runs in it
            return context.withValue(RECEIVED, this);
        }

        @Override
        public void inboundMessage(int seqNo) {
            add(FRAME_HEADER_BYTES);
        }

        @Override
        public void inboundWireSize(long read) {
            add(read);
        }

        @Override
        public void inboundMessageRead(int seqNo, long optionalWireSize, long optionalUncompressedSize) {
            // told of a whole message before it is handed on; its uncompressed size unknown: it is compressed
            if (optionalUncompressedSize < 0) {
                cutOff(Status.UNIMPLEMENTED.withDescription(OpenCalls.COMPRESSED));
            }
        }

        private void add(long read) {
            if (bytes.addAndGet(read) > OpenCalls.MAX_BYTES) {
                cutOff(Status.RESOURCE_EXHAUSTED.withDescription(OpenCalls.TOO_LARGE));
            }
        }

        private void cutOff(Status status) {
            cut = status;
            throw status.asRuntimeException();
        }
    }
}
