package ilb.simulator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ilb.inference.Protocol;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The small simulated fleet the appliance starts by default, so that it serves requests on a fresh machine with
 * nothing else running: two fast GPU-like servers and a slow CPU-like one for {@code llama-3.1-8b-instruct}
 * (routes/pool-llama.yaml), and two KServe servers with two versions of {@code resnet50}, one over REST and one
 * over gRPC (routes/pool-resnet.yaml).
 * Turned off with {@code ilb.demo.fleet=false}.
 */
public final class DemoFleet extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(DemoFleet.class);

    private final List<SimulatedBackend> backends = new ArrayList<>();

    /** The fleet's servers by the port routes/pool-*.yaml name them at. */
    public static Map<Integer, SimulatorOptions> members() {
        String llm = "llama-3.1-8b-instruct";
        Map<Integer, SimulatorOptions> members = new LinkedHashMap<>();
        members.put(9101, new SimulatorOptions().models(llm).maxNumSeqs(16).ttftMs(30).itlMs(10).outputTokens(32));
        members.put(9102, new SimulatorOptions().models(llm).maxNumSeqs(16).ttftMs(30).itlMs(10).outputTokens(32));
        members.put(9103, new SimulatorOptions().models(llm).maxNumSeqs(4).ttftMs(300).prefillMsPerToken(1).itlMs(60)
                .outputTokens(32));
        members.put(9104, new SimulatorOptions().models("resnet50").versions("1", "2").ttftMs(5));
        members.put(9105, new SimulatorOptions().protocol(Protocol.GRPC).models("resnet50").versions("1", "2")
                .ttftMs(5));
        return members;
    }

    @Override
    protected void doStart() {
        members().forEach((port, options) -> backends.add(SimulatedBackend.start(options.port(port))));
        LOG.info("demo fleet up: simulated backends on {} (ilb.demo.fleet=false turns it off)",
                backends.stream().map(SimulatedBackend::url).toList());
    }

    @Override
    protected void doStop() {
        backends.forEach(SimulatedBackend::close);
        backends.clear();
    }
}
