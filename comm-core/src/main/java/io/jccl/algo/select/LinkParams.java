package io.jccl.algo.select;

import io.jccl.InvalidUsageException;

/**
 * The three numbers of the alpha-beta-gamma cost model (Hockney's alpha-beta model of a message, with a
 * reduction term as in Thakur, Rabenseifner and Gropp, "Optimization of collective communication operations
 * in MPICH", IJHPCA 19(1), 2005): a message of n bytes takes {@code alpha + n beta}, and reducing n bytes into
 * a buffer takes {@code n gamma}.
 *
 * <p>How they are meant on a host shared by several ranks: {@code alpha} is one hop's latency while every
 * rank of the world exchanges with a neighbour at once, {@code beta} the time per byte that one rank sends
 * (and, at the same time, receives) while every rank does, and {@code gamma} the time per byte one rank
 * reduces while every rank does. So they already contain the sharing of cores, memory and the loopback
 * link among the W ranks of the measurement; on a cluster with one rank per host they are the link's.
 *
 * @param alphaSeconds        latency per message, in seconds (&gt;= 0)
 * @param betaSecondsPerByte  time per byte on the wire, in seconds per byte (&gt;= 0); 1 / beta is the
 *                            bandwidth in bytes per second
 * @param gammaSecondsPerByte time per byte reduced (one operand's bytes), in seconds per byte (&gt;= 0)
 */
public record LinkParams(double alphaSeconds, double betaSecondsPerByte, double gammaSecondsPerByte) {
    public LinkParams {
        check("alpha", alphaSeconds);
        check("beta", betaSecondsPerByte);
        check("gamma", gammaSecondsPerByte);
    }

    private static void check(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new InvalidUsageException("cost model: " + name + " must be a finite number >= 0, not " + v);
        }
    }

    /**
     * A link given as a bandwidth and a latency.
     *
     * @param gbitPerSecond link bandwidth in decimal Gbit/s (100 for a 100 GbE NIC)
     * @param latencyMicros one-way latency of a small message in microseconds
     * @param gammaSecondsPerByte reduction time per byte
     */
    public static LinkParams ofLink(double gbitPerSecond, double latencyMicros, double gammaSecondsPerByte) {
        if (!(gbitPerSecond > 0)) {
            throw new InvalidUsageException("link bandwidth must be > 0 Gbit/s, not " + gbitPerSecond);
        }
        return new LinkParams(latencyMicros * 1e-6, 8.0 / (gbitPerSecond * 1e9), gammaSecondsPerByte);
    }

    /** Bandwidth 1 / beta in decimal GB/s (infinite when beta is 0). */
    public double bandwidthGBps() {
        return 1e-9 / betaSecondsPerByte;
    }

    /** Reduction rate 1 / gamma in decimal GB/s (infinite when gamma is 0). */
    public double reduceGBps() {
        return 1e-9 / gammaSecondsPerByte;
    }

    /** The same parameters with alpha replaced. */
    public LinkParams withAlpha(double alpha) {
        return new LinkParams(alpha, betaSecondsPerByte, gammaSecondsPerByte);
    }

    /** The same parameters with beta replaced. */
    public LinkParams withBeta(double beta) {
        return new LinkParams(alphaSeconds, beta, gammaSecondsPerByte);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "alpha=%.3g s (%.2f us), beta=%.3g s/B (%.3f GB/s), gamma=%.3g s/B (%.2f GB/s)",
                alphaSeconds, alphaSeconds * 1e6, betaSecondsPerByte, bandwidthGBps(), gammaSecondsPerByte, reduceGBps());
    }
}
