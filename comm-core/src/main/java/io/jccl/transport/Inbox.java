package io.jccl.transport;

import io.jccl.CommTimeoutException;
import io.jccl.JcclException;
import io.jccl.PeerFailureException;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Received segments from one peer on one stream, waiting to be matched by (seq, tag). Transports fill it
 * from their I/O threads; the algorithm thread takes from it with a deadline.
 *
 * <p>Threading: {@link #deliver} and {@link #fail} from any thread; {@link #take} from any thread (several
 * point-to-point receivers may wait on one inbox for different tags).
 */
public final class Inbox {
    /**
     * Guards the queue, the failure and the parked threads. A monitor rather than a {@code ReentrantLock}: the
     * event loop's deliveries meet a taking rank several times per large operation, and every contended
     * acquisition of a {@code ReentrantLock} allocates a queue node.
     */
    private final Object lock = new Object();
    private final ArrayDeque<Segment> queue = new ArrayDeque<>();
    private final int myRank;
    private final int peer;
    private final String peerDescription;
    private RuntimeException failure;
    /**
     * Threads parked in {@link #take}, the first {@code waiters} entries (guarded by {@code lock}). Parking by hand
     * rather than on a {@code Condition}, whose every wait allocates a queue node.
     */
    private Thread[] parked = new Thread[2];
    private int waiters;
    /** Bumped on every delivery and failure, so a spinning taker sees news without taking the lock. */
    private volatile long events;
    private final long spinNanos;

    public Inbox(int myRank, int peer, String peerDescription) {
        this(myRank, peer, peerDescription, SPIN_NANOS);
    }

    /**
     * @param spinNanos how long {@link #take} polls before it parks: a parked thread costs a wake-up (tens of
     *                  microseconds on a virtual machine) when its data arrives
     */
    public Inbox(int myRank, int peer, String peerDescription, long spinNanos) {
        this.myRank = myRank;
        this.peer = peer;
        this.peerDescription = peerDescription;
        this.spinNanos = spinNanos;
    }

    private static final long SPIN_NANOS = io.jccl.Knob.SPIN_US.getLong() * 1000;

    /** Adds a received segment; after {@link #fail} the segment is released instead. */
    public void deliver(Segment s) {
        synchronized (lock) {
            if (failure != null) {
                s.release();
                return;
            }
            queue.addLast(s);
            events++;
            wakeAll(); // waiters may wait for different tags (several p2p receivers)
        }
    }

    /**
     * Marks the inbox broken: segments already queued can still be taken; a take that finds no match
     * throws {@code cause}. The first failure wins.
     */
    public void fail(RuntimeException cause) {
        synchronized (lock) {
            if (failure == null) {
                failure = cause;
            }
            events++;
            wakeAll();
        }
    }

    /** The failure recorded by {@link #fail}, or null. */
    public RuntimeException failure() {
        synchronized (lock) {
            return failure;
        }
    }

    /** Releases every queued segment (on close). */
    public void drain() {
        synchronized (lock) {
            Segment s;
            while ((s = queue.pollFirst()) != null) {
                s.release();
            }
        }
    }

    /**
     * Takes the segment of operation {@code h.seq()} with {@code tag}, waiting until the deadline.
     *
     * @throws PeerFailureException if the peer's segment for this seq describes a different call, or the
     *                              inbox failed and holds no match
     * @throws CommTimeoutException at the deadline
     */
    public Segment take(OpHeader h, long tag, long deadlineNanos) {
        Thread me = Thread.currentThread();
        long spinUntil = 0;
        boolean listed = false;
        try {
            while (true) {
                long seen;
                long parkNanos = 0;
                synchronized (lock) {
                    if (listed) {
                        unlist(me);
                        listed = false;
                    }
                    Segment found = match(h, tag);
                    if (found != null) {
                        return found;
                    }
                    if (failure != null) {
                        throw wrap(failure, h);
                    }
                    long now = WaitClock.now(); // kept: the flight recorder may end the operation at its last wait
                    long left = deadlineNanos - now;
                    if (left <= 0) {
                        throw timedOut(h, tag);
                    }
                    seen = events;
                    if (spinNanos > 0 && spinUntil == 0) {
                        spinUntil = now + spinNanos;
                    }
                    if (spinNanos <= 0 || now >= spinUntil) {
                        // listed before the lock goes, so a delivery in between unparks it and the park returns
                        list(me);
                        listed = true;
                        parkNanos = Math.min(left, TimeUnit.MILLISECONDS.toNanos(100));
                    }
                }
                if (parkNanos > 0) {
                    LockSupport.parkNanos(this, parkNanos);
                    WaitClock.now(); // when the park ended
                    if (me.isInterrupted()) {
                        throw new JcclException("rank=" + myRank + " interrupted in " + h.describe()
                                + " waiting for peer=" + peer);
                    }
                } else {
                    long[] clock = WaitClock.cell();
                    long t;
                    while (events == seen && (t = System.nanoTime()) < spinUntil) {
                        clock[0] = t;
                        Thread.onSpinWait();
                    }
                }
            }
        } finally {
            if (listed) {
                synchronized (lock) {
                    unlist(me);
                }
            }
        }
    }

    /** Lists {@code t} among the threads that {@link #wakeAll} unparks (lock held). */
    private void list(Thread t) {
        if (waiters == parked.length) {
            parked = Arrays.copyOf(parked, 2 * waiters);
        }
        parked[waiters++] = t;
    }

    /** Removes {@code t} from the listed threads (lock held). */
    private void unlist(Thread t) {
        for (int i = 0; i < waiters; i++) {
            if (parked[i] == t) {
                parked[i] = parked[--waiters];
                parked[waiters] = null;
                return;
            }
        }
    }

    /** Unparks every thread in {@link #take} (lock held). */
    private void wakeAll() {
        for (int i = 0; i < waiters; i++) {
            LockSupport.unpark(parked[i]);
        }
    }

    /**
     * As {@link #take} without waiting: the matching segment, or null when none is queued (for transports whose
     * receiving thread fills the inbox itself, then polls it).
     *
     * @throws PeerFailureException as {@link #take}
     */
    public Segment poll(OpHeader h, long tag) {
        synchronized (lock) {
            Segment found = match(h, tag);
            if (found == null && failure != null) {
                throw wrap(failure, h);
            }
            return found;
        }
    }

    /** The exception {@link #take} throws at its deadline. */
    public CommTimeoutException timedOut(OpHeader h, long tag) {
        return new CommTimeoutException("rank=" + myRank + " timed out in " + h.describe()
                + " waiting for peer=" + peer + " (" + peerDescription + "), " + h.describeTag(tag));
    }

    /** Removes and returns the segment of (h.seq, tag); throws on a mismatched call. Holds the lock. */
    private Segment match(OpHeader h, long tag) {
        // segments mostly arrive in the order they are taken: look at the first without an iterator
        Segment first = queue.peekFirst();
        if (first == null) {
            return null;
        }
        if (first.seq() == h.seq() && first.tag() == tag) {
            if (!h.sameCall(first.collective(), first.type(), first.op(), first.root(), first.count())) {
                throw mismatch(h, first);
            }
            return queue.pollFirst();
        }
        for (Iterator<Segment> it = queue.iterator(); it.hasNext(); ) {
            Segment s = it.next();
            if (s.seq() != h.seq()) {
                continue;
            }
            if (!h.sameCall(s.collective(), s.type(), s.op(), s.root(), s.count())) {
                throw mismatch(h, s);
            }
            if (s.tag() == tag) {
                it.remove();
                return s;
            }
        }
        return null;
    }

    private static final java.util.regex.Pattern RELAYED = java.util.regex.Pattern.compile(
            "^(?:rank=\\d+ cannot complete [^:]*: )+");

    /**
     * A failure message without the "rank=R cannot complete OP: " prefixes that ranks add as an abort travels from
     * rank to rank, so that every rank reports the first cause once.
     */
    public static String rootReason(String message) {
        return message == null ? "" : RELAYED.matcher(message).replaceFirst("");
    }

    private PeerFailureException mismatch(OpHeader h, Segment s) {
        OpHeader theirs = new OpHeader(h.streamId(), s.seq(), s.collective(), s.type(), s.op(), s.root(), s.count());
        return new PeerFailureException("mismatched collective calls: rank=" + myRank + " called " + h.describe()
                + " but peer=" + peer + " (" + peerDescription + ") called " + theirs.describe());
    }

    private RuntimeException wrap(RuntimeException f, OpHeader h) {
        if (f instanceof JcclException) {
            return new PeerFailureException("rank=" + myRank + " cannot complete " + h.describe() + ": "
                    + rootReason(f.getMessage()), f);
        }
        return new PeerFailureException("rank=" + myRank + " cannot complete " + h.describe() + ": link to peer="
                + peer + " (" + peerDescription + ") failed: " + f, f);
    }
}
