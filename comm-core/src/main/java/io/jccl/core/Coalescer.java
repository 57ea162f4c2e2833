package io.jccl.core;

import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;
import io.jccl.buffer.StagedBuffer;
import io.jccl.reduce.HostReduce;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * Coalesced collectives: many buffers of one type in one operation, as {@code ncclGroupStart/End} around
 * several calls or torch.distributed's {@code all_reduce_coalesced}. The buffers are packed into one host buffer
 * of this communicator's (a copy per buffer, far cheaper than an operation per buffer: the latency of every
 * message is paid once), the collective runs once on it, and the results are copied back. Pack buffers are
 * pooled and reused: a training loop allocates none once warm.
 *
 * <p>Layouts: all-reduce packs the buffers back to back. All-gather packs each rank's inputs back to back
 * (S = sum of sendCounts), all-gathers W blocks of S and unpacks block r of buffer i to
 * {@code recv[i][r * sendCounts[i]]}. Reduce-scatter packs, for each rank r in turn, block r of every input,
 * reduce-scatters W blocks of S, and unpacks this rank's block into {@code recv[i]}. Every rank must pass the
 * same counts (in elements) in the same order: a fingerprint of them travels in the packed call's header, so a
 * difference fails on every rank as a mismatched call ({@code layout=} in the message) instead of mixing buffers.
 *
 * <p>Threading: the communicator's; the packing of an async call runs on the calling thread, the unpacking on
 * the thread that completes the call.
 */
final class Coalescer {
    private final DefaultCommunicator comm;

    Coalescer(DefaultCommunicator comm) {
        this.comm = comm;
    }

    /** In place: {@code bufs[i]} holds {@code counts[i]} elements before and after. */
    CompletableFuture<Void> allReduce(boolean blocking, CommBuffer[] bufs, long[] counts, DataType type, ReduceOp op) {
        String what = "rank=" + comm.rank() + " all_reduce_coalesced";
        long total = check(what, bufs, counts, 1, type, "buffers", true);
        HostBuffer pack = take(total * type.bytes());
        long at = 0;
        for (int i = 0; i < bufs.length; i++) {
            at = copyIn(bufs[i], 0, pack, at, counts[i] * type.bytes());
        }
        Runnable unpack = () -> {
            long off = 0;
            for (int i = 0; i < bufs.length; i++) {
                off = copyOut(pack, off, bufs[i], 0, counts[i] * type.bytes());
            }
        };
        return issue(blocking, b -> comm.packedAllReduce(b, pack, total, type, op, layout(counts)), pack, unpack, bufs);
    }

    /** {@code sends[i]}: sendCounts[i] elements; {@code recvs[i]}: W x sendCounts[i], block r from rank r. */
    CompletableFuture<Void> allGather(boolean blocking, CommBuffer[] sends, CommBuffer[] recvs, long[] sendCounts,
                                      DataType type) {
        String what = "rank=" + comm.rank() + " all_gather_coalesced";
        int w = comm.size();
        long s = checkBlocks(what, sends, recvs, sendCounts, type, 1);
        long eb = type.bytes();
        HostBuffer pack = take(s * eb * (w + 1L));
        HostBuffer in = pack.slice(0, s * eb);
        HostBuffer out = pack.slice(s * eb, s * eb * w);
        long at = 0;
        for (int i = 0; i < sends.length; i++) {
            at = copyIn(sends[i], 0, in, at, sendCounts[i] * eb);
        }
        Runnable unpack = () -> {
            for (int r = 0; r < w; r++) {
                long off = r * s * eb;
                for (int i = 0; i < recvs.length; i++) {
                    long n = sendCounts[i] * eb;
                    off = copyOut(out, off, recvs[i], r * n, n);
                }
            }
        };
        return issue(blocking, b -> comm.packedAllGather(b, in, out, s, type, layout(sendCounts)), pack, unpack, recvs);
    }

    /** {@code sends[i]}: W x recvCounts[i] elements, block r for rank r; {@code recvs[i]}: recvCounts[i]. */
    CompletableFuture<Void> reduceScatter(boolean blocking, CommBuffer[] sends, CommBuffer[] recvs, long[] recvCounts,
                                          DataType type, ReduceOp op) {
        String what = "rank=" + comm.rank() + " reduce_scatter_coalesced";
        int w = comm.size();
        long s = checkBlocks(what, sends, recvs, recvCounts, type, w);
        long eb = type.bytes();
        HostBuffer pack = take(s * eb * (w + 1L));
        HostBuffer in = pack.slice(0, s * eb * w);
        HostBuffer out = pack.slice(s * eb * w, s * eb);
        long at = 0;
        for (int r = 0; r < w; r++) {
            for (int i = 0; i < sends.length; i++) {
                long n = recvCounts[i] * eb;
                at = copyIn(sends[i], r * n, in, at, n);
            }
        }
        Runnable unpack = () -> {
            long off = 0;
            for (int i = 0; i < recvs.length; i++) {
                off = copyOut(out, off, recvs[i], 0, recvCounts[i] * eb);
            }
        };
        return issue(blocking, b -> comm.packedReduceScatter(b, in, out, s, type, op, layout(recvCounts)), pack, unpack, recvs);
    }

    /**
     * A 31-bit fingerprint of the per-buffer counts, carried in the packed call's header: ranks that split the same
     * total differently (which would mix buffers silently) fail as mismatched calls instead.
     */
    static int layout(long[] counts) {
        long h = counts.length;
        for (long c : counts) {
            h = h * 0x9E3779B97F4A7C15L + c;
            h ^= h >>> 29;
        }
        return (int) (h ^ (h >>> 32)) & 0x7fffffff;
    }

    /** The packed call of a coalesced one, blocking or not. */
    private interface PackedCall {
        CompletableFuture<Void> issue(boolean blocking);
    }

    /**
     * Runs the packed call, then unpacks and gives the pack buffer back: before returning when {@code blocking}
     * (and returns null), else when the call completes (and returns what completes then).
     */
    private CompletableFuture<Void> issue(boolean blocking, PackedCall packed, HostBuffer pack, Runnable unpack,
                                          CommBuffer[] outputs) {
        if (blocking) {
            try {
                packed.issue(true);
                unpack.run();
            } finally {
                give(pack);
            }
            return null;
        }
        pinAll(outputs, true); // closing an output before the call completes must not unmap what unpack writes
        CompletableFuture<Void> call;
        try {
            call = packed.issue(false);
        } catch (RuntimeException e) {
            pinAll(outputs, false);
            give(pack);
            throw e;
        }
        OpFuture f = OpFuture.create(null); // completes on the thread that completed the packed call
        call.whenComplete((v, t) -> {
            Throwable failure = t;
            if (failure == null) {
                try {
                    unpack.run();
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            pinAll(outputs, false);
            give(pack);
            if (failure == null) {
                f.succeed();
            } else {
                f.fail(failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure);
            }
        });
        return f;
    }

    /**
     * Checks the arrays and every buffer (host or staged, open, large enough, writable) and returns the sum of
     * the counts.
     */
    private static long check(String what, CommBuffer[] bufs, long[] counts, int blocks, DataType type, String role,
                              boolean written) {
        if (bufs == null || counts == null) {
            throw new InvalidUsageException(what + ": " + role + " and counts must not be null");
        }
        if (bufs.length != counts.length) {
            throw new InvalidUsageException(what + ": " + bufs.length + " " + role + " but " + counts.length + " counts");
        }
        if (type == null) {
            throw new InvalidUsageException(what + ": type must not be null");
        }
        long total = 0;
        for (int i = 0; i < bufs.length; i++) {
            CommBuffer b = bufs[i];
            long c = counts[i];
            if (c < 0) {
                throw new InvalidUsageException(what + ": count[" + i + "]=" + c + " is negative");
            }
            if (b == null || b.isClosed()) {
                throw new InvalidUsageException(what + ": " + role + "[" + i + "] is " + (b == null ? "null" : "closed"));
            }
            if (written && b.isReadOnly()) {
                throw new InvalidUsageException(what + ": " + role + "[" + i + "] is read-only");
            }
            if (b instanceof io.jccl.buffer.HeapArrayBuffer h && h.elementType() != type) {
                throw new InvalidUsageException(what + ": " + role + "[" + i + "] holds " + h.elementType()
                        + " elements, the call's type is " + type);
            }
            if (!(b instanceof HostBuffer) && !(b instanceof StagedBuffer)) {
                throw new InvalidUsageException(what + ": " + role + "[" + i + "] is a " + b.getClass().getName()
                        + ", neither a HostBuffer nor a StagedBuffer");
            }
            if (c > HostBuffer.MAX_VIEW_BYTES / type.bytes() / blocks) {
                throw new InvalidUsageException(what + ": count[" + i + "]=" + c + " is more than a host buffer holds");
            }
            long need = c * blocks * type.bytes();
            if (b.byteSize() < need) {
                throw new InvalidUsageException(what + ": " + role + "[" + i + "] has " + b.byteSize() + " bytes, "
                        + blocks + " x " + c + " x " + type + " need " + need);
            }
            total += c;
            if (total * type.bytes() * (blocks + 1L) > HostBuffer.MAX_VIEW_BYTES) {
                throw new InvalidUsageException(what + ": the buffers together are more than "
                        + HostBuffer.MAX_VIEW_BYTES + " bytes");
            }
        }
        return total;
    }

    /**
     * Checks the buffers of a coalesced all-gather ({@code sendBlocks} 1: {@code sends[i]} holds counts[i]
     * elements, {@code recvs[i]} W x counts[i]) or reduce-scatter ({@code sendBlocks} W: the other way round);
     * returns the sum of the counts.
     */
    private long checkBlocks(String what, CommBuffer[] sends, CommBuffer[] recvs, long[] counts, DataType type,
                             int sendBlocks) {
        long total = check(what, sends, counts, sendBlocks, type, "send buffers", false);
        check(what, recvs, counts, sendBlocks == 1 ? comm.size() : 1, type, "receive buffers", true);
        return total;
    }

    private static void pinAll(CommBuffer[] bufs, boolean pin) {
        for (CommBuffer b : bufs) {
            if (b instanceof HostBuffer h) {
                if (pin) {
                    h.pin();
                } else {
                    h.unpin();
                }
            }
        }
    }

    /** Copies {@code n} bytes of {@code src} from byte {@code from} into {@code pack} at {@code at}; returns at + n. */
    private static long copyIn(CommBuffer src, long from, HostBuffer pack, long at, long n) {
        if (src instanceof HostBuffer h) {
            HostReduce.copy(h, from, pack, at, n);
        } else {
            ((StagedBuffer) src).copyToHost(from, pack.unsafeBacking(), (int) at, (int) n);
        }
        return at + n;
    }

    /** Copies {@code n} bytes of {@code pack} from {@code at} into {@code dst} at byte {@code to}; returns at + n. */
    private static long copyOut(HostBuffer pack, long at, CommBuffer dst, long to, long n) {
        if (dst instanceof HostBuffer h) {
            HostReduce.copy(pack, at, h, to, n);
        } else {
            ((StagedBuffer) dst).copyFromHost(pack.unsafeBacking(), (int) at, to, (int) n);
        }
        return at + n;
    }

    /** A pooled pack buffer and the view of it that the last call used (reused when the size repeats). */
    private static final class Pack {
        final HostBuffer owner;
        HostBuffer view;

        Pack(HostBuffer owner) {
            this.owner = owner;
        }
    }

    private final java.util.IdentityHashMap<HostBuffer, Pack> lent = new java.util.IdentityHashMap<>();
    private final ArrayDeque<Pack> spare = new ArrayDeque<>();

    /** A host buffer of exactly {@code bytes} bytes, from the pool; {@link #give} it back. */
    private synchronized HostBuffer take(long bytes) {
        Pack found = null;
        for (Pack p : spare) {
            if (p.owner.byteSize() >= bytes && (found == null || p.view != null && p.view.byteSize() == bytes)) {
                found = p;
            }
        }
        if (found == null) {
            found = new Pack(HostBuffer.allocate(Math.max(bytes, 4096)));
        } else {
            spare.remove(found);
        }
        if (found.view == null || found.view.byteSize() != bytes) {
            found.view = found.owner.slice(0, bytes);
        }
        lent.put(found.view, found);
        return found.view;
    }

    private synchronized void give(HostBuffer view) {
        Pack p = lent.remove(view);
        if (p != null) {
            spare.add(p);
        }
    }

    /** Frees the pooled pack buffers (communicator close). */
    synchronized void close() {
        spare.forEach(p -> p.owner.close());
        spare.clear();
    }
}
