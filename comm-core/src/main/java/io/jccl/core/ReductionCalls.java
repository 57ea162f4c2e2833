package io.jccl.core;

import io.jccl.Collective;
import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.algo.OpContext;
import io.jccl.algo.select.Plan;
import io.jccl.algo.select.Selector;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;

/**
 * Makes the {@link Call}s of the collectives that choose among algorithms (all-reduce, broadcast, reduce,
 * reduce-scatter(v)): validates the arguments, binds the buffers, asks the {@link Selector} for a {@link Plan}
 * and returns a body that runs it; an all-reduce on host buffers made as the last one on the same output binding is
 * that call again. Issuing threads only.
 */
final class ReductionCalls {
    private final CommGroup group;
    private final CommConfig config;
    private final Bindings bindings;
    private final PlanMemo allReducePlans = new PlanMemo();

    ReductionCalls(CommGroup group, CommConfig config, Bindings bindings) {
        this.group = group;
        this.config = config;
        this.bindings = bindings;
    }

    /** All-reduce under {@code coll} with {@code root} in its header (-1, or a coalesced call's layout). */
    Call allReduce(Collective coll, int root, CommBuffer send, CommBuffer recv, long count, DataType type,
                   ReduceOp op) {
        String what = group.what(coll);
        Validation.checkType(what, type);
        Validation.checkOp(what, op);
        long bytes = Validation.bytesOf(what, count, 1, type);
        boolean inPlace = send == recv;
        Binding d = bindings.bind(what, "recv", recv, bytes, inPlace, true, 1);
        Binding s = inPlace ? d : bindings.bind(what, "send", send, bytes, true, false, 0);
        Validation.checkNoPartialOverlap(what, send, recv, bytes);
        Plan plan = allReducePlans.allReduce(config, bytes, group.layout());
        String reason = Selector.why(config, coll);
        Call last = d.lastAllReduce();
        if (last != null && last.sameAs(coll, type, op, root, count, s, d, plan, reason)) {
            return last; // a training loop's call on the same buffers again: made once
        }
        Call call = new Call(coll, type, op, root, count, s, d, plan, reason) {
            @Override
            void run(OpContext ctx) {
                plan.allReduce(ctx, s.host(), d.host(), count);
            }
        };
        if (!d.isStaged() && !s.isStaged()) {
            d.keepAllReduce(call);
        }
        return call;
    }

    Call broadcast(CommBuffer send, CommBuffer recv, long count, DataType type, int root) {
        String what = group.what(Collective.BROADCAST);
        Validation.checkType(what, type);
        Validation.checkRoot(what, root, group.size());
        long bytes = Validation.bytesOf(what, count, 1, type);
        boolean isRoot = group.rank() == root;
        boolean useSend = isRoot && send != recv;
        Binding d = bindings.bind(what, "recv", recv, bytes, isRoot && !useSend, true, 1);
        Binding s = useSend ? bindings.bind(what, "send", send, bytes, true, false, 0) : d;
        if (useSend) {
            Validation.checkNoPartialOverlap(what, send, recv, bytes);
        }
        Plan plan = Selector.broadcast(config, bytes, group.size());
        return new Call(Collective.BROADCAST, type, null, root, count, s, d,
                plan, Selector.why(config, Collective.BROADCAST)) {
            @Override
            void run(OpContext ctx) {
                plan.broadcast(ctx, s.host(), d.host(), count, root);
            }
        };
    }

    Call reduce(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op, int root) {
        String what = group.what(Collective.REDUCE);
        Validation.checkType(what, type);
        Validation.checkOp(what, op);
        Validation.checkRoot(what, root, group.size());
        long bytes = Validation.bytesOf(what, count, 1, type);
        boolean inPlace = send == recv;
        Binding d = group.rank() == root ? bindings.bind(what, "recv", recv, bytes, inPlace, true, 1) : null;
        Binding s = inPlace && d != null ? d : bindings.bind(what, "send", send, bytes, true, false, 0);
        Plan plan = Selector.reduce(config, bytes, group.size());
        return new Call(Collective.REDUCE, type, op, root, count, s, d,
                plan, Selector.why(config, Collective.REDUCE)) {
            @Override
            void run(OpContext ctx) {
                HostBuffer out = d == null ? null : d.host();
                plan.reduce(ctx, s.host(), out, count, root);
            }
        };
    }

    /**
     * Reduce-scatter ({@code counts == null}: every block {@code count}) or reduce-scatter-v, with {@code root}
     * in its header (-1, or a coalesced call's layout).
     */
    Call reduceScatter(Collective coll, int root, CommBuffer send, CommBuffer recv, long count, long[] counts,
                       DataType type, ReduceOp op) {
        String what = group.what(coll);
        Validation.checkType(what, type);
        Validation.checkOp(what, op);
        BlockLayout layout = BlockLayout.of(what, count, counts, group.size(), type);
        io.jccl.algo.Blocks blocks = layout.blocks();
        int rank = group.rank();
        long inBytes = blocks.total() * type.bytes();
        boolean inPlace = send == recv;
        Binding s = bindings.bind(what, "send", send, inBytes, true, inPlace, 0);
        Binding d = inPlace ? s : bindings.bind(what, "recv", recv, blocks.count(rank) * type.bytes(), false, true, 1);
        long dstAt = inPlace ? blocks.offset(rank) : 0;
        Plan plan = Selector.reduceScatter(config, inBytes, group.size());
        return new Call(coll, type, op, root, layout.headerCount(), s, d, plan, Selector.why(config, coll)) {
            @Override
            void run(OpContext ctx) {
                plan.reduceScatter(ctx, s.host(), d.host(), dstAt, blocks);
            }
        };
    }
}
