package io.jccl.core;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.algo.select.Plan;
import io.jccl.algo.select.Selector;
import io.jccl.transport.HostLayout;

/**
 * The all-reduce plans a communicator chose under a cost model, by size, so that a training loop (the same sizes at
 * every step) predicts once per size: a prediction prices every plan (90-260 ns on our 2-vCPU VM, on one host and on
 * 2 x 2, and it allocates), where the size thresholds without a model take 3-7 ns. A communicator's configuration, model and hosts do not change,
 * so its plan depends on the size alone. Direct-mapped, {@link #SLOTS} sizes: a size whose slot another size took is
 * predicted again.
 *
 * <p>Issuing thread only; a slot holds one immutable entry, so even a racing reader sees a size with its own plan.
 */
final class PlanMemo {
    /** Sizes kept (a power of two). */
    static final int SLOTS = 64;

    private record Entry(long bytes, Plan plan) {
    }

    private final Entry[] slots = new Entry[SLOTS];

    /** {@link Selector#allReduce(CommConfig, long, HostLayout)}, from the memo where a cost model decides. */
    Plan allReduce(CommConfig config, long bytes, HostLayout hosts) {
        if (config.costModel() == null || config.deterministic() || config.algorithm() != Algorithm.AUTO) {
            return Selector.allReduce(config, bytes, hosts);
        }
        int i = (int) ((bytes * 0x9E3779B97F4A7C15L) >>> (64 - Integer.numberOfTrailingZeros(SLOTS)));
        Entry e = slots[i];
        if (e != null && e.bytes() == bytes) {
            return e.plan();
        }
        Plan p = Selector.allReduce(config, bytes, hosts);
        slots[i] = new Entry(bytes, p);
        return p;
    }
}
