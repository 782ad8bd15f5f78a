package ilb.policies;

import java.util.List;

import ilb.backend.Backend;
import ilb.inference.InferenceRequest;

/** One aspect of how well each candidate suits a request, from 0 (best) to 1 (worst); {@link Scored} weighs them. */
interface Scorer {

    /** A score per candidate, in the candidates' order. */
    double[] score(List<Backend> candidates, InferenceRequest request, long nowNanos);
}
