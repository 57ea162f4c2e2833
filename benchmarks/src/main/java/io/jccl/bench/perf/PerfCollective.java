package io.jccl.bench.perf;

import io.jccl.Collective;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.check.CheckPattern;

import java.util.concurrent.CompletableFuture;
import java.util.function.IntToDoubleFunction;

/**
 * How {@code jccl-perf} sizes, runs and checks one collective, following nccl-tests: the size column is the
 * bytes of the whole operation (all-gather and gather: the gathered output; reduce-scatter and scatter: the
 * full input; all-to-all: one rank's send buffer; sendrecv: one rank's message), and busbw = algbw x factor
 * with the factors of nccl-tests' PERFORMANCE.md: all-reduce 2(W-1)/W; reduce-scatter, all-gather, all-to-all,
 * gather, scatter (W-1)/W; broadcast, reduce, sendrecv 1.
 *
 * <p>Sendrecv is a ring shift as in nccl-tests: each rank sends to r+1 and receives from r-1 (a send posted
 * asynchronously, then the receive). In place it is {@code MPI_Sendrecv_replace}: the buffer is copied to a
 * staging buffer that is sent while the receive overwrites the buffer (the copy is part of the time). With one
 * rank it is a local copy.
 *
 * <p>Not thread-safe; one instance per rank's sweep.
 */
enum PerfCollective {
    ALL_REDUCE(Collective.ALL_REDUCE, w -> 2.0 * (w - 1) / w),
    REDUCE_SCATTER(Collective.REDUCE_SCATTER, w -> (w - 1.0) / w),
    ALL_GATHER(Collective.ALL_GATHER, w -> (w - 1.0) / w),
    BROADCAST(Collective.BROADCAST, w -> 1),
    REDUCE(Collective.REDUCE, w -> 1),
    GATHER(Collective.GATHER, w -> (w - 1.0) / w),
    SCATTER(Collective.SCATTER, w -> (w - 1.0) / w),
    ALL_TO_ALL(Collective.ALL_TO_ALL, w -> (w - 1.0) / w),
    BARRIER(Collective.BARRIER, w -> 0),
    SEND_RECV(Collective.SEND_RECV, w -> 1);

    /** The names {@code -C} accepts, as nccl-tests names its binaries. */
    static final String NAMES = "all_reduce|reduce_scatter|all_gather|broadcast|reduce|gather|scatter|alltoall|barrier"
            + "|sendrecv";

    /** User tag of the sendrecv messages. */
    private static final int TAG = 0;

    final Collective collective;
    private final IntToDoubleFunction busFactor;

    PerfCollective(Collective c, IntToDoubleFunction busFactor) {
        this.collective = c;
        this.busFactor = busFactor;
    }

    /** nccl-tests' bus bandwidth factor at world size {@code w}. */
    double busFactor(int w) {
        return busFactor.applyAsDouble(w);
    }

    boolean reduces() {
        return this == ALL_REDUCE || this == REDUCE_SCATTER || this == REDUCE;
    }

    boolean rooted() {
        return this == BROADCAST || this == REDUCE || this == GATHER || this == SCATTER;
    }

    static PerfCollective parse(String s) {
        String n = s.trim().toLowerCase(java.util.Locale.ROOT).replace("-", "_");
        switch (n) {
            case "all_reduce": case "allreduce": return ALL_REDUCE;
            case "reduce_scatter": case "reducescatter": return REDUCE_SCATTER;
            case "all_gather": case "allgather": return ALL_GATHER;
            case "broadcast": case "bcast": return BROADCAST;
            case "reduce": return REDUCE;
            case "gather": return GATHER;
            case "scatter": return SCATTER;
            case "alltoall": case "all_to_all": case "alltoall_perf": return ALL_TO_ALL;
            case "barrier": return BARRIER;
            case "sendrecv": case "send_recv": return SEND_RECV;
            default:
                throw new IllegalArgumentException("unknown collective '" + s + "': expected " + NAMES + ", a comma-separated list of them, or all");
        }
    }

    /** {@code all}, one name, or a comma-separated list of names, in the order given. */
    static java.util.List<PerfCollective> parseList(String s) {
        if (s.trim().equalsIgnoreCase("all")) {
            return java.util.List.of(values());
        }
        java.util.List<PerfCollective> out = new java.util.ArrayList<>();
        for (String part : s.split(",")) {
            out.add(parse(part));
        }
        return out;
    }

    /** Elements of the whole operation for a size in bytes (a multiple of W where blocks are per rank). */
    long totalCount(long bytes, DataType t, int w) {
        long c = bytes / t.bytes();
        if (this == ALL_GATHER || this == REDUCE_SCATTER || this == GATHER || this == SCATTER || this == ALL_TO_ALL) {
            c = c / w * w;
        }
        return this == BARRIER ? 0 : c;
    }

    /** The buffers of one placement: send and recv (the same object in place), and sendrecv's staging. */
    static final class Buffers implements AutoCloseable {
        final HostBuffer send;
        final HostBuffer recv;
        final HostBuffer stage;

        Buffers(HostBuffer send, HostBuffer recv, HostBuffer stage) {
            this.send = send;
            this.recv = recv;
            this.stage = stage;
        }

        boolean inPlace() {
            return send == recv;
        }

        @Override
        public void close() {
            send.close();
            if (recv != send) {
                recv.close();
            }
            if (stage != null) {
                stage.close();
            }
        }
    }

    Buffers allocate(long total, DataType t, int w, boolean inPlace) {
        long sendCount = this == ALL_GATHER || this == GATHER ? total / w : total;
        long recvCount = this == REDUCE_SCATTER || this == SCATTER ? total / w : total;
        if (inPlace) {
            HostBuffer b = HostBuffer.allocate(Math.max(sendCount, recvCount), t);
            return new Buffers(b, b, this == SEND_RECV ? HostBuffer.allocate(total, t) : null);
        }
        return new Buffers(HostBuffer.allocate(sendCount, t), HostBuffer.allocate(recvCount, t), null);
    }

    /**
     * Fills this rank's input with the check pattern, and the parts of its output that the collective must
     * overwrite with the byte 0x7f (127 for int8, a NaN for fp16, about 3.4e38 for the other floating types:
     * outside the check pattern's values for every type but uint8), so that a result that never arrives counts as
     * wrong.
     */
    void fill(Buffers b, long total, DataType t, ReduceOp op, int rank, int w, int root) {
        if (this == BARRIER) {
            return;
        }
        boolean nonRootTarget = (this == BROADCAST || this == SCATTER) && rank != root;
        if (!b.inPlace() || this == ALL_GATHER || this == GATHER || nonRootTarget) {
            b.recv.fill((byte) 0x7f);
        }
        switch (this) {
            case ALL_GATHER: {
                long n = total / w;
                fillFlat(b.send, t, ReduceOp.MAX, rank, b.inPlace() ? rank * n : 0, n, 0);
                break;
            }
            case GATHER: {
                long n = total / w;
                fillFlat(b.send, t, ReduceOp.MAX, rank, b.inPlace() && rank == root ? rank * n : 0, n, 0);
                break;
            }
            case BROADCAST:
            case SCATTER:
                if (rank == root) {
                    fillFlat(b.send, t, ReduceOp.MAX, rank, 0, total, 0);
                }
                break;
            case ALL_TO_ALL:
            case SEND_RECV:
                fillFlat(b.send, t, ReduceOp.MAX, rank, 0, total, 0);
                break;
            default:
                fillFlat(b.send, t, op, rank, 0, total, 0);
        }
    }

    private static void fillFlat(HostBuffer buf, DataType t, ReduceOp op, int r, long at, long n, long first) {
        for (long i = 0; i < n; i++) {
            buf.putFromLong(t, at + i, CheckPattern.input(t, op, r, first + i));
        }
    }

    /** Runs the collective once. */
    void run(Communicator c, Buffers b, long total, DataType t, ReduceOp op, int root) {
        int w = c.size();
        switch (this) {
            case ALL_REDUCE: c.allReduce(b.send, b.recv, total, t, op); break;
            case REDUCE_SCATTER: c.reduceScatter(b.send, b.recv, total / w, t, op); break;
            case ALL_GATHER: c.allGather(b.send, b.recv, total / w, t); break;
            case BROADCAST: c.broadcast(b.send, b.recv, total, t, root); break;
            case REDUCE: c.reduce(b.send, b.recv, total, t, op, root); break;
            case GATHER: c.gather(b.send, b.recv, total / w, t, root); break;
            case SCATTER: c.scatter(b.send, b.recv, total / w, t, root); break;
            case ALL_TO_ALL: c.allToAll(b.send, b.recv, total / w, t); break;
            case BARRIER: c.barrier(); break;
            case SEND_RECV: sendRecv(c, b, total, t); break;
            default: throw new AssertionError(this);
        }
    }

    /** The ring shift: send to r+1 (asynchronously), receive from r-1, wait for the send. */
    private static void sendRecv(Communicator c, Buffers b, long total, DataType t) {
        int w = c.size();
        int r = c.rank();
        HostBuffer from = b.send;
        if (b.inPlace()) {
            b.stage.unsafeBacking().put(0, b.send.unsafeBacking(), 0, (int) (total * t.bytes()));
            from = b.stage;
        }
        if (w == 1) {
            b.recv.unsafeBacking().put(0, from.unsafeBacking(), 0, (int) (total * t.bytes()));
            return;
        }
        CompletableFuture<Void> sent = c.sendAsync(from, total, t, (r + 1) % w, TAG);
        c.recv(b.recv, total, t, (r + w - 1) % w, TAG);
        sent.join();
    }

    /** What ran, for the algo column. */
    String algorithm(Communicator c) {
        if (this == SEND_RECV) {
            return c.size() == 1 ? "copy" : "p2p";
        }
        return c.lastAlgorithm();
    }

    /** Number of elements of this rank's output that differ from the expected bits. */
    long countWrong(Buffers b, long total, DataType t, ReduceOp op, int rank, int w, int root) {
        long wrong = 0;
        switch (this) {
            case ALL_REDUCE:
                return CheckPattern.countWrong(b.recv, t, op, w, 0, total);
            case REDUCE:
                return rank == root ? CheckPattern.countWrong(b.recv, t, op, w, 0, total) : 0;
            case REDUCE_SCATTER: {
                long n = total / w;
                long at = b.inPlace() ? rank * n : 0;
                for (long j = 0; j < n; j++) {
                    if (b.recv.getBits(t, at + j) != CheckPattern.expectedBits(t, op, w, rank * n + j)) {
                        wrong++;
                    }
                }
                return wrong;
            }
            case ALL_GATHER:
                return wrongBlocks(b.recv, t, total / w, w);
            case GATHER:
                return rank == root ? wrongBlocks(b.recv, t, total / w, w) : 0;
            case BROADCAST:
                for (long i = 0; i < total; i++) {
                    if (b.recv.getBits(t, i) != CheckPattern.inputBits(t, ReduceOp.MAX, root, i)) {
                        wrong++;
                    }
                }
                return wrong;
            case SCATTER: {
                long n = total / w;
                long at = b.inPlace() && rank == root ? rank * n : 0;
                for (long i = 0; i < n; i++) {
                    if (b.recv.getBits(t, at + i) != CheckPattern.inputBits(t, ReduceOp.MAX, root, rank * n + i)) {
                        wrong++;
                    }
                }
                return wrong;
            }
            case ALL_TO_ALL: {
                long n = total / w;
                for (int p = 0; p < w; p++) {
                    for (long i = 0; i < n; i++) {
                        if (b.recv.getBits(t, p * n + i) != CheckPattern.inputBits(t, ReduceOp.MAX, p, rank * n + i)) {
                            wrong++;
                        }
                    }
                }
                return wrong;
            }
            case SEND_RECV: {
                int prev = (rank + w - 1) % w;
                for (long i = 0; i < total; i++) {
                    if (b.recv.getBits(t, i) != CheckPattern.inputBits(t, ReduceOp.MAX, prev, i)) {
                        wrong++;
                    }
                }
                return wrong;
            }
            default:
                return 0;
        }
    }

    /** Elements of block b (of {@code n}) of {@code recv} that are not rank b's pattern. */
    private static long wrongBlocks(HostBuffer recv, DataType t, long n, int w) {
        long wrong = 0;
        for (int blk = 0; blk < w; blk++) {
            for (long i = 0; i < n; i++) {
                if (recv.getBits(t, blk * n + i) != CheckPattern.inputBits(t, ReduceOp.MAX, blk, i)) {
                    wrong++;
                }
            }
        }
        return wrong;
    }
}
