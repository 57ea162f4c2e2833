package io.jccl.net.shm;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.net.wire.CopiedSegment;
import io.jccl.transport.Inbox;
import io.jccl.transport.OpHeader;
import io.jccl.transport.Segment;
import io.jccl.transport.SendTracker;
import io.jccl.transport.WaitClock;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * The shared-memory data path of one (peer, stream): the ring this rank writes to the peer and the one it reads
 * from it. Sends copy into the out-ring on the caller's thread while it has free slots; the rest waits here until
 * the transport's writer thread ({@link Shm}) finds room. Receives copy whole messages out of the in-ring into pooled
 * buffers, deliver them to the link's {@link Inbox} (which matches and checks them as it does TCP frames) and take
 * from it.
 *
 * <p>Threading: producer state is guarded by {@code this} (the sending thread and the writer thread); one receiving
 * thread at a time drains (guarded by a lock of its own).
 */
final class ShmPipe {
    final ShmRing out;
    final ShmRing in;
    private final Shm shm;
    private final Inbox inbox;
    private final SendTracker tracker;
    private final Supplier<RuntimeException> broken;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    /** Finished {@link Pending} objects for reuse (guarded by {@code this}, like {@link #pending}). */
    private final ArrayDeque<Pending> spare = new ArrayDeque<>();
    volatile boolean hasPending;
    private final Object consumer = new Object();
    // message being assembled from fragments (consumer)
    private ByteBuffer assembling;
    private int assembled;

    ShmPipe(Shm shm, ShmRing out, ShmRing in, Inbox inbox, SendTracker tracker, Supplier<RuntimeException> broken) {
        this.shm = shm;
        this.out = out;
        this.in = in;
        this.inbox = inbox;
        this.tracker = tracker;
        this.broken = broken;
    }

    /** Queues a message; writes what fits now. The caller checked the link is not broken. */
    long send(OpHeader h, long tag, ByteBuffer src, int offset, int length) {
        long ticket = tracker.issue();
        synchronized (this) {
            int next = 0;
            if (pending.isEmpty()) {
                next = write(h, tag, src, offset, length, 0);
                if (next == out.fragments(length)) {
                    tracker.complete(ticket);
                    return ticket;
                }
            }
            Pending q = spare.pollLast();
            pending.addLast(q == null ? new Pending(h, tag, src, offset, length, ticket, next)
                    : q.set(h, tag, src, offset, length, ticket, next));
            hasPending = true;
        }
        shm.wake();
        return ticket;
    }

    /** Writes fragments from {@code next} while slots are free; returns the next fragment to write. */
    private int write(OpHeader h, long tag, ByteBuffer src, int offset, int length, int next) {
        int n = out.fragments(length);
        while (next < n && out.free() > 0) {
            out.write(h, tag, src, offset, length, next * shm.slotBytes());
            next++;
        }
        return next;
    }

    /** Writer thread: continues queued sends; true if it wrote anything. */
    synchronized boolean progress() {
        RuntimeException b = broken.get();
        if (b != null) {
            abandonPending(b);
            return false;
        }
        boolean any = false;
        Pending p;
        while ((p = pending.peekFirst()) != null) {
            int next = write(p.h, p.tag, p.src, p.offset, p.length, p.nextFragment);
            any |= next != p.nextFragment;
            p.nextFragment = next;
            if (next < out.fragments(p.length)) {
                break;
            }
            pending.pollFirst();
            tracker.complete(p.ticket);
            spare.addLast(p.set(null, 0, null, 0, 0, 0, 0)); // drop the references: the caller may free src
        }
        hasPending = !pending.isEmpty();
        return any;
    }

    /**
     * Gives up every send not yet wholly in the ring (after the link broke or its operation failed): none of
     * their memory is read after this returns, since writes run under this pipe's monitor.
     */
    synchronized void abandonPending(RuntimeException cause) {
        Pending p;
        while ((p = pending.pollFirst()) != null) {
            tracker.abandon(p.ticket, cause);
            spare.addLast(p.set(null, 0, null, 0, 0, 0, 0));
        }
        hasPending = false;
        tracker.fail(cause);
    }

    /** Waits for the message (h.seq, tag), copying whatever arrives into the inbox. */
    Segment recv(OpHeader h, long tag, long deadlineNanos) {
        long start = 0;
        long[] clock = null;
        while (true) {
            drain(h.seq(), tag);
            Segment s = inbox.poll(h, tag);
            if (s != null) {
                return s;
            }
            if (clock == null) {
                clock = WaitClock.cell();
            }
            long now = System.nanoTime();
            clock[0] = now; // the flight recorder may end the operation at its last wait (WaitClock)
            if (now - deadlineNanos >= 0) {
                throw inbox.timedOut(h, tag);
            }
            if (start == 0) {
                start = now;
            }
            if (Shm.idle(now - start, shm.spinNanos())) {
                clock[0] = System.nanoTime(); // the core was let go: when it came back
            }
        }
    }

    /**
     * Moves the complete messages in the ring into the inbox, up to and including (seq, tag) when it comes: the
     * messages behind it stay in the ring, so that a sender ahead of its receiver is held back by the ring rather
     * than filling this rank's memory with copies (a broadcast of several GiB would otherwise copy most of itself
     * into the inbox).
     */
    private void drain(long wantedSeq, long wantedTag) {
        synchronized (consumer) {
            int base;
            while ((base = in.peek()) >= 0) {
                if (assembling == null) {
                    int total = in.total(base);
                    assembling = shm.segments().buffers().take(total);
                    assembled = 0;
                }
                in.copyOut(base, assembling, in.fragOff(base));
                assembled += in.fragLen(base);
                if (assembled == in.total(base)) {
                    long seq = in.seq(base);
                    long t = in.tag(base);
                    Collective c = in.collective(base);
                    DataType dt = in.type(base);
                    ReduceOp op = in.op(base);
                    int root = in.root(base);
                    long count = in.count(base);
                    in.consume();
                    ByteBuffer done = assembling;
                    assembling = null;
                    inbox.deliver(shm.segments().take().fill(0, done, seq, t, c, dt, op, root, count));
                    if (seq == wantedSeq && t == wantedTag) {
                        return;
                    }
                } else {
                    in.consume();
                }
            }
        }
    }

    /** A send not yet wholly in the ring. */
    private static final class Pending {
        OpHeader h;
        long tag;
        ByteBuffer src;
        int offset;
        int length;
        long ticket;
        int nextFragment;

        Pending(OpHeader h, long tag, ByteBuffer src, int offset, int length, long ticket, int nextFragment) {
            set(h, tag, src, offset, length, ticket, nextFragment);
        }

        /** Reuses this object for another send (or clears it, with nulls). */
        Pending set(OpHeader h, long tag, ByteBuffer src, int offset, int length, long ticket, int nextFragment) {
            this.h = h;
            this.tag = tag;
            this.src = src;
            this.offset = offset;
            this.length = length;
            this.ticket = ticket;
            this.nextFragment = nextFragment;
            return this;
        }
    }
}
