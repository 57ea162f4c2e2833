package io.jccl.conformance;

import io.jccl.Jccl;
import io.jccl.transport.HostLayout;

/**
 * The conformance suite over the in-process transport with the ranks dealt to two fake hosts in turn (rank r on
 * host r mod 2): from W = 4 on, the flat rings (all-reduce, all-gather, reduce-scatter) visit the ranks host by
 * host ({@link io.jccl.algo.RingOrder}) instead of in rank order, and every check of the suite holds for them too
 * (auto runs the hierarchical all-reduce above the rd limit, as across hosts it does).
 */
class InterleavedHostsConformanceTest extends AbstractConformanceTest {
    @Override
    protected Cluster cluster() {
        return new Cluster() {
            @Override
            public <T> java.util.List<T> run(int worldSize, io.jccl.CommConfig config, Jccl.RankTask<T> task) {
                int[] hosts = new int[worldSize];
                for (int r = 0; r < worldSize; r++) {
                    hosts[r] = r % 2;
                }
                return Jccl.runInProcess(HostLayout.of(hosts), config, task);
            }
        };
    }

    /** From W = 3 some host holds two ranks: above the rd limit auto runs the hierarchical all-reduce. */
    @Override
    protected String autoAllReduce(int w, String flat) {
        return w >= 3 && !flat.equals("rd") ? "hier" : flat;
    }
}
