package ilb.protocols.grpc;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;

/**
 * A gRPC message as its serialized bytes, neither parsed nor re-encoded: ilb reads of a request only what routing it
 * needs, and passes a backend's response on as it came. Read into an array of its exact length, written from it in
 * one piece.
 */
public enum RawMessage implements MethodDescriptor.Marshaller<byte[]> {
    MARSHALLER;

    @Override
    public InputStream stream(byte[] message) {
        return new Bytes(message);
    }

    @Override
    public byte[] parse(InputStream stream) {
        try {
            // gRPC's own streams know their length: no growing buffer, no copy of a copy
            return stream instanceof KnownLength ? stream.readNBytes(stream.available()) : stream.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lets gRPC frame the message without copying it first to learn its length. */
    private static final class Bytes extends ByteArrayInputStream implements KnownLength, Drainable {

        Bytes(byte[] message) {
            super(message);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int drained = available();
            target.write(buf, pos, drained);
            pos = count;
            return drained;
        }
    }
}
