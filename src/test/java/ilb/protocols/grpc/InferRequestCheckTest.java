package ilb.protocols.grpc;

import com.google.protobuf.ByteString;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferRequest.InferInputTensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The check every ModelInferRequest passes before ilb routes it. */
class InferRequestCheckTest {

    private static final InferInputTensor TYPED = InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
            .addShape(1).addShape(2).setContents(InferTensorContents.newBuilder().addFp32Contents(1).addFp32Contents(2))
            .build();
    private static final InferInputTensor RAW = TYPED.toBuilder().clearContents().build();
    private static final ByteString EIGHT_BYTES = ByteString.copyFrom(new byte[8]);

    @Test
    void wellFormedRequestsPass() {
        ModelInferRequest typed = ModelInferRequest.newBuilder().setModelName("m").addInputs(TYPED).build();
        ModelInferRequest raw = ModelInferRequest.newBuilder().setModelName("m").addInputs(RAW)
                .addInputs(RAW.toBuilder().setName("INPUT1")).addRawInputContents(EIGHT_BYTES)
                .addRawInputContents(EIGHT_BYTES).build();

        assertThat(InferRequestCheck.malformed(typed.toByteArray())).isNull();
        assertThat(InferRequestCheck.malformed(raw.toByteArray())).isNull();
    }

    @Test
    void aRequestWithoutInputsIsMalformed() {
        assertThat(InferRequestCheck.malformed(ModelInferRequest.newBuilder().setModelName("m").build().toByteArray()))
                .isEqualTo("the request must have one or more inputs");
    }

    @Test
    void anInputWithoutANameADatatypeOrAShapeIsMalformed() {
        for (InferInputTensor input : new InferInputTensor[] {TYPED.toBuilder().clearName().build(),
                TYPED.toBuilder().clearDatatype().build(), TYPED.toBuilder().clearShape().build()}) {
            byte[] request = ModelInferRequest.newBuilder().setModelName("m").addInputs(TYPED).addInputs(input).build()
                    .toByteArray();

            assertThat(InferRequestCheck.malformed(request)).as(input.toString())
                    .isEqualTo("inputs[1] must have a name, a datatype and a shape");
        }
    }

    @Test
    void aNegativeDimensionIsMalformed() {
        byte[] request = ModelInferRequest.newBuilder().addInputs(TYPED.toBuilder().addShape(-1)).build().toByteArray();

        assertThat(InferRequestCheck.malformed(request)).isEqualTo("inputs[0].shape must be non-negative integers");
    }

    @Test
    void rawContentsMustBeOnePerInputAndAloneOfTheirInput() {
        byte[] tooFew = ModelInferRequest.newBuilder().addInputs(RAW).addInputs(RAW.toBuilder().setName("INPUT1"))
                .addRawInputContents(EIGHT_BYTES).build().toByteArray();
        byte[] both = ModelInferRequest.newBuilder().addInputs(TYPED).addRawInputContents(EIGHT_BYTES).build()
                .toByteArray();

        assertThat(InferRequestCheck.malformed(tooFew)).isEqualTo(
                "raw_input_contents must hold one entry per input: 2 inputs, 1 raw_input_contents");
        assertThat(InferRequestCheck.malformed(both))
                .isEqualTo("an input's data goes in its contents or in raw_input_contents, not both");
    }

    @Test
    void bytesThatAreNoMessageAreMalformed() {
        // field 1, 127 bytes long, of which one came
        assertThat(InferRequestCheck.malformed(new byte[] {0x0a, 0x7f, 'm'}))
                .startsWith("the request is not a ModelInferRequest message");
        // a model name that is not UTF-8
        assertThat(InferRequestCheck.malformed(new byte[] {0x0a, 0x01, (byte) 0xff}))
                .startsWith("the request is not a ModelInferRequest message");
    }
}
