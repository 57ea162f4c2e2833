package io.jccl.bench.scaling;

import picocli.CommandLine.Option;

/**
 * {@code jccl-scaling}'s options of the prediction past this machine (a picocli mixin): the link and the model
 * to predict for where they are not the ones fitted and measured here, the W grid, and the two questions asked of
 * it (where efficiency falls below a threshold, what link keeps R when compute grows). Units are in the names
 * (Gbit/s, GB/s, us). Set by picocli, then read-only: not thread-safe while it is being parsed.
 */
final class PredictionOptions {
    @Option(names = "--predict-only", description = "no measurement: predictions from the given link and model only")
    boolean predictOnly;

    @Option(names = "--link-gbps", description = "network bandwidth per rank, decimal Gbit/s (default: the fitted link between"
            + " hosts when the model has one, else the fitted two-rank link; 100 with --predict-only)")
    Double linkGbps;

    @Option(names = "--link-latency-us", description = "network latency per message, us (default: as --link-gbps; 25 with"
            + " --predict-only)")
    Double linkLatencyUs;

    @Option(names = "--reduce-gbps", description = "reduction rate, decimal GB/s of one operand (default: the fitted kernel; 100 with --predict-only)")
    Double reduceGBps;

    @Option(names = "--intra-gbps", description = "intra-node link (hierarchical), Gbit/s (default: the fitted link inside a"
            + " host when the model has both links, from bin/jccl-tune on several hosts; else 2400, NVLink-class)")
    Double intraGbps;

    @Option(names = "--intra-latency-us", description = "intra-node latency, us (default: the fitted link inside a host when"
            + " the model has both links; else 3)")
    Double intraLatencyUs;

    @Option(names = "--ranks-per-node", defaultValue = "8", description = "ranks per node for the predictions (default: ${DEFAULT-VALUE})")
    int ranksPerNode;

    @Option(names = "--predict-params", description = "parameters of the predicted model (default: -P; 1e9 with --predict-only)")
    String predictParams;

    @Option(names = "--predict-flops", description = "FLOP per step and rank of the predicted model (default: the measured FLOP scaled by"
            + " the parameters; 6 x params x --tokens with --predict-only)")
    Double predictFlops;

    @Option(names = "--tokens", defaultValue = "16384",
            description = "tokens per rank and step behind --predict-only's default FLOP (6 x params x tokens; default: ${DEFAULT-VALUE})")
    double tokens;

    @Option(names = "--flops-rate", description = "achieved FLOP/s per rank (default: measured at W=1; 1e14 with --predict-only)")
    Double flopsRate;

    @Option(names = "--max-w", defaultValue = "100000", description = "largest W predicted (default: ${DEFAULT-VALUE})")
    int maxW;

    @Option(names = "--threshold", defaultValue = "0.5", description = "report the W where efficiency falls below this (default: ${DEFAULT-VALUE})")
    double threshold;

    @Option(names = "--grow", defaultValue = "1000", description = "compute growth factor of the bandwidth question (default: ${DEFAULT-VALUE})")
    double grow;

    @Option(names = "--grow-at-w", defaultValue = "1024", description = "W at which R is kept in the bandwidth question (default: ${DEFAULT-VALUE})")
    int growAtW;
}
