package ilb.protocols.grpc;

import com.google.protobuf.ByteString;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelReadyRequest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MessagesTest {

    @Test
    void appendedStringsReplaceTheFirstTwoFieldsAndLeaveTheRest() throws Exception {
        byte[] tensor = new byte[1 << 20];
        for (int i = 0; i < tensor.length; i++) {
            tensor[i] = (byte) (i * 31);
        }
        ModelInferRequest original = ModelInferRequest.newBuilder().setModelName("alias").setModelVersion("7")
                .setId("r1").addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("UINT8")
                        .addShape(tensor.length))
                .addRawInputContents(ByteString.copyFrom(tensor)).build();
        byte[] encoded = original.toByteArray();

        byte[] changed = Messages.withStrings(encoded, "resnet", "2");

        ModelInferRequest parsed = ModelInferRequest.parseFrom(changed);
        assertThat(parsed.getModelName()).isEqualTo("resnet");
        assertThat(parsed.getModelVersion()).isEqualTo("2");
        assertThat(parsed.toBuilder().setModelName("alias").setModelVersion("7").build()).isEqualTo(original);
        assertThat(parsed.getRawInputContents(0).toByteArray()).isEqualTo(tensor);
    }

    @Test
    void anEmptyVersionReplacesOneTheClientNamed() throws Exception {
        byte[] encoded = ModelReadyRequest.newBuilder().setName("a").setVersion("3").build().toByteArray();

        ModelReadyRequest parsed = ModelReadyRequest.parseFrom(Messages.withStrings(encoded, "ünïcode", ""));

        assertThat(parsed.getName()).isEqualTo("ünïcode");
        assertThat(parsed.getVersion()).isEmpty();
    }

    @Test
    void findsATopLevelFieldWithoutDecodingTheOthers() throws Exception {
        ModelInferRequest typed = ModelInferRequest.newBuilder().setModelName("m")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("INT32")
                        .addShape(1).setContents(InferTensorContents.newBuilder().addIntContents(1)))
                .build();
        ModelInferRequest raw = typed.toBuilder().setInputs(0, typed.getInputs(0).toBuilder().clearContents())
                .addRawInputContents(ByteString.copyFrom(new byte[4])).build();

        assertThat(Messages.has(typed.toByteArray(), ModelInferRequest.RAW_INPUT_CONTENTS_FIELD_NUMBER)).isFalse();
        assertThat(Messages.has(raw.toByteArray(), ModelInferRequest.RAW_INPUT_CONTENTS_FIELD_NUMBER)).isTrue();
    }

    @Test
    void parsedBytesFieldsAreViewsOfTheEncodedArray() throws Exception {
        byte[] encoded = ModelInferRequest.newBuilder().addRawInputContents(ByteString.copyFromUtf8("abcd")).build()
                .toByteArray();

        ModelInferRequest parsed = Messages.parse(ModelInferRequest.parser(), encoded);
        // a view sees a change to the array; a copy would not
        encoded[encoded.length - 1] = 'z';

        assertThat(parsed.getRawInputContents(0).toStringUtf8()).isEqualTo("abcz");
    }
}
