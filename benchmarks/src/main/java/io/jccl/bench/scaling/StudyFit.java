package io.jccl.bench.scaling;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.algo.select.CostFit;
import io.jccl.algo.select.CostModel;
import io.jccl.algo.select.LinkParams;
import io.jccl.bench.tune.Tuner;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code jccl-scaling}'s cost model fitted in the run, on the same ranks, with bin/jccl-tune's probes: the reduce
 * kernel's gamma per W, the two-rank ping-pong for the base link, and the all-reduce at every W = 2..N on the
 * sub-communicators of the first W ranks. Sizes: the x4 grid from 8 B to {@code fitMaxBytes}, and the workload's
 * own all-reduce sizes ({@code work}'s buckets as {@link StudyWire#onWire} gives them, sent as
 * {@link StudyWire#callBytes}; their time per byte is what the study's communication is made of, and it grows past
 * the caches: a second beta, when the fit finds one), probed in the wire type of {@code gradType} gradients. Stateless; {@link #fit} is a collective call.
 */
final class StudyFit {
    private StudyFit() {
    }

    /**
     * Fits the model on every rank of {@code comm} ({@code subs[k]}: the communicator of the first k ranks, null on
     * the others; {@code subs[N]} is {@code comm}); the fit of each W goes into {@code fits}, the tables to
     * {@code out} (null: none).
     */
    static CostModel fit(Communicator comm, Communicator[] subs, ScalingModel.Workload work, StudyWire wire,
                         DataType gradType, long fitMaxBytes, String transport, PrintStream out, Map<Integer, Tuner.WorldFit> fits) {
        int n = comm.size();
        TreeSet<Long> grid = new TreeSet<>();
        for (long s = 8; s <= fitMaxBytes; s *= 4) {
            grid.add(s);
        }
        for (long b : work.buckets()) {
            for (long c : wire.callBytes(b, gradType)) {
                grid.add(c);
            }
        }
        DataType type = wire.wireType(gradType);
        List<Long> sizes = new ArrayList<>(grid);
        try (Tuner tuner = new Tuner(comm, sizes, 20, 5, 0.1, type, true)) {
            if (out != null) {
                out.println("#\n# fitting the cost model in this run (bin/jccl-tune's probes)");
            }
            tuner.warmUp(15000);
            double[] gamma = tuner.gammas(n, 4 << 20, out);
            LinkParams base = new LinkParams(0, 0, gamma[1]);
            if (n >= 2) {
                CostFit.Line pp = tuner.pingPong(out);
                base = new LinkParams(pp.intercept(), pp.slope(), gamma[1]);
            }
            Map<Integer, LinkParams> byWorld = new LinkedHashMap<>();
            Map<Integer, CostModel.Large> large = new LinkedHashMap<>();
            for (int k = 2; k <= n; k++) {
                if (subs[k] != null) {
                    Tuner.WorldFit f = tuner.allReduce(subs[k], gamma[k], out);
                    fits.put(k, f);
                    byWorld.put(k, f.params());
                    if (f.large() != null) {
                        large.put(k, f.large());
                    }
                }
                comm.barrier();
            }
            return new CostModel(base, byWorld, Map.of(), large, Map.of("transport", transport), tuner.sharedHost());
        }
    }
}
