package ilb.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The bodies vLLM and Triton accept, and those they turn away with what is wrong. */
class RequestValidationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A body written with ' for " and HI for a one-message chat. */
    private static JsonNode body(String json) throws Exception {
        return JSON.readTree(json.replace("HI", "'messages':[{'role':'user','content':'hi'}]").replace('\'', '"'));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{'model':'m','messages':[{'role':'user','content':'hi'}]}",
        "{'model':'m','messages':[{'role':'user','content':'hi'}],'max_tokens':8,'stream':true,'n':1}",
        "{'model':'m','messages':[{'role':'user','content':'hi'}],'max_tokens':null,'stream':null,'n':null}",
        "{'model':'m','messages':[{'role':'user','content':'hi'}],'max_completion_tokens':3}",
        "{'model':'m','messages':[{'role':'user','content':[{'type':'text','text':'hi'}]}]}",
        "{'model':'m','messages':[{'role':'user','content':'hi'},{'role':'assistant','content':null,"
                + "'tool_calls':[{'id':'c','type':'function','function':{'name':'f','arguments':'{}'}}]},"
                + "{'role':'tool','tool_call_id':'c','content':'42'}]}",
    })
    void acceptsChats(String json) throws Exception {
        assertThat(RequestValidation.chat(body(json))).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "{} | model: Field required",
        "{'model':7,HI} | model: Input should be a valid string",
        "{'model':'m'} | messages: Field required",
        "{'model':'m','messages':[]} | messages: Input should be a non-empty list",
        "{'model':'m','messages':'hi'} | messages: Input should be a non-empty list",
        "{'model':'m','messages':['hi']} | messages.0: Input should be an object",
        "{'model':'m','messages':[{'content':'hi'}]} | messages.0.role: Input should be a valid string",
        "{'model':'m','messages':[{'role':'user','content':7}]} | messages.0.content: Input should be",
        "{'model':'m','messages':[{'role':'user','content':['hi']}]} | messages.0.content: Input should be",
        "{'model':'m',HI,'max_tokens':0} | max_tokens: Input should be greater",
        "{'model':'m',HI,'max_tokens':-5} | max_tokens: Input should be greater",
        "{'model':'m',HI,'max_tokens':'8'} | max_tokens: Input should be a valid integer",
        "{'model':'m',HI,'max_tokens':2.5} | max_tokens: Input should be a valid integer",
        "{'model':'m',HI,'max_tokens':9999999999} | max_tokens: Input should be a valid integer",
        "{'model':'m',HI,'max_completion_tokens':0} | max_completion_tokens: Input should be greater",
        "{'model':'m',HI,'stream':'yes'} | stream: Input should be a valid boolean",
        "{'model':'m',HI,'n':0} | n: Input should be greater",
    })
    void refusesChats(String json, String problem) throws Exception {
        assertThat(RequestValidation.chat(body(json))).startsWith(problem);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{'model':'m','prompt':'Once upon a time','max_tokens':2}",
        "{'model':'m','prompt':['one','two']}",
        "{'model':'m','prompt':[1,2,3]}",
        "{'model':'m','prompt':[[1,2],[3]],'stream':false}",
    })
    void acceptsCompletions(String json) throws Exception {
        assertThat(RequestValidation.completion(body(json))).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "{'model':'m'} | prompt: Field required",
        "{'model':'m','prompt':7} | prompt: Input should be a string",
        "{'model':'m','prompt':[]} | prompt: Input should be a string",
        "{'model':'m','prompt':['one',2]} | prompt: Input should be a string",
        "{'model':'m','prompt':[1,-2]} | prompt: Input should be a string",
        "{'model':'m','prompt':[[1],[]]} | prompt: Input should be a string",
        "{'model':'m','prompt':[{'text':'hi'}]} | prompt: Input should be a string",
        "{'model':'m','prompt':'hi','n':-1} | n: Input should be greater",
    })
    void refusesCompletions(String json, String problem) throws Exception {
        assertThat(RequestValidation.completion(body(json))).startsWith(problem);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{'model':'m','input':'hello'}",
        "{'model':'m','input':['first','second'],'encoding_format':'base64'}",
        "{'model':'m','input':[101,102]}",
        "{'model':'m','input':[[101],[102,103]]}",
    })
    void acceptsEmbeddings(String json) throws Exception {
        assertThat(RequestValidation.embedding(body(json))).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "{'input':'hello'} | model: Field required",
        "{'model':'m'} | input: Field required",
        "{'model':'m','input':[]} | input: Input should be a string",
        "{'model':'m','input':null} | input: Input should be a string",
        "{'model':'m','input':[true]} | input: Input should be a string",
    })
    void refusesEmbeddings(String json, String problem) throws Exception {
        assertThat(RequestValidation.embedding(body(json))).startsWith(problem);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{'inputs':[{'name':'INPUT0','shape':[1,3],'datatype':'FP32','data':[1,2,3]}]}",
        "{'id':'r1','inputs':[{'name':'INPUT0','shape':[1,3],'datatype':'FP32','data':[1.0,2.0,3.0]}]}",
        "{'inputs':[{'name':'INPUT0','shape':[2,2],'datatype':'INT64','data':[[1,2],[3,4]]}]}",
        "{'inputs':[{'name':'T','shape':[2],'datatype':'BYTES','data':['a','b']},"
                + "{'name':'B','shape':[1],'datatype':'BOOL','data':[true]}]}",
        "{'inputs':[{'name':'E','shape':[0,3],'datatype':'UINT8','data':[]}],'outputs':[{'name':'OUTPUT0'}]}",
    })
    void acceptsInferRequests(String json) throws Exception {
        assertThat(RequestValidation.infer(body(json), -1)).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "{} | Unable to parse 'inputs'",
        "{'inputs':[]} | Unable to parse 'inputs'",
        "{'inputs':{'name':'INPUT0'}} | Unable to parse 'inputs'",
        "{'inputs':[7]} | Unable to parse 'inputs'",
        "{'inputs':[{'shape':[1],'datatype':'FP32','data':[1]}]} | Unable to parse 'name'",
        "{'inputs':[{'name':'I','shape':[1],'datatype':'FLOAT','data':[1]}]} | invalid datatype 'FLOAT' for input 'I'",
        "{'inputs':[{'name':'I','shape':[1],'data':[1]}]} | invalid datatype",
        "{'inputs':[{'name':'I','shape':[1,-3],'datatype':'FP32','data':[1,2,3]}]} | Unable to parse 'shape'",
        "{'inputs':[{'name':'I','shape':'1,3','datatype':'FP32','data':[1,2,3]}]} | Unable to parse 'shape'",
        "{'inputs':[{'name':'I','shape':[1,3],'datatype':'FP32'}]} | Unable to parse 'data' of input 'I'",
        "{'inputs':[{'name':'I','shape':[1,3],'datatype':'FP32','data':'1,2,3'}]} | Unable to parse 'data' of input 'I'",
        "{'inputs':[{'name':'I','shape':[1,3],'datatype':'FP32','data':[1,'2',3]}]} | Unable to parse 'data' of input 'I': expected FP32",
        "{'inputs':[{'name':'I','shape':[2],'datatype':'INT32','data':[1,2.5]}]} | Unable to parse 'data' of input 'I': expected INT32",
        "{'inputs':[{'name':'I','shape':[1],'datatype':'UINT8','data':[-1]}]} | Unable to parse 'data' of input 'I': expected UINT8",
        "{'inputs':[{'name':'I','shape':[1,3],'datatype':'FP32','data':[1,2]}]} | unexpected number of elements 2 for input 'I'",
        "{'inputs':[{'name':'I','shape':[2,2],'datatype':'FP32','data':[[1,2],[3,4],[5]]}]} | unexpected number of elements 5",
    })
    void refusesInferRequests(String json, String problem) throws Exception {
        assertThat(RequestValidation.infer(body(json), -1)).startsWith(problem);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', nullValues = "ok", value = {
        "{'inputs':[{'name':'I','shape':[1,3],'datatype':'FP32','parameters':{'binary_data_size':12}}]} | 12 | ok",
        "{'inputs':[{'name':'I','shape':[2],'datatype':'BYTES','parameters':{'binary_data_size':10}},"
                + "{'name':'J','shape':[1],'datatype':'INT8','data':[1]}]} | 10 | ok",
        "{'inputs':[{'name':'I','shape':[1,3],'datatype':'FP32','parameters':{'binary_data_size':8}}]} | 8 | unexpected total byte size 8",
        "{'inputs':[{'name':'I','shape':[1,3],'datatype':'FP32','parameters':{'binary_data_size':'12'}}]} | 12 | Unable to parse 'binary_data_size'",
        "{'inputs':[{'name':'I','shape':[1,3],'datatype':'FP32','parameters':{'binary_data_size':12}}]} | 16 | the inputs' binary_data_size add up to 12",
        "{'inputs':[{'name':'I','shape':[1,3],'datatype':'FP32'}]} | 12 | Unable to parse 'data'",
    })
    void takesTensorsInTheBinaryExtensionByTheirSize(String json, int binaryBytes, String problem) throws Exception {
        String found = RequestValidation.infer(body(json), binaryBytes);
        if (problem == null) {
            assertThat(found).isNull();
        } else {
            assertThat(found).startsWith(problem);
        }
    }
}
