package ilb.simulator;

import java.util.ArrayList;
import java.util.List;

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

    @Override
    protected void doStart() {
        String llm = "llama-3.1-8b-instruct";
        backends.add(SimulatedBackend.start(new SimulatorOptions().port(9101).models(llm).maxNumSeqs(16)
                .ttftMs(30).itlMs(10).outputTokens(32)));
        backends.add(SimulatedBackend.start(new SimulatorOptions().port(9102).models(llm).maxNumSeqs(16)
                .ttftMs(30).itlMs(10).outputTokens(32)));
        backends.add(SimulatedBackend.start(new SimulatorOptions().port(9103).models(llm).maxNumSeqs(4)
                .ttftMs(300).prefillMsPerToken(1).itlMs(60).outputTokens(32)));
        backends.add(SimulatedBackend.start(new SimulatorOptions().port(9104).models("resnet50").versions("1", "2")
                .ttftMs(5)));
        backends.add(SimulatedBackend.start(new SimulatorOptions().port(9105).protocol(Protocol.GRPC)
                .models("resnet50").versions("1", "2").ttftMs(5)));
        LOG.info("demo fleet up: simulated backends on {} (ilb.demo.fleet=false turns it off)",
                backends.stream().map(SimulatedBackend::url).toList());
    }

    @Override
    protected void doStop() {
        backends.forEach(SimulatedBackend::close);
        backends.clear();
    }
}
