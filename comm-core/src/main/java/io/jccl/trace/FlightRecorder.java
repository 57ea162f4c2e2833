package io.jccl.trace;

import io.jccl.Collective;
import io.jccl.transport.OpHeader;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A communicator's flight recorder (as PyTorch's NCCL flight recorder): a fixed ring of the last
 * {@code capacity} collective operations, each with its sequence number, collective, type, op, root, count,
 * algorithm and why it was chosen, buffer placement, start and end times, state (queued, running, done, failed),
 * bytes sent and received, and, for the last {@link #PEER_DETAIL} operations, the bytes and the last transfer
 * (phase, step, segment) per peer. It also keeps the running totals that {@link CommMetrics} exposes through JMX.
 * {@link TraceDump} writes it as JSON; {@code bin/jccl-trace} merges the dumps of every rank.
 *
 * <p>Nothing is allocated per operation: every field lives in arrays made once (strings recorded are constants:
 * labels and reasons), except the message of a failed operation. Recording is a few plain stores and no fence:
 * queuing writes the header (the algorithm and the reason only when they differ from the slot's last operation's);
 * starting, the running operation's fields; each transfer adds to the running operation's bytes and to its peer's
 * entry; the end writes the slot's five longs (seq, start, end, bytes sent and received), the seq last with a release
 * store. No state is stored ({@link #forEach} says how it follows).
 *
 * <p>Threading: {@link #queued} runs on the issuing thread, {@link #running}, {@link #sent}, {@link #received}
 * and {@link #ended} on the thread that runs the communicator's operations (one at a time). A dump reads from any
 * thread without locks: a dump taken while an operation runs may show that operation's counters a few transfers
 * behind, which is what a diagnosis needs.
 */
public final class FlightRecorder {
    /** How many of the latest operations keep their per-peer detail (a power of two). */
    public static final int PEER_DETAIL = 16;

    /**
     * "No transfer yet" in the per-peer last-tag arrays: all bits set, a tag no schedule makes (tags carry the phase
     * in their top bits, so a real tag may be negative).
     */
    public static final long NO_TAG = -1L;

    /** An operation's state in the record. */
    public enum State {
        QUEUED, RUNNING, DONE, FAILED;

        /** The state's name in a dump. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static final int COLLECTIVES = Collective.values().length;
    /** Longs per slot in {@link #ends}: seq (negative when it failed), start, end, bytes sent, bytes received. */
    private static final int END = 5;
    /** Longs per (operation row, peer) in {@link #peers}: seq, sent, received, last tag sent, last tag received. */
    private static final int PEER = 5;
    /** Release stores of a slot's seq in {@link #ends}, after its times (a dump that sees the seq sees them). */
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final int capacity;
    /** The ring's length: {@code capacity} rounded up to a power of two, so that a slot is a mask, not a division. */
    private final int mask;
    private final int size;
    // the ring, slot (seq mod length). Queuing writes the header (whose seq says which operation a slot holds) and,
    // only where they changed since the slot's last operation, the constants naming the algorithm and why; a staged
    // operation its seq in stagedSeq. Ending writes the slot's END longs. The state is not stored: it follows from
    // them and from the running operation (see forEach)
    private final OpHeader[] header;
    private final String[] algorithm;
    private final String[] reason;
    private final long[] stagedSeq;
    private final long[] ends;
    private final String[] error;

    // per-peer detail of the latest PEER_DETAIL operations, PEER longs at ((seq mod PEER_DETAIL) * size + peer) * PEER:
    // an entry counts only where its seq is the operation's (written whole by the operation's first transfer with that
    // peer, so that starting an operation costs nothing per peer)
    private final long[] peers;

    // the operation that started last (the thread that runs operations writes them; a dump reads them racily): its
    // seq while it runs, the seq negated once it ended (0 before any)
    private long runningSeq;
    private long runningStart;
    private long runningSent;
    private long runningReceived;

    private final long[] opsByCollective = new long[COLLECTIVES];
    private final long[] errorsByCollective = new long[COLLECTIVES];
    private final long[] nanosByCollective = new long[COLLECTIVES];
    private final long[] sentToPeer;
    private final long[] receivedFromPeer;

    private final long nanoBase = System.nanoTime();
    private final long epochMicrosBase = System.currentTimeMillis() * 1000;

    /**
     * @param capacity operations kept (at least 1)
     * @param size     the communicator's world size W (peers are communicator ranks)
     */
    public FlightRecorder(int capacity, int size) {
        if (capacity < 1) {
            throw new IllegalArgumentException("flight recorder capacity " + capacity + " must be >= 1");
        }
        if (capacity > 1 << 26) {
            throw new IllegalArgumentException("flight recorder capacity " + capacity + " must be <= 2^26");
        }
        this.capacity = capacity;
        int length = capacity == 1 ? 1 : Integer.highestOneBit(capacity - 1) << 1;
        this.mask = length - 1;
        this.size = size;
        this.header = new OpHeader[length];
        this.algorithm = new String[length];
        this.reason = new String[length];
        this.stagedSeq = new long[length];
        this.ends = new long[END * length];
        this.error = new String[length];
        this.peers = new long[PEER_DETAIL * size * PEER];
        this.sentToPeer = new long[size];
        this.receivedFromPeer = new long[size];
    }

    private int slot(long s) {
        return (int) s & mask;
    }

    /**
     * An operation got its sequence number.
     *
     * @param algorithm the plan's label; {@code reason} why it was chosen; {@code placement} where its buffers
     *                  live ("host", "staged"); all constants
     */
    public void queued(OpHeader h, String algorithm, String reason, String placement) {
        queued(h, algorithm, reason, "staged".equals(placement));
    }

    /** As {@link #queued(OpHeader, String, String, String)}: {@code staged} when the placement is "staged". */
    public void queued(OpHeader h, String algorithm, String reason, boolean staged) {
        int i = slot(h.seq());
        header[i] = h;
        if (this.algorithm[i] != algorithm) { // a loop's calls use the same constants: a load, not a store
            this.algorithm[i] = algorithm;
        }
        if (this.reason[i] != reason) {
            this.reason[i] = reason;
        }
        if (staged) {
            stagedSeq[i] = h.seq();
        }
    }

    /** The operation with {@code s} starts running on this thread at {@code nowNanos} ({@link System#nanoTime()}). */
    public void running(long s, long nowNanos) {
        runningStart = nowNanos;
        runningSent = 0;
        runningReceived = 0;
        runningSeq = s;
    }

    /** The running operation's row of per-peer entries, and {@code peer}'s entry in it. */
    private int peerEntry(long s, int peer) {
        return (((int) s & (PEER_DETAIL - 1)) * size + peer) * PEER;
    }

    /** The running operation queued {@code bytes} bytes to communicator rank {@code peer} under {@code tag}. */
    public void sent(int peer, long tag, int bytes) {
        long s = runningSeq;
        if (s <= 0) {
            return;
        }
        runningSent += bytes;
        sentToPeer[peer] += bytes;
        int k = peerEntry(s, peer);
        if (peers[k] == s) {
            peers[k + 1] += bytes;
        } else { // the operation's first transfer with this peer: the entry was an earlier operation's
            peers[k] = s;
            peers[k + 1] = bytes;
            peers[k + 2] = 0;
            peers[k + 4] = NO_TAG;
        }
        peers[k + 3] = tag;
    }

    /** The running operation received {@code bytes} bytes from communicator rank {@code peer} under {@code tag}. */
    public void received(int peer, long tag, int bytes) {
        long s = runningSeq;
        if (s <= 0) {
            return;
        }
        runningReceived += bytes;
        receivedFromPeer[peer] += bytes;
        int k = peerEntry(s, peer);
        if (peers[k] == s) {
            peers[k + 2] += bytes;
        } else {
            peers[k] = s;
            peers[k + 1] = 0;
            peers[k + 2] = bytes;
            peers[k + 3] = NO_TAG;
        }
        peers[k + 4] = tag;
    }

    /** The operation with {@code s} ended at {@code nowNanos}: done when {@code failure} is null. */
    public void ended(long s, long nowNanos, Throwable failure) {
        OpHeader h = header[slot(s)];
        if (h != null && h.seq() == s) {
            ended(h, nowNanos, failure);
        }
    }

    /** The operation {@code h} (as queued) ended at {@code nowNanos}: done when {@code failure} is null. */
    public void ended(OpHeader h, long nowNanos, Throwable failure) {
        long s = h.seq();
        int i = slot(s);
        if (header[i] != h) {
            return;
        }
        int e = END * i;
        long start = nowNanos;
        if (runningSeq == s) {
            start = runningStart;
            ends[e + 3] = runningSent;
            ends[e + 4] = runningReceived;
            runningSeq = -s;
        } else { // ended without running
            ends[e + 3] = 0;
            ends[e + 4] = 0;
        }
        ends[e + 1] = start;
        ends[e + 2] = nowNanos;
        int c = h.collective().ordinal();
        opsByCollective[c]++;
        nanosByCollective[c] += nowNanos - start;
        if (failure != null) {
            errorsByCollective[c]++;
            error[i] = String.valueOf(failure.getMessage());
            LONGS.setRelease(ends, e, -s);
        } else {
            LONGS.setRelease(ends, e, s);
        }
    }

    /** Operations kept at most. */
    public int capacity() {
        return capacity;
    }

    /** The communicator's world size. */
    public int size() {
        return size;
    }

    /** Microseconds since the epoch of a {@link System#nanoTime()} value taken by this recorder. */
    public long epochMicros(long nanos) {
        return epochMicrosBase + (nanos - nanoBase) / 1000;
    }

    /**
     * Visits the kept operations, oldest first. An operation's state follows from its slot and the running one: done
     * or failed once its end is written (its seq, negative when it failed), running while it is the one that started
     * last and has not ended, queued when it is later than that one; an earlier one that never ended (its thread
     * died of an Error) shows as running, without times.
     */
    public void forEach(EntryVisitor v) {
        long newest = Long.MIN_VALUE;
        for (int i = 0; i <= mask; i++) {
            OpHeader h = header[i];
            if (h != null) {
                newest = Math.max(newest, h.seq());
            }
        }
        if (newest == Long.MIN_VALUE) {
            return;
        }
        long r = runningSeq;
        boolean live = r > 0;
        long last = Math.abs(r);
        for (long s = Math.max(1, newest - capacity + 1); s <= newest; s++) {
            int i = slot(s);
            OpHeader h = header[i];
            if (h == null || h.seq() != s) {
                continue;
            }
            long[][] detail = newest - s < PEER_DETAIL ? peerDetail(s) : new long[4][];
            int e = END * i;
            long mark = (long) LONGS.getAcquire(ends, e);
            State st;
            long start = 0;
            long end = 0;
            long sent = 0;
            long received = 0;
            if (mark == s || mark == -s) {
                st = mark == s ? State.DONE : State.FAILED;
                start = ends[e + 1];
                end = ends[e + 2];
                sent = ends[e + 3];
                received = ends[e + 4];
            } else if (s > last) {
                st = State.QUEUED;
            } else {
                st = State.RUNNING;
                if (live && s == last) {
                    start = runningStart;
                    sent = runningSent;
                    received = runningReceived;
                }
            }
            v.visit(new Entry(h, algorithm[i], reason[i], stagedSeq[i] == s ? "staged" : "host", st, start, end,
                    sent, received, st == State.FAILED ? error[i] : null, detail[0], detail[1], detail[2], detail[3]));
        }
    }

    /** Operation {@code s}'s bytes sent, received, last tags sent and received, per peer (copies). */
    private long[][] peerDetail(long s) {
        long[][] out = {new long[size], new long[size], new long[size], new long[size]};
        int row = ((int) s & (PEER_DETAIL - 1)) * size;
        for (int p = 0; p < size; p++) {
            int k = (row + p) * PEER;
            boolean mine = peers[k] == s;
            out[0][p] = mine ? peers[k + 1] : 0;
            out[1][p] = mine ? peers[k + 2] : 0;
            out[2][p] = mine ? peers[k + 3] : NO_TAG;
            out[3][p] = mine ? peers[k + 4] : NO_TAG;
        }
        return out;
    }

    /** One kept operation, copied out of the ring. Per-peer arrays are null beyond the latest {@link #PEER_DETAIL}. */
    public record Entry(OpHeader header, String algorithm, String reason, String placement, State state,
                        long startNanos, long endNanos, long bytesSent, long bytesReceived, String error,
                        long[] peerSent, long[] peerReceived, long[] peerLastSentTag, long[] peerLastReceivedTag) {
    }

    /** Receives the kept operations. */
    public interface EntryVisitor {
        void visit(Entry e);
    }

    /** Operations ended, by {@link Collective} ordinal (a copy). */
    public long[] operationsByCollective() {
        return opsByCollective.clone();
    }

    /** Operations failed, by {@link Collective} ordinal (a copy). */
    public long[] errorsByCollective() {
        return errorsByCollective.clone();
    }

    /** Nanoseconds spent running, by {@link Collective} ordinal (a copy). */
    public long[] nanosByCollective() {
        return nanosByCollective.clone();
    }

    /** Bytes sent to each communicator rank since the communicator was made (a copy). */
    public long[] sentToPeer() {
        return sentToPeer.clone();
    }

    /** Bytes received from each communicator rank since the communicator was made (a copy). */
    public long[] receivedFromPeer() {
        return receivedFromPeer.clone();
    }
}
