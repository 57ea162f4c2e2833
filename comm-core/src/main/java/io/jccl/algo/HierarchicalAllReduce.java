package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.HostLayout;
import io.jccl.transport.PeerLink;

import static io.jccl.algo.Partition.chunkCount;
import static io.jccl.algo.Partition.chunkOffset;
import static io.jccl.algo.Partition.mod;

/**
 * Two-level all-reduce over the hosts of {@link OpContext#layout()}: a ring reduce-scatter inside each host, then
 * one ring all-reduce per local rank across the hosts, all running at once, each on its own slice, then a ring
 * all-gather inside each host. This is Horovod's hierarchical all-reduce ({@code HOROVOD_HIERARCHICAL_ALLREDUCE})
 * and the shape of NCCL's per-channel rings, which enter and leave each node once per channel; only the host link
 * carries the cross-host traffic, once per byte instead of the flat ring's (W-1)/W x 2 per rank spread over
 * however many host-crossing hops the ring has.
 *
 * <ul>
 *   <li>Slices: with K = the fewest ranks on any host, the buffer is cut into K slices (chunks of count / K);
 *       local rank j &lt; K of every host owns slice j, and local ranks &ge; K (on hosts with more ranks) own
 *       nothing: they take part in the two phases inside their host only. So uneven hosts work; a host of one
 *       rank makes K = 1 (one ring across hosts, reduce and broadcast inside the others).</li>
 *   <li>Steps: (L-1) inside the host, 2(H-1) across hosts (local rank &lt; K only), (L-1) inside again, with L the
 *       ranks of this host and H the hosts; each run travels as segments, pipelined within a phase.</li>
 *   <li>Pieces: a call of at least 16 segments on several hosts with several ranks on some host runs the three
 *       phases once per piece (up to {@link #MAX_PIECES}, each at least {@link #SEGMENTS_PER_PIECE} segments),
 *       software-pipelined as NCCL pipelines its channels' chunks: a piece's reduce-scatter inside the host runs
 *       while the previous piece's bytes cross the host link, and its all-gather inside the host while the next
 *       piece's do, so the link between hosts, the slowest, is seldom idle.</li>
 *   <li>Bytes per rank of a host of L ranks (n = count x element size): 2 (L-1)/L n on the link inside the host,
 *       2 (H-1)/H n / K across hosts. For 2 hosts x 2 ranks: n across hosts per rank against the flat ring's
 *       1.5 n on the host link.</li>
 *   <li>Cost: 2(L-1) a_i + 2(L-1)/L n b_i + (L-1)/L n g + 2(H-1) a_x + 2(H-1)/H (n/K) b_x + (H-1)/H (n/K) g
 *       ({@code CollectiveCosts.hierarchicalAllReduce}).</li>
 *   <li>Every rank receives the same bits: each slice is finished by its ring across hosts, whose members all
 *       receive the bits the ring made, then copied inside each host. The same (layout, count, segment size) gives
 *       the same bits on every run.</li>
 *   <li>Degenerate cases: W=1 copies; count 0 sends nothing; one host runs the intra-host phases only (a ring
 *       all-reduce); one rank per host runs the cross-host ring only; count &lt; K leaves slices empty.</li>
 * </ul>
 *
 * <p>Tag phases: 0 the reduce-scatter inside the host, 1 and 2 the reduce-scatter and all-gather across hosts, 3
 * the all-gather inside the host (the links inside and across hosts never coincide). Threading: the operation's
 * thread only.
 */
public final class HierarchicalAllReduce {
    private static final int PHASE_INTRA_RS = 0;
    private static final int PHASE_INTER_RS = 1;
    private static final int PHASE_INTER_AG = 2;
    private static final int PHASE_INTRA_AG = 3;

    /** The most pieces a call is cut into. */
    static final int MAX_PIECES = 8;
    /** The fewest segments ({@link OpContext#segmentElements()}) in a piece, so that each phase still pipelines. */
    static final int SEGMENTS_PER_PIECE = 8;

    private HierarchicalAllReduce() {
    }

    /** Runs the all-reduce of {@code count} elements from {@code src} into {@code dst} (the same buffer in place). */
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
        if (Steps.withoutPeers(ctx, src, dst, count)) {
            return;
        }
        HostLayout hosts = ctx.layout();
        int r = ctx.rank();
        int host = hosts.host(r);
        int local = hosts.localRank(r);
        int l = hosts.localSize(r);
        int k = hosts.minLocalSize();
        int pieces = pieces(hosts, count, ctx.segmentElements());
        int stride = ctx.size(); // more steps than any phase takes: the step base of piece p is p x stride
        Phases run = new Phases(ctx, hosts, host, local, l, k, src, dst, count, pieces, stride);
        if (l > 1) {
            // staged input is read piece by piece, each piece's blocks in the ring's order: its copies queue so
            for (int p = 0; p < pieces; p++) {
                run.prefetch(p);
            }
        }
        // piece p: reduce-scatter inside (p), [across: first send (p), the rest (p)], all-gather inside (p), with
        // piece p+1's reduce-scatter inside before piece p's wait across and piece p+1's first send across before
        // piece p's all-gather inside
        run.intraReduceScatter(0);
        long sent = local < k ? run.acrossStart(0) : 0;
        for (int p = 0; p < pieces; p++) {
            if (p + 1 < pieces) {
                run.intraReduceScatter(p + 1);
            }
            if (local < k) {
                run.acrossFinish(p, sent);
                sent = p + 1 < pieces ? run.acrossStart(p + 1) : 0;
            }
            if (l > 1) {
                run.intraAllGather(p);
            }
        }
    }

    /**
     * Pieces of a call of {@code count} elements: 1 on one host or with one rank on every host (nothing inside a
     * host to overlap with), else as many as hold {@link #SEGMENTS_PER_PIECE} segments each, at most
     * {@link #MAX_PIECES}. The same on every rank (it depends on the layout and the call only).
     */
    static int pieces(HostLayout hosts, long count, int segmentElements) {
        if (hosts.hosts() == 1 || !hosts.hierarchical()) {
            return 1;
        }
        long n = count / ((long) SEGMENTS_PER_PIECE * segmentElements);
        return (int) Math.max(1, Math.min(MAX_PIECES, n));
    }

    /**
     * As {@link #pieces(HostLayout, long, int)} for a call of {@code bytes} bytes in segments of
     * {@code segmentBytes} (the cost model's view: a whole number of elements per segment is not needed there).
     */
    public static int piecesFor(HostLayout hosts, long bytes, long segmentBytes) {
        return pieces(hosts, bytes, (int) Math.max(1, Math.min(Integer.MAX_VALUE, segmentBytes)));
    }

    /** Offset of the block of ring position {@code pos}: slice pos for pos &lt; K, else (empty) the end. */
    private static long blockOffset(long count, int k, int pos) {
        return pos < k ? chunkOffset(count, k, pos) : count;
    }

    private static long blockCount(long count, int k, int pos) {
        return pos < k ? chunkCount(count, k, pos) : 0;
    }

    /** The phases of one call, each run on piece p of the buffer ({@code [at(p), at(p) + n(p))}) at a time. */
    private static final class Phases {
        private final OpContext ctx;
        private final HostLayout hosts;
        private final int host;
        private final int i;
        private final int l;
        private final int k;
        private final HostBuffer src;
        private final HostBuffer dst;
        private final long count;
        private final int pieces;
        private final int stride;

        Phases(OpContext ctx, HostLayout hosts, int host, int local, int l, int k, HostBuffer src, HostBuffer dst,
              long count, int pieces, int stride) {
            this.ctx = ctx;
            this.hosts = hosts;
            this.host = host;
            this.i = local;
            this.l = l;
            this.k = k;
            this.src = src;
            this.dst = dst;
            this.count = count;
            this.pieces = pieces;
            this.stride = stride;
        }

        private long at(int p) {
            return chunkOffset(count, pieces, p);
        }

        private long n(int p) {
            return chunkCount(count, pieces, p);
        }

        /** Announces the reads of piece p's reduce-scatter inside the host: block i-1, i-2, ..., i. */
        void prefetch(int p) {
            long at = at(p);
            long n = n(p);
            for (int t = 1; t <= l; t++) {
                ctx.prefetch(src, at + blockOffset(n, k, mod(i - t, l)), blockCount(n, k, mod(i - t, l)));
            }
        }

        /**
         * Ring reduce-scatter of piece p over the L ranks of this host: position i ends with block i reduced (no
         * AVG yet); with one rank on this host, the piece's copy into dst.
         */
        void intraReduceScatter(int p) {
            long at = at(p);
            long n = n(p);
            if (l == 1) {
                Steps.copy(ctx, src, at, dst, at, n);
                return;
            }
            PeerLink next = ctx.link(hosts.rankAt(host, mod(i + 1, l)));
            PeerLink prev = ctx.link(hosts.rankAt(host, mod(i - 1, l)));
            Primitives q = ctx.primitives(PHASE_INTRA_RS, prev, next).stepBase(p * stride);
            int first = mod(i - 1, l);
            q.send(0, src, at + blockOffset(n, k, first), blockCount(n, k, first));
            for (int t = 0; t < l - 2; t++) {
                int b = mod(i - 2 - t, l);
                q.recvReduceSend(t, t + 1, src, dst, at + blockOffset(n, k, b), blockCount(n, k, b));
            }
            q.recvReduce(l - 2, src, at + blockOffset(n, k, i), dst, at + blockOffset(n, k, i), blockCount(n, k, i),
                    false);
            // the all-gather inside the host overwrites blocks sent above (some from src = dst in place)
            q.awaitSent();
        }

        /** The slice of piece p this rank's ring across hosts reduces: block i of the piece. */
        private long sliceAt(int p) {
            return at(p) + chunkOffset(n(p), k, i);
        }

        private long sliceN(int p) {
            return chunkCount(n(p), k, i);
        }

        /**
         * The first step of piece p's ring all-reduce across hosts (with the ranks of the same local rank on the
         * other hosts): sends this host's chunk of the slice; the send's ticket (0 on one host).
         */
        long acrossStart(int p) {
            int h = hosts.hosts();
            if (h == 1) {
                return 0;
            }
            long at = sliceAt(p);
            long n = sliceN(p);
            PeerLink next = ctx.link(hosts.rankAt(mod(host + 1, h), i));
            return ctx.primitives(PHASE_INTER_RS, null, next).stepBase(p * stride)
                    .send(0, dst, at + chunkOffset(n, h, host), chunkCount(n, h, host));
        }

        /**
         * The rest of piece p's ring all-reduce across hosts, divided for AVG by the world size (the structure of
         * {@link RingAllReduce}, on the slice, reducing in place); {@code firstTicket} is {@link #acrossStart}'s.
         */
        void acrossFinish(int p, long firstTicket) {
            int h = hosts.hosts();
            long at = sliceAt(p);
            long n = sliceN(p);
            if (h == 1) {
                Steps.finishAvg(ctx, dst, at, n);
                return;
            }
            PeerLink next = ctx.link(hosts.rankAt(mod(host + 1, h), i));
            PeerLink prev = ctx.link(hosts.rankAt(mod(host - 1, h), i));
            Primitives rs = ctx.primitives(PHASE_INTER_RS, prev, next).stepBase(p * stride);
            Primitives ag = ctx.primitives(PHASE_INTER_AG, prev, next).stepBase(p * stride);
            long[] rsLastTicket = ctx.tickets(h);
            rsLastTicket[0] = firstTicket;
            for (int s = 0; s < h - 2; s++) {
                int c = mod(host - s - 1, h);
                rsLastTicket[s + 1] = rs.recvReduceSend(s, s + 1, dst, dst, at + chunkOffset(n, h, c),
                        chunkCount(n, h, c));
            }
            int owned = mod(host + 1, h);
            rs.recvReduceCopySend(h - 2, dst, dst, at + chunkOffset(n, h, owned), chunkCount(n, h, owned), ag, 0);
            for (int t = 0; t < h - 1; t++) {
                int c = mod(host - t, h);
                ag.awaitSent(rsLastTicket[t]);
                if (t < h - 2) {
                    ag.recvCopySend(t, t + 1, dst, at + chunkOffset(n, h, c), chunkCount(n, h, c));
                } else {
                    ag.recv(t, dst, at + chunkOffset(n, h, c), chunkCount(n, h, c));
                }
            }
            ag.awaitSent();
        }

        /** Ring all-gather of piece p over the L ranks of this host: position i contributes block i. */
        void intraAllGather(int p) {
            long at = at(p);
            long n = n(p);
            PeerLink next = ctx.link(hosts.rankAt(host, mod(i + 1, l)));
            PeerLink prev = ctx.link(hosts.rankAt(host, mod(i - 1, l)));
            Primitives q = ctx.primitives(PHASE_INTRA_AG, prev, next).stepBase(p * stride);
            q.send(0, dst, at + blockOffset(n, k, i), blockCount(n, k, i));
            for (int t = 0; t < l - 2; t++) {
                int b = mod(i - 1 - t, l);
                q.recvCopySend(t, t + 1, dst, at + blockOffset(n, k, b), blockCount(n, k, b));
            }
            int last = mod(i + 1, l);
            q.recv(l - 2, dst, at + blockOffset(n, k, last), blockCount(n, k, last));
            q.awaitSent();
        }
    }
}
