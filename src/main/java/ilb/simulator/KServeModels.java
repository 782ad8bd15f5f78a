package ilb.simulator;

import java.util.List;

/**
 * The KServe v2 models a simulated backend serves, the same over REST and gRPC: their names and versions, and what
 * each looks like (any tensors in, echoed out with {@code INPUT} in their names turned into {@code OUTPUT}).
 */
final class KServeModels {

    /** The server's name and version ({@code GET /v2}, {@code ServerMetadata}) and the models' platform. */
    static final String SERVER = "ilb-simulator";
    static final String SERVER_VERSION = "1";
    /** The tensor a model's metadata describes on each side: FP32 of any two dimensions. */
    static final String INPUT = "INPUT0";
    static final String OUTPUT = "OUTPUT0";
    static final String DATATYPE = "FP32";
    static final List<Long> SHAPE = List.of(-1L, -1L);

    private final List<String> models;
    private final List<String> versions;

    KServeModels(List<String> models, List<String> versions) {
        this.models = models;
        this.versions = versions;
    }

    List<String> versions() {
        return versions;
    }

    /**
     * Null when the model is served (in the version, if one is asked), else why not, as KServe's error says it.
     *
     * @param version null or empty (gRPC's unset string) for none
     */
    String notFound(String model, String version) {
        boolean anyVersion = version == null || version.isEmpty();
        if (models.contains(model) && (anyVersion || versions.contains(version))) {
            return null;
        }
        return "model " + model + (anyVersion ? "" : " version " + version) + " not found";
    }

    /** The version that answers: the one asked, or the newest. */
    String answering(String version) {
        return version == null || version.isEmpty() ? versions.get(versions.size() - 1) : version;
    }

    /** The name of the output that echoes an input. */
    static String outputName(String input) {
        return input.replace("INPUT", "OUTPUT");
    }
}
