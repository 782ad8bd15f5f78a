package ilb.protocols.grpc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;

/**
 * Encoded gRPC messages (up to tens of MiB of tensors) read and changed without copying their tensors: parsed with
 * {@code bytes} fields that are views of the encoded array, fields looked for or replaced without decoding the rest.
 */
final class Messages {

    private Messages() {
    }

    /**
     * The message {@code encoded} holds; its {@code bytes} fields (raw tensors) are views of {@code encoded}, which
     * must not change afterwards.
     */
    static <T> T parse(Parser<T> parser, byte[] encoded) throws InvalidProtocolBufferException {
        // a ByteString's input counts as immutable, which aliasing needs; a byte[]'s would not
        CodedInputStream input = UnsafeByteOperations.unsafeWrap(encoded).newCodedInput();
        input.enableAliasing(true);
        return parser.parseFrom(input);
    }

    /**
     * The message with string fields 1 and 2 set to {@code first} and {@code second}: their encodings appended to
     * the message. A protobuf parser keeps the last value it reads of a field that is not repeated (and a message is
     * the concatenation of its fields in any order), so the appended ones replace any earlier, and the rest of the
     * message is untouched: a 64 MiB request is copied once, not decoded and encoded again.
     */
    static byte[] withStrings(byte[] encoded, String first, String second) {
        byte[] firstUtf8 = first.getBytes(StandardCharsets.UTF_8);
        byte[] secondUtf8 = second.getBytes(StandardCharsets.UTF_8);
        int added = CodedOutputStream.computeByteArraySize(1, firstUtf8)
                + CodedOutputStream.computeByteArraySize(2, secondUtf8);
        byte[] result = Arrays.copyOf(encoded, encoded.length + added);
        CodedOutputStream output = CodedOutputStream.newInstance(result, encoded.length, added);
        try {
            // an empty string too, written explicitly: it must replace a version the client named
            output.writeByteArray(1, firstUtf8);
            output.writeByteArray(2, secondUtf8);
            output.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException("the appended fields were measured wrong", e);
        }
        return result;
    }

    /** Whether the message has field {@code number} at its top level (its other fields skipped, not decoded). */
    static boolean has(byte[] encoded, int number) throws InvalidProtocolBufferException {
        CodedInputStream input = CodedInputStream.newInstance(encoded);
        try {
            for (int tag = input.readTag(); tag != 0; tag = input.readTag()) {
                if (WireFormat.getTagFieldNumber(tag) == number) {
                    return true;
                }
                input.skipField(tag);
            }
            return false;
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidProtocolBufferException(e);
        }
    }
}
