package io.jccl.bench.perf;

import io.jccl.Collective;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.check.CheckPattern;

/**
 * How {@code jccl-perf} sizes, runs and checks one collective, following nccl-tests: the size column is
 * the bytes of the whole operation (all-gather: the gathered output; reduce-scatter: the full input), and
 * busbw = algbw x factor with the factors of nccl-tests' PERFORMANCE.md.
 */
enum PerfCollective {
    ALL_REDUCE(Collective.ALL_REDUCE) {
        @Override
        double busFactor(int w) {
            return 2.0 * (w - 1) / w;
        }
    },
    REDUCE_SCATTER(Collective.REDUCE_SCATTER),
    ALL_GATHER(Collective.ALL_GATHER),
    BROADCAST(Collective.BROADCAST) {
        @Override
        double busFactor(int w) {
            return 1;
        }
    },
    REDUCE(Collective.REDUCE) {
        @Override
        double busFactor(int w) {
            return 1;
        }
    },
    BARRIER(Collective.BARRIER) {
        @Override
        double busFactor(int w) {
            return 0;
        }
    };

    final Collective collective;

    PerfCollective(Collective c) {
        this.collective = c;
    }

    /** nccl-tests' bus bandwidth factor; default (W-1)/W. */
    double busFactor(int w) {
        return (w - 1.0) / w;
    }

    boolean reduces() {
        return this == ALL_REDUCE || this == REDUCE_SCATTER || this == REDUCE;
    }

    boolean rooted() {
        return this == BROADCAST || this == REDUCE;
    }

    static PerfCollective parse(String s) {
        String n = s.trim().toLowerCase(java.util.Locale.ROOT).replace("-", "_");
        switch (n) {
            case "all_reduce": case "allreduce": return ALL_REDUCE;
            case "reduce_scatter": case "reducescatter": return REDUCE_SCATTER;
            case "all_gather": case "allgather": return ALL_GATHER;
            case "broadcast": case "bcast": return BROADCAST;
            case "reduce": return REDUCE;
            case "barrier": return BARRIER;
            default:
                throw new IllegalArgumentException("unknown collective '" + s
                        + "': expected all_reduce|reduce_scatter|all_gather|broadcast|reduce|barrier");
        }
    }

    /** Elements of the whole operation for a size in bytes (a multiple of W where blocks are per rank). */
    long totalCount(long bytes, DataType t, int w) {
        long c = bytes / t.bytes();
        if (this == ALL_GATHER || this == REDUCE_SCATTER) {
            c = c / w * w;
        }
        return this == BARRIER ? 0 : c;
    }

    /** The buffers of one placement: send and recv (the same object in place). */
    static final class Buffers implements AutoCloseable {
        final HostBuffer send;
        final HostBuffer recv;

        Buffers(HostBuffer send, HostBuffer recv) {
            this.send = send;
            this.recv = recv;
        }

        @Override
        public void close() {
            send.close();
            if (recv != send) {
                recv.close();
            }
        }
    }

    Buffers allocate(long total, DataType t, int w, boolean inPlace) {
        long sendCount = this == ALL_GATHER ? total / w : total;
        long recvCount = this == REDUCE_SCATTER ? total / w : total;
        if (inPlace) {
            HostBuffer b = HostBuffer.allocate(Math.max(sendCount, recvCount), t);
            return new Buffers(b, b);
        }
        return new Buffers(HostBuffer.allocate(sendCount, t), HostBuffer.allocate(recvCount, t));
    }

    /** Fills this rank's input with the check pattern. */
    void fill(Buffers b, long total, DataType t, ReduceOp op, int rank, int w, int root) {
        switch (this) {
            case ALL_GATHER: {
                long n = total / w;
                long at = b.send == b.recv ? rank * n : 0;
                fillFlat(b.send, t, ReduceOp.MAX, rank, at, n, 0);
                break;
            }
            case BROADCAST:
                if (rank == root) {
                    fillFlat(b.send, t, ReduceOp.MAX, rank, 0, total, 0);
                }
                break;
            case BARRIER:
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
            case BARRIER: c.barrier(); break;
            default: throw new AssertionError(this);
        }
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
                long at = b.send == b.recv ? rank * n : 0;
                for (long j = 0; j < n; j++) {
                    if (b.recv.getBits(t, at + j) != CheckPattern.expectedBits(t, op, w, rank * n + j)) {
                        wrong++;
                    }
                }
                return wrong;
            }
            case ALL_GATHER: {
                long n = total / w;
                for (int blk = 0; blk < w; blk++) {
                    for (long i = 0; i < n; i++) {
                        if (b.recv.getBits(t, blk * n + i) != CheckPattern.inputBits(t, ReduceOp.MAX, blk, i)) {
                            wrong++;
                        }
                    }
                }
                return wrong;
            }
            case BROADCAST:
                for (long i = 0; i < total; i++) {
                    if (b.recv.getBits(t, i) != CheckPattern.inputBits(t, ReduceOp.MAX, root, i)) {
                        wrong++;
                    }
                }
                return wrong;
            default:
                return 0;
        }
    }
}
