package io.jccl.bench.tune;

import io.jccl.Communicator;
import io.jccl.algo.select.CostModel;
import io.jccl.algo.select.LinkParams;
import io.jccl.transport.HostLayout;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bin/jccl-tune}'s fit on a job whose ranks span several hosts: the cost model's two link classes
 * ({@link CostModel#acrossHosts()}).
 * <ol>
 *   <li>Inside a host: every host's ranks fit at once, each host on a communicator of its own ranks, as
 *       {@link Tuner#fit} does on one host (gamma, ping-pong of its first two ranks, the ring among its L ranks, the
 *       tree's latency); host 0's fit becomes the model's base and W = L parameters. All hosts at once, because in a
 *       job they run their inside phases at once (on emulated hosts they also share the machine's cores).</li>
 *   <li>Across hosts: the first rank of every host (local rank 0), H ranks on a communicator of their own, fit the
 *       ring all-reduce among them (2(H-1) alpha + 2(H-1)/H n beta + (H-1)/H n gamma): one rank per host sends
 *       across at a time, so its beta is the whole link's. The others wait.</li>
 * </ol>
 * With one rank per host there is no inside fit and the base parameters are the link between hosts. A collective
 * call; the model is returned on rank 0 (the one that prints and writes it), null elsewhere.
 */
final class HostLinkFit {
    private HostLinkFit() {
    }

    /** Whether {@code comm} spans several hosts. */
    static boolean applies(Communicator comm) {
        return comm.hostLayout().hosts() > 1;
    }

    /**
     * @param newTuner makes a tuner on a sub-communicator (the probe settings of jccl-tune's command line)
     * @param out      rank 0's output, null elsewhere
     */
    static CostModel fit(Communicator comm, java.util.function.Function<Communicator, Tuner> newTuner, long warmUpMillis,
                         PrintStream out) {
        HostLayout hosts = comm.hostLayout();
        int host = hosts.host(comm.rank());
        if (out != null) {
            out.printf(Locale.ROOT, "# ranks on several hosts (%s): the link inside a host and the link between hosts are"
                    + " fitted apart%n", hosts.describe());
        }
        CostModel inside = null;
        if (hosts.maxLocalSize() > 1) {
            try (Communicator local = comm.split(host, comm.rank())) {
                if (local.size() > 1) {
                    try (Tuner t = newTuner.apply(local)) {
                        inside = t.fit(false, warmUpMillis, host == 0 ? out : null);
                    }
                }
            }
            comm.barrier();
        }
        LinkParams across = null;
        CostModel.Large acrossLarge = null;
        boolean leader = hosts.localRank(comm.rank()) == 0;
        try (Communicator leaders = comm.split(leader ? 0 : -1, comm.rank())) {
            if (leaders != null) {
                try (Tuner t = newTuner.apply(leaders)) {
                    t.warmUp(warmUpMillis / 2);
                    double gamma = t.gammas(1, 4 << 20, out)[1];
                    if (out != null) {
                        out.printf(Locale.ROOT, "#%n# between hosts: the ring among the first rank of each of the %d hosts%n",
                                leaders.size());
                    }
                    // a second beta from 2 sizes on, taken when it cuts their squared error by a quarter: the
                    // small messages of a link between hosts pass at the software's latency (1 Gbit/s tbf with a
                    // 256 KiB burst, emulated: up to 32 KiB about flat, from 128 KiB the link's rate)
                    Tuner.WorldFit f = t.allReduce(leaders, gamma, 2, 0.75, out);
                    across = f.params();
                    acrossLarge = f.large();
                }
            }
        }
        comm.barrier();
        if (out == null) {
            return null;
        }
        if (inside == null) {
            return new CostModel(across, Map.of(), Map.of(), Map.of(), Map.of(), false, across, acrossLarge);
        }
        return new CostModel(inside.base(), inside.byWorld(), inside.treeAlphaByWorld(), inside.largeByWorld(),
                Map.of(), false, across, acrossLarge);
    }
}
