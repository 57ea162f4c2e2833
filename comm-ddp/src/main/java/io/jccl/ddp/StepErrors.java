package io.jccl.ddp;

import io.jccl.InvalidUsageException;

import java.util.List;

/**
 * The reducer's usage errors within a step, worded for the person who wrote the training loop: a buffer that is
 * not a registered gradient, a gradient marked ready twice, and the unused-parameter report (gradients never
 * marked ready in a step, as PyTorch DDP's {@code find_unused_parameters} reports them). Stateless.
 */
final class StepErrors {
    private StepErrors() {
    }

    /** {@code markReady} of something that is not a registered gradient ({@code gradient} may be null). */
    static InvalidUsageException unknown(int rank, Object gradient, Param[] params, boolean hasViews) {
        String what = gradient == null ? "null" : gradient.getClass().getSimpleName() + "@"
                + Integer.toHexString(System.identityHashCode(gradient));
        return new InvalidUsageException("rank=" + rank + " markReady: " + what
                + " is not a gradient registered with this reducer (" + params.length + " registered: "
                + names(List.of(params), 5) + (hasViews ? "; a view must be the one gradientView returns now" : "")
                + ")");
    }

    /** {@code markReady} of {@code p} a second time in step {@code step}. */
    static InvalidUsageException readyTwice(int rank, Param p, long step) {
        return new InvalidUsageException("rank=" + rank + " markReady: gradient '" + p.name
                + "' was already marked ready in this step (step " + step + ")");
    }

    /** {@code finish} of step {@code step} with {@code missing} (of {@code registered}) never marked ready. */
    static InvalidUsageException unused(int rank, List<Param> missing, int registered, long step) {
        return new InvalidUsageException("rank=" + rank + " finish: " + missing.size() + " of "
                + registered + " parameters never became ready in step " + step + ": "
                + names(missing, 20) + " (every rank must markReady every registered gradient each step;"
                + " for parameters unused in this step mark a zero gradient ready, as DDP's"
                + " find_unused_parameters does)");
    }

    /** The first {@code max} names of {@code ps}, comma-separated, then how many more. */
    private static String names(List<Param> ps, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ps.size() && i < max; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(ps.get(i).name);
        }
        if (ps.size() > max) {
            sb.append(", ... (").append(ps.size() - max).append(" more)");
        }
        return sb.toString();
    }

    /** A host-buffer gradient its owner closed, met by {@code what}. */
    static InvalidUsageException closedGradient(int rank, String what, Param p) {
        return new InvalidUsageException("rank=" + rank + " " + what + ": gradient '" + p.name
                + "' is a closed buffer (close it only after the reducer)");
    }
}
