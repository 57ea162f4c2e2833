package io.jccl.algo;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.transport.ForwardingLink;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Segment;
import io.jccl.transport.local.LocalFabric;
import io.jccl.transport.local.LocalTransport;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The schedule on the wire and the result bits of every algorithm, pinned: each algorithm runs over in-process
 * worlds of W = 1..8 and several counts (a 12-byte segment, so most runs cross segment boundaries), with links
 * that record, per rank and in issue order, every send (peer, tag, bytes, the header's count) and receive (peer,
 * tag); the digest of those logs and of every rank's output is compared with the one recorded from the
 * algorithms as they were before their schedules were rewritten on {@link Primitives} (issue 22). A change of
 * tag, order, size, header or bits changes the digest.
 */
class WireTraceTest {
    private static final DataType F = DataType.FLOAT32;
    private static final long SEGMENT_BYTES = 12;
    private static final long[] COUNTS = {0, 1, 2, 5, 13, 40};

    /** One rank's part of a case. */
    private interface Body {
        void run(OpContext ctx, int rank, int w, long count, HostBuffer src, HostBuffer dst);
    }

    @Test
    void everyAlgorithmKeepsItsTagsOrderAndBits() throws Exception {
        Map<String, String> actual = new LinkedHashMap<>();
        actual.put("ring_all_reduce", digest(Collective.ALL_REDUCE, ReduceOp.SUM, 1, 1, false,
                (ctx, r, w, n, s, d) -> RingAllReduce.run(ctx, s, d, n)));
        actual.put("ring_all_reduce_avg_in_place", digest(Collective.ALL_REDUCE, ReduceOp.AVG, 1, 1, true,
                (ctx, r, w, n, s, d) -> RingAllReduce.run(ctx, s, d, n)));
        actual.put("tree_all_reduce", digest(Collective.ALL_REDUCE, ReduceOp.AVG, 1, 1, false,
                (ctx, r, w, n, s, d) -> TreeAllReduce.run(ctx, s, d, n)));
        actual.put("tree_all_reduce_in_place", digest(Collective.ALL_REDUCE, ReduceOp.MAX, 1, 1, true,
                (ctx, r, w, n, s, d) -> TreeAllReduce.run(ctx, s, d, n)));
        actual.put("halving_doubling", digest(Collective.ALL_REDUCE, ReduceOp.AVG, 1, 1, false,
                (ctx, r, w, n, s, d) -> HalvingDoublingAllReduce.run(ctx, s, d, n)));
        actual.put("halving_doubling_in_place", digest(Collective.ALL_REDUCE, ReduceOp.SUM, 1, 1, true,
                (ctx, r, w, n, s, d) -> HalvingDoublingAllReduce.run(ctx, s, d, n)));
        actual.put("recursive_doubling", digest(Collective.ALL_REDUCE, ReduceOp.AVG, 1, 1, false,
                (ctx, r, w, n, s, d) -> RecursiveDoublingAllReduce.run(ctx, s, d, n)));
        actual.put("recursive_doubling_in_place", digest(Collective.ALL_REDUCE, ReduceOp.MIN, 1, 1, true,
                (ctx, r, w, n, s, d) -> RecursiveDoublingAllReduce.run(ctx, s, d, n)));
        actual.put("ring_broadcast", digest(Collective.BROADCAST, null, 1, 1, false,
                (ctx, r, w, n, s, d) -> RingBroadcast.run(ctx, s, d, n, w / 2)));
        actual.put("binomial_broadcast", digest(Collective.BROADCAST, null, 1, 1, false,
                (ctx, r, w, n, s, d) -> BinomialBroadcast.run(ctx, s, d, n, w - 1)));
        actual.put("ring_reduce", digest(Collective.REDUCE, ReduceOp.AVG, 1, 1, false,
                (ctx, r, w, n, s, d) -> RingReduce.run(ctx, s, d, n, w / 2)));
        actual.put("ring_reduce_scatter", digest(Collective.REDUCE_SCATTER, ReduceOp.AVG, 1, 0, false,
                (ctx, r, w, n, s, d) -> RingReduceScatter.run(ctx, s, d, 0, n)));
        actual.put("ring_reduce_scatter_in_place", digest(Collective.REDUCE_SCATTER, ReduceOp.SUM, 1, 1, true,
                (ctx, r, w, n, s, d) -> RingReduceScatter.run(ctx, s, d, r * n, n)));
        actual.put("ring_reduce_scatterv", digest(Collective.REDUCE_SCATTERV, ReduceOp.SUM, 0, 1, false,
                (ctx, r, w, n, s, d) -> RingReduceScatter.run(ctx, s, d, 0, vBlocks(w, n))));
        actual.put("recursive_halving", digest(Collective.REDUCE_SCATTERV, ReduceOp.AVG, 0, 1, false,
                (ctx, r, w, n, s, d) -> {
                    if (Integer.bitCount(w) == 1) {
                        RecursiveHalvingReduceScatter.run(ctx, s, d, 0, vBlocks(w, n));
                    }
                }));
        actual.put("ring_all_gather", digest(Collective.ALL_GATHER, null, 1, 0, false,
                (ctx, r, w, n, s, d) -> RingAllGather.run(ctx, s, 0, d, n)));
        actual.put("ring_all_gatherv_in_place", digest(Collective.ALL_GATHERV, null, 0, 0, true,
                (ctx, r, w, n, s, d) -> {
                    Blocks b = vBlocks(w, n);
                    RingAllGather.run(ctx, d, b.offset(r), d, b);
                }));
        actual.put("deterministic_all_reduce", digest(Collective.ALL_REDUCE, ReduceOp.AVG, 1, 1, false,
                (ctx, r, w, n, s, d) -> DeterministicCollectives.allReduce(ctx, s, d, n)));
        actual.put("deterministic_all_reduce_in_place", digest(Collective.ALL_REDUCE, ReduceOp.SUM, 1, 1, true,
                (ctx, r, w, n, s, d) -> DeterministicCollectives.allReduce(ctx, s, d, n)));
        actual.put("deterministic_reduce", digest(Collective.REDUCE, ReduceOp.SUM, 1, 1, false,
                (ctx, r, w, n, s, d) -> DeterministicCollectives.reduce(ctx, s, d, n, w - 1)));
        actual.put("deterministic_reduce_scatterv", digest(Collective.REDUCE_SCATTERV, ReduceOp.AVG, 0, 1, false,
                (ctx, r, w, n, s, d) -> DeterministicCollectives.reduceScatter(ctx, s, d, 0, vBlocks(w, n))));
        actual.put("linear_gatherv", digest(Collective.GATHERV, null, 0, 0, false,
                (ctx, r, w, n, s, d) -> LinearGather.run(ctx, s, 0, d, vBlocks(w, n), w / 2, 1)));
        actual.put("linear_scatterv", digest(Collective.SCATTERV, null, 0, 0, false,
                (ctx, r, w, n, s, d) -> LinearScatter.run(ctx, s, d, 0, vBlocks(w, n), w / 2)));
        actual.put("pairwise_all_to_all", digest(Collective.ALL_TO_ALL, null, 1, 0, false,
                (ctx, r, w, n, s, d) -> PairwiseAllToAll.run(ctx, s, Blocks.uniform(w, n), d, Blocks.uniform(w, n),
                        false)));
        actual.put("pairwise_all_to_allv", digest(Collective.ALL_TO_ALLV, null, 0, 0, false,
                (ctx, r, w, n, s, d) -> {
                    long[] out = new long[w];
                    long[] in = new long[w];
                    for (int p = 0; p < w; p++) {
                        out[p] = (r * 3L + p + n) % 4;
                        in[p] = (p * 3L + r + n) % 4;
                    }
                    PairwiseAllToAll.run(ctx, s, Blocks.of(out), d, Blocks.of(in), true);
                }));
        actual.put("dissemination_barrier", digest(Collective.BARRIER, null, 0, 0, false,
                (ctx, r, w, n, s, d) -> DisseminationBarrier.run(ctx)));
        actual.put("point_to_point", digest(Collective.SEND_RECV, null, 0, 0, false,
                (ctx, r, w, n, s, d) -> {
                    if (w == 2 && r == 0) {
                        PeerLink l = ctx.link(1);
                        l.awaitSent(PointToPoint.send(ctx, l, s, n), ctx.deadlineNanos());
                    } else if (w == 2) {
                        PointToPoint.recv(ctx.begin(withCount(ctx.header(), OpHeader.ANY_COUNT), ctx.deadlineNanos()),
                                ctx.link(0), d, n);
                    }
                }));
        StringBuilder got = new StringBuilder();
        actual.forEach((k, v) -> got.append(k).append('=').append(v).append('\n'));
        assertEquals(EXPECTED, got.toString());
    }

    /** Recorded from the algorithms before the rewrite on Primitives (commit 633fbb8). */
    private static final String EXPECTED =
            "ring_all_reduce=7079bab655f35c33\n" +
            "ring_all_reduce_avg_in_place=ec06d65b62467d3a\n" +
            "tree_all_reduce=61e3464e08fab666\n" +
            "tree_all_reduce_in_place=495c08378e0d1393\n" +
            "halving_doubling=f1c2d46cbeca2a4a\n" +
            "halving_doubling_in_place=3f28af790b18300\n" +
            "recursive_doubling=47a57ba41c43798d\n" +
            "recursive_doubling_in_place=50d4652c4312fc1e\n" +
            "ring_broadcast=a494988f6369d5cd\n" +
            "binomial_broadcast=8b2bbd44925725ce\n" +
            "ring_reduce=be50bca36cd98262\n" +
            "ring_reduce_scatter=5872b348dd2670cd\n" +
            "ring_reduce_scatter_in_place=788b04d143ba343b\n" +
            "ring_reduce_scatterv=a4766affa2d4333c\n" +
            "recursive_halving=3b02a0081c32d0f7\n" +
            "ring_all_gather=3204bd3e2a89324c\n" +
            "ring_all_gatherv_in_place=cf25b78a76b138cb\n" +
            "deterministic_all_reduce=322b6e8574d8e9a1\n" +
            "deterministic_all_reduce_in_place=be718ad35cbb54b7\n" +
            "deterministic_reduce=eff46c55e297706b\n" +
            "deterministic_reduce_scatterv=3cba71f3f9eb420a\n" +
            "linear_gatherv=4e770b501015f418\n" +
            "linear_scatterv=76fff172a0ac5c73\n" +
            "pairwise_all_to_all=9ae1a0ede4e6d4eb\n" +
            "pairwise_all_to_allv=67539cee82660acb\n" +
            "dissemination_barrier=c2fa3aaf324c7d4\n" +
            "point_to_point=ba7c9e84ba26f38d\n";

    /** Per-rank block counts with zeros and unequal sizes, from {@code n}. */
    private static Blocks vBlocks(int w, long n) {
        long[] c = new long[w];
        for (int b = 0; b < w; b++) {
            c[b] = n == 0 ? 0 : (b * 7L + n) % 5;
        }
        return Blocks.of(c);
    }

    private static OpHeader withCount(OpHeader h, long count) {
        return new OpHeader(h.streamId(), h.seq(), h.collective(), h.type(), h.op(), h.root(), count);
    }

    /**
     * The digest of one algorithm over W = 1..8 and {@link #COUNTS}: its buffers hold {@code srcPer} x W x count
     * and {@code dstPer} x W x count elements (at least count, 5 W and the source's size, for the v layouts),
     * 8 more each; in place runs with one buffer.
     */
    private static String digest(Collective c, ReduceOp op, int srcPer, int dstPer, boolean inPlace, Body body)
            throws Exception {
        long h = 17;
        for (int w = 1; w <= 8; w++) {
            for (long n : COUNTS) {
                long srcElems = Math.max(5L * w, Math.max(n, srcPer * w * n)) + 8;
                long dstElems = Math.max(dstPer * w * n, srcElems) + 8;
                String log = runCase(c, op, w, n, srcElems, dstElems, inPlace, body);
                h = h * 1_000_003L + log.hashCode();
            }
        }
        return Long.toHexString(h);
    }

    private static String runCase(Collective c, ReduceOp op, int w, long n, long srcElems, long dstElems,
                                  boolean inPlace, Body body) throws Exception {
        LocalFabric fabric = new LocalFabric(w);
        ExecutorService pool = Executors.newFixedThreadPool(w);
        try {
            List<Future<String>> ranks = new ArrayList<>();
            for (int rank = 0; rank < w; rank++) {
                int r = rank;
                Callable<String> task = () -> {
                    LocalTransport t = fabric.transport(r);
                    StringBuilder log = new StringBuilder("rank " + r + " w " + w + " n " + n + ":");
                    PeerLink[] links = new PeerLink[w];
                    HostBuffer[] scratch = new HostBuffer[1];
                    OpContext.Links table = (peer, deadline) -> {
                        if (links[peer] == null) {
                            links[peer] = new Recording(t.link(peer, 5, deadline), log);
                        }
                        return links[peer];
                    };
                    OpContext.Scratch scratchPool = bytes -> {
                        if (scratch[0] == null || scratch[0].byteSize() < bytes) {
                            scratch[0] = HostBuffer.allocate(bytes);
                        }
                        return scratch[0];
                    };
                    OpHeader header = new OpHeader(5, 1, c, F, op, -1, n);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    OpContext ctx = new OpContext(header, r, w, deadline, table, scratchPool, SEGMENT_BYTES);
                    ByteBuffer dst = buffer(dstElems, r, 100);
                    ByteBuffer src = inPlace ? dst : buffer(srcElems, r, 0);
                    HostBuffer d = HostBuffer.wrap(dst);
                    body.run(ctx, r, w, n, inPlace ? d : HostBuffer.wrap(src), d);
                    log.append(" out");
                    for (int i = 0; i < dstElems; i++) {
                        log.append(' ').append(Integer.toHexString(dst.getInt(i * 4)));
                    }
                    return log.toString();
                };
                ranks.add(pool.submit(task));
            }
            StringBuilder all = new StringBuilder();
            for (Future<String> f : ranks) {
                all.append(f.get(60, TimeUnit.SECONDS)).append('\n');
            }
            return all.toString();
        } finally {
            pool.shutdownNow();
        }
    }

    /** Values with fractions and signs that differ per rank, so that the order of reduction shows in the bits. */
    private static ByteBuffer buffer(long elems, int rank, int salt) {
        ByteBuffer b = ByteBuffer.allocateDirect((int) elems * 4).order(ByteOrder.nativeOrder());
        for (int i = 0; i < elems; i++) {
            b.putFloat(i * 4, ((rank * 37 + i * 11 + salt) % 23 - 11) / 7.0f + rank * 1e-3f);
        }
        return b;
    }

    /** A link that logs what its rank sends and receives, in the order it does so. */
    private static final class Recording extends ForwardingLink {
        private final StringBuilder log;

        Recording(PeerLink link, StringBuilder log) {
            super(link);
            this.log = log;
        }

        @Override
        public long send(OpHeader header, long tag, ByteBuffer src, int offset, int length) {
            log.append(" S").append(link.peer()).append('/').append(Long.toHexString(tag)).append('/')
                    .append(length).append('/').append(header.count());
            return link.send(header, tag, src, offset, length);
        }

        @Override
        public Segment recv(OpHeader header, long tag, long deadlineNanos) {
            log.append(" R").append(link.peer()).append('/').append(Long.toHexString(tag));
            return link.recv(header, tag, deadlineNanos);
        }
    }
}
