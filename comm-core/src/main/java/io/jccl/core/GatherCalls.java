package io.jccl.core;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.algo.Blocks;
import io.jccl.algo.DisseminationBarrier;
import io.jccl.algo.LinearGather;
import io.jccl.algo.LinearScatter;
import io.jccl.algo.OpContext;
import io.jccl.algo.PairwiseAllToAll;
import io.jccl.algo.RingAllGather;
import io.jccl.algo.Steps;
import io.jccl.algo.select.Plan;
import io.jccl.algo.select.Selector;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;


/**
 * Makes the {@link Call}s of the collectives that move data without reducing and have one algorithm each
 * (all-gather(v), gather(v), scatter(v), all-to-all(v), barrier): validates the arguments, binds the buffers and
 * returns a body that runs the algorithm. Issuing threads only.
 */
final class GatherCalls {
    private final CommGroup group;
    private final Bindings bindings;

    GatherCalls(CommGroup group, Bindings bindings) {
        this.group = group;
        this.bindings = bindings;
    }

    /** All-gather under {@code coll} with {@code root} in its header (-1, or a coalesced call's layout). */
    Call allGather(Collective coll, int root, CommBuffer send, CommBuffer recv, long count, DataType type) {
        String what = group.what(coll);
        Validation.checkType(what, type);
        long inBytes = Validation.bytesOf(what, count, 1, type);
        long outBytes = Validation.bytesOf(what, count, group.size(), type);
        boolean inPlace = send == recv;
        Binding d = bindings.bind(what, "recv", recv, outBytes, inPlace, true, 1);
        Binding s = inPlace ? d : bindings.bind(what, "send", send, inBytes, true, false, 0);
        long srcAt = inPlace ? (long) group.rank() * count : 0;
        return new Call(coll, type, null, root, count, s, d, Plan.RING, Selector.ONLY_ALGORITHM) {
            @Override
            void run(OpContext ctx) {
                RingAllGather.run(ctx, s.host(), srcAt, d.host(), count);
            }
        };
    }

    Call allGatherv(CommBuffer send, CommBuffer recv, long[] counts, DataType type) {
        String what = group.what(Collective.ALL_GATHERV);
        Validation.checkType(what, type);
        long[] c = Validation.checkCounts(what, "counts", counts, group.size(), type);
        Blocks blocks = Blocks.of(c);
        int rank = group.rank();
        boolean inPlace = send == recv;
        Binding d = bindings.bind(what, "recv", recv, blocks.total() * type.bytes(), inPlace, true, 1);
        Binding s = inPlace ? d : bindings.bind(what, "send", send, c[rank] * type.bytes(), true, false, 0);
        long srcAt = inPlace ? blocks.offset(rank) : 0;
        return new Call(Collective.ALL_GATHERV, type, null, -1, blocks.total(), s, d,
                Plan.RING, Selector.ONLY_ALGORITHM) {
            @Override
            void run(OpContext ctx) {
                RingAllGather.run(ctx, s.host(), srcAt, d.host(), blocks);
            }
        };
    }

    /** Gather ({@code counts == null}: every block {@code count}) or gather-v. */
    Call gather(Collective coll, CommBuffer send, CommBuffer recv, long count, long[] counts, DataType type,
                int root) {
        String what = group.what(coll);
        BlockLayout layout = rootedLayout(what, count, counts, type, root);
        Blocks blocks = layout.blocks();
        int rank = group.rank();
        boolean inPlace = send == recv;
        boolean isRoot = rank == root;
        Binding d = isRoot ? bindings.bind(what, "recv", recv, blocks.total() * type.bytes(), inPlace, true, 1) : null;
        Binding s = inPlace && isRoot ? d
                : bindings.bind(what, "send", send, blocks.count(rank) * type.bytes(), true, false, 0);
        long srcAt = inPlace && isRoot ? blocks.offset(rank) : 0;
        return new Call(coll, type, null, root, layout.headerCount(), s, d, Plan.LINEAR, Selector.ONLY_ALGORITHM) {
            @Override
            void run(OpContext ctx) {
                LinearGather.run(ctx, s.host(), srcAt, d == null ? null : d.host(), blocks, root, 1);
            }
        };
    }

    /** Scatter ({@code counts == null}: every block {@code count}) or scatter-v. */
    Call scatter(Collective coll, CommBuffer send, CommBuffer recv, long count, long[] counts, DataType type,
                 int root) {
        String what = group.what(coll);
        BlockLayout layout = rootedLayout(what, count, counts, type, root);
        Blocks blocks = layout.blocks();
        int rank = group.rank();
        boolean isRoot = rank == root;
        boolean inPlace = send == recv && isRoot;
        Binding s = isRoot ? bindings.bind(what, "send", send, blocks.total() * type.bytes(), true, false, 0) : null;
        Binding d = inPlace ? s
                : bindings.bind(what, "recv", recv, blocks.count(rank) * type.bytes(), false, true, 1);
        long dstAt = inPlace ? blocks.offset(rank) : 0;
        return new Call(coll, type, null, root, layout.headerCount(), s, d, Plan.LINEAR, Selector.ONLY_ALGORITHM) {
            @Override
            void run(OpContext ctx) {
                LinearScatter.run(ctx, s == null ? null : s.host(), d.host(), dstAt, blocks, root);
            }
        };
    }

    /**
     * The blocks of a gather or scatter ({@code counts == null}: every block {@code count}) to or from {@code root}.
     *
     * @throws InvalidUsageException naming {@code what} when the type, the root or the counts are invalid
     */
    private BlockLayout rootedLayout(String what, long count, long[] counts, DataType type, int root) {
        Validation.checkType(what, type);
        Validation.checkRoot(what, root, group.size());
        return BlockLayout.of(what, count, counts, group.size(), type);
    }

    /** All-to-all ({@code sendCounts == null}: every block {@code count}) or all-to-all-v. */
    Call allToAll(Collective coll, CommBuffer send, long[] sendCounts, CommBuffer recv, long[] recvCounts,
                  long count, DataType type) {
        String what = group.what(coll);
        Validation.checkType(what, type);
        int rank = group.rank();
        int size = group.size();
        boolean v = coll == Collective.ALL_TO_ALLV;
        Blocks out;
        Blocks in;
        long headerCount;
        if (!v) {
            out = BlockLayout.of(what, count, null, size, type).blocks();
            in = out;
            headerCount = count;
        } else {
            out = Blocks.of(Validation.checkCounts(what, "sendCounts", sendCounts, size, type));
            in = Blocks.of(Validation.checkCounts(what, "recvCounts", recvCounts, size, type));
            if (out.count(rank) != in.count(rank)) {
                throw new InvalidUsageException(what + ": sendCounts[" + rank + "]=" + out.count(rank)
                        + " differs from recvCounts[" + rank + "]=" + in.count(rank) + " (this rank's own block)");
            }
            headerCount = -1; // per-rank counts differ legitimately; each block's frames carry its own count
        }
        long outBytes = out.total() * type.bytes();
        long inBytes = in.total() * type.bytes();
        boolean inPlace = send == recv;
        Binding d = bindings.bind(what, "recv", recv, inPlace ? Math.max(outBytes, inBytes) : inBytes, inPlace,
                true, 1);
        Binding s = inPlace ? d : bindings.bind(what, "send", send, outBytes, true, false, 0);
        return new Call(coll, type, null, -1, headerCount, s, d, Plan.PAIRWISE, Selector.ONLY_ALGORITHM) {
            @Override
            void run(OpContext ctx) {
                HostBuffer src = s.host();
                if (inPlace && out.total() > 0 && ctx.size() > 1) {
                    src = ctx.scratch(outBytes);
                    Steps.copy(ctx, d.host(), 0, src, 0, out.total());
                }
                PairwiseAllToAll.run(ctx, src, out, d.host(), in, v);
            }
        };
    }

    Call barrier() {
        return new Call(Collective.BARRIER, DataType.UINT8, null, -1, 0, null, null,
                Plan.DISSEMINATION, Selector.ONLY_ALGORITHM) {
            @Override
            void run(OpContext ctx) {
                DisseminationBarrier.run(ctx);
            }
        };
    }
}
