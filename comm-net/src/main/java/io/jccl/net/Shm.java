package io.jccl.net;

import io.jccl.DataType;
import io.jccl.transport.Inbox;
import io.jccl.transport.OpHeader;
import io.jccl.transport.Segment;
import io.jccl.transport.SendTracker;
import io.jccl.Collective;
import io.jccl.ReduceOp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The shared-memory data path of {@link NettyTransport} for peers on the same host: per (stream, peer) one
 * {@link ShmRing} out and one in, under /dev/shm. The TCP connection stays for the handshake, ABORT, STATUS and
 * failure detection; only DATA moves here. Sends copy into the ring on the caller's thread while it has free slots;
 * the rest is written by one writer thread per transport as the receiver frees slots. Receives copy messages out of
 * the ring on the receiving thread into pooled buffers, deliver them to the link's {@link Inbox} (which matches
 * and checks them as it does TCP frames) and take from it.
 *
 * <p>Threading: {@link #pipe} from any thread; each {@link Pipe} has the contract of
 * {@link io.jccl.transport.PeerLink}; {@link #close} once.
 */
final class Shm implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Shm.class);
    static final Path DIR = Path.of("/dev/shm");

    private final int rank;
    private final String job;
    private final int slots;
    private final int slotBytes;
    private final boolean[] sameHost;
    private final List<Pipe> pipes = new CopyOnWriteArrayList<>();
    /** {@link #pipes} as an array for the writer's loop, which then allocates no iterator per pass. */
    private volatile Pipe[] pipeArray = new Pipe[0];
    private final Thread writer;
    private volatile boolean closed;
    /** How long a waiting rank polls before it yields its core ({@link SpinKnob#spinNanos}). */
    private final long spinNanos;
    /** Released segments and receive buffers, reused with the next messages: the transport's, shared with TCP. */
    private final CopiedSegment.Pool segments;

    /**
     * @param spinNanos how long a waiting rank polls before it yields its core ({@link SpinKnob#spinNanos})
     * @param segments  where received messages are copied to ({@link NettyTransport#receivedSegments()})
     */
    Shm(int rank, String job, int slots, int slotBytes, boolean[] sameHost, long spinNanos, CopiedSegment.Pool segments) {
        this.rank = rank;
        this.job = job;
        this.slots = slots;
        this.slotBytes = slotBytes;
        this.sameHost = sameHost.clone();
        this.spinNanos = spinNanos;
        this.segments = segments;
        this.writer = new Thread(this::writeLoop, "jccl-shm-writer-rank" + rank);
        writer.setDaemon(true);
        writer.start();
    }

    /** A new random job id (16 hex digits) for the file names of one job. */
    static String newJobId() {
        byte[] b = new byte[8];
        new SecureRandom().nextBytes(b);
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xFF));
        }
        return s.toString();
    }

    /**
     * Removes the files of dead jobs on this host, then marks {@code job} in use by this process
     * ({@link ShmJobs}); the {@link Shm} made for the job releases it when it closes.
     *
     * @return null when it worked, else why not
     */
    static String hold(String job) {
        ShmJobs.removeDead(DIR);
        try {
            ShmJobs.hold(DIR, job);
            return null;
        } catch (IOException | UnsupportedOperationException e) {
            return e.toString();
        }
    }

    static Path probePath(String job, int rank) {
        return DIR.resolve("jccl-" + job + "-host-" + rank);
    }

    /**
     * Creates this rank's probe file: a peer that sees it shares this host's /dev/shm.
     *
     * @return null when it worked, else why not
     */
    static String probe(String job, int rank) {
        try {
            Files.createFile(probePath(job, rank),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            return null;
        } catch (IOException | UnsupportedOperationException e) {
            return e.toString();
        }
    }

    /**
     * Why /dev/shm is too small for {@code w} ranks on one host, or null: each ordered pair of ranks needs one ring
     * of {@code slots} x {@code slotBytes} per stream, and twice the world's rings must fit (room for a
     * sub-communicator's streams). Used by {@code JCCL_TRANSPORT=auto} to choose TCP rather than fail later.
     */
    static String lacksRoom(int w, int slots, int slotBytes) {
        long need = 2L * w * (w - 1) * ((long) slots * slotBytes + 4096);
        try {
            long free = Files.getFileStore(DIR).getUsableSpace();
            return free >= need ? null : String.format(java.util.Locale.ROOT,
                    "%s has %d MiB free, the rings of %d ranks need about %d MiB", DIR, free >> 20, w, need >> 20);
        } catch (IOException e) {
            return e.toString();
        }
    }

    boolean sameHost(int peer) {
        return sameHost[peer];
    }

    private Path ring(long stream, int src, int dst) {
        return DIR.resolve("jccl-" + job + "-" + Long.toHexString(stream) + "-" + src + "-" + dst);
    }

    /**
     * The shared-memory path of link (peer, stream).
     *
     * @param broken the exception a send or the writer should fail with now (stream aborted, peer lost), or null
     */
    Pipe pipe(int peer, long stream, Inbox inbox, SendTracker tracker, Supplier<RuntimeException> broken) {
        ShmRing out = ShmRing.open(ring(stream, rank, peer), slots, slotBytes, false);
        ShmRing in = ShmRing.open(ring(stream, peer, rank), slots, slotBytes, true);
        Pipe p = new Pipe(out, in, inbox, tracker, broken);
        synchronized (pipes) {
            pipes.add(p);
            pipeArray = pipes.toArray(new Pipe[0]);
        }
        return p;
    }

    /** Stops the writer; deletes the rings this rank receives on, its probe, and the rings it sent on that are done. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LockSupport.unpark(writer);
        try {
            writer.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Pipe p : pipes) {
            p.in.delete();
            synchronized (p) {
                if (p.out.drainedOrAttached()) {
                    p.out.delete();
                } else {
                    LOG.debug("rank={}: leaving {} for its receiver, which has not opened it yet", rank, p.out.path);
                }
            }
        }
        deleteProbe(job, rank);
        ShmJobs.release(DIR, job); // the job's last process on this host deletes whatever of it is left
    }

    /** Deletes this rank's probe file (see {@link #probe}); nothing when it is gone already. */
    static void deleteProbe(String job, int rank) {
        try {
            Files.deleteIfExists(probePath(job, rank));
        } catch (IOException e) {
            LOG.debug("rank={}: cannot delete {}: {}", rank, probePath(job, rank), e.toString());
        }
    }

    private void writeLoop() {
        long idleSince = 0;
        while (!closed) {
            boolean waiting = false;
            boolean progressed = false;
            for (Pipe p : pipeArray) {
                if (p.hasPending) {
                    progressed |= p.progress();
                    waiting |= p.hasPending;
                }
            }
            if (!waiting) {
                idleSince = 0;
                LockSupport.parkNanos(this, 100_000_000L);
            } else if (progressed) {
                idleSince = 0;
            } else {
                long now = System.nanoTime();
                if (idleSince == 0) {
                    idleSince = now;
                }
                idle(now - idleSince, spinNanos);
            }
        }
    }

    /**
     * One step of waiting that has lasted {@code waitedNanos}: spin for {@code spinNanos}, then yield the core (to
     * the peer, when ranks outnumber cores) until 500 us, then sleep up to 100 us at a time, 1 ms once the wait
     * passed 100 ms.
     */
    static void idle(long waitedNanos, long spinNanos) {
        if (waitedNanos < spinNanos) {
            Thread.onSpinWait();
        } else if (waitedNanos < 500_000) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(waitedNanos > 100_000_000 ? 1_000_000 : Math.min(100_000, waitedNanos >> 4));
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

    /** The shared-memory half of one (peer, stream) link. Producer state is guarded by {@code this}. */
    final class Pipe {
        final ShmRing out;
        final ShmRing in;
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

        Pipe(ShmRing out, ShmRing in, Inbox inbox, SendTracker tracker, Supplier<RuntimeException> broken) {
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
            LockSupport.unpark(writer);
            return ticket;
        }

        /** Writes fragments from {@code next} while slots are free; returns the next fragment to write. */
        private int write(OpHeader h, long tag, ByteBuffer src, int offset, int length, int next) {
            int n = out.fragments(length);
            while (next < n && out.free() > 0) {
                out.write(h, tag, src, offset, length, next * slotBytes);
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
            while (true) {
                drain();
                Segment s = inbox.poll(h, tag);
                if (s != null) {
                    return s;
                }
                long now = System.nanoTime();
                if (now - deadlineNanos >= 0) {
                    throw inbox.timedOut(h, tag);
                }
                if (start == 0) {
                    start = now;
                }
                idle(now - start, spinNanos);
            }
        }

        /** Moves every complete message in the ring into the inbox. */
        private void drain() {
            synchronized (consumer) {
                int base;
                while ((base = in.peek()) >= 0) {
                    if (assembling == null) {
                        int total = in.total(base);
                        assembling = segments.buffers.take(total);
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
                        inbox.deliver(segments.take().fill(0, done, seq, t, c, dt, op, root, count));
                    } else {
                        in.consume();
                    }
                }
            }
        }
    }
}
