package io.jccl.net.shm;

import io.jccl.net.launch.SpinKnob;
import io.jccl.net.tcp.PeerStream;
import io.jccl.net.wire.CopiedSegment;
import io.jccl.transport.Inbox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * The shared-memory data path of the Netty transport for peers on the same host: per (stream, peer) one
 * {@link ShmRing} out and one in ({@link ShmPipe}), under /dev/shm, behind a {@link ShmLink}. The TCP connection stays for the handshake, ABORT, STATUS and
 * failure detection; only DATA moves here. Sends copy into the ring on the caller's thread while it has free slots;
 * the rest is written by one writer thread per transport as the receiver frees slots. Receives copy messages out of
 * the ring on the receiving thread into pooled buffers, deliver them to the link's {@link Inbox} (which matches
 * and checks them as it does TCP frames) and take from it. The files' names, the probe that tells ranks of one host
 * apart, and the cleanup of dead jobs' files ({@link ShmJobs}) are here too.
 *
 * <p>Threading: {@link #link} from any thread; each link has the contract of {@link io.jccl.transport.PeerLink};
 * {@link #close} once.
 */
public final class Shm implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Shm.class);
    /** Where the rings, probes and job locks live. */
    public static final Path DIR = Path.of("/dev/shm");

    private final int rank;
    private final String job;
    private final int slots;
    private final int slotBytes;
    private final boolean[] sameHost;
    private final List<ShmPipe> pipes = new CopyOnWriteArrayList<>();
    /** {@link #pipes} as an array for the writer's loop, which then allocates no iterator per pass. */
    private volatile ShmPipe[] pipeArray = new ShmPipe[0];
    private final Thread writer;
    private volatile boolean closed;
    /** How long a waiting rank polls before it yields its core ({@link SpinKnob#spinNanos}). */
    private final long spinNanos;
    /** Released segments and receive buffers, reused with the next messages: the transport's, shared with TCP. */
    private final CopiedSegment.Pool segments;

    /**
     * Starts the writer thread of {@code rank}'s rings of {@code job}.
     *
     * @param slots     slots per ring ({@code JCCL_SHM_SLOTS})
     * @param slotBytes bytes per slot ({@code JCCL_SHM_SLOT_BYTES})
     * @param sameHost  per world rank: DATA to it goes through shared memory
     * @param spinNanos how long a waiting rank polls before it yields its core ({@link SpinKnob#spinNanos})
     * @param segments  where received messages are copied to (the transport's pool, shared with TCP)
     */
    public Shm(int rank, String job, int slots, int slotBytes, boolean[] sameHost, long spinNanos, CopiedSegment.Pool segments) {
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
    public static String newJobId() {
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
    public static String hold(String job) {
        ShmJobs.removeDead(DIR);
        try {
            ShmJobs.hold(DIR, job);
            return null;
        } catch (IOException | UnsupportedOperationException e) {
            return e.toString();
        }
    }

    /** The probe file of {@code rank} in {@code job} (see {@link #probe}). */
    public static Path probePath(String job, int rank) {
        return DIR.resolve("jccl-" + job + "-host-" + rank);
    }

    /**
     * Creates this rank's probe file: a peer that sees it shares this host's /dev/shm.
     *
     * @return null when it worked, else why not
     */
    public static String probe(String job, int rank) {
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
    public static String lacksRoom(int w, int slots, int slotBytes) {
        long need = 2L * w * (w - 1) * ((long) slots * slotBytes + 4096);
        try {
            long free = Files.getFileStore(DIR).getUsableSpace();
            return free >= need ? null : String.format(java.util.Locale.ROOT,
                    "%s has %d MiB free, the rings of %d ranks need about %d MiB", DIR, free >> 20, w, need >> 20);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** True when DATA to {@code peer} goes through shared memory. */
    public boolean sameHost(int peer) {
        return sameHost[peer];
    }

    private Path ring(long stream, int src, int dst) {
        return DIR.resolve("jccl-" + job + "-" + Long.toHexString(stream) + "-" + src + "-" + dst);
    }

    /**
     * The link of ({@code state}'s peer, stream) over shared memory: opens (or creates) its two rings.
     *
     * @throws io.jccl.InvalidUsageException when the peer's rings were made with other settings
     */
    public ShmLink link(PeerStream state) {
        int peer = state.peer();
        long stream = state.stream();
        ShmRing out = ShmRing.open(ring(stream, rank, peer), slots, slotBytes, false);
        ShmRing in = ShmRing.open(ring(stream, peer, rank), slots, slotBytes, true);
        // broken: what a send or the writer should fail with now (stream aborted, peer lost), or null
        ShmPipe p = new ShmPipe(this, out, in, state.inbox(), state.tracker(), state::broken);
        synchronized (pipes) {
            pipes.add(p);
            pipeArray = pipes.toArray(new ShmPipe[0]);
        }
        return new ShmLink(state, p);
    }

    /** Bytes per slot; a message larger than a slot goes as several fragments. */
    int slotBytes() {
        return slotBytes;
    }

    /** How long a waiting rank polls before it yields its core. */
    long spinNanos() {
        return spinNanos;
    }

    /** Where received messages are copied to. */
    CopiedSegment.Pool segments() {
        return segments;
    }

    /** A pipe queued a send: the writer thread looks at the pipes again. */
    void wake() {
        LockSupport.unpark(writer);
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
        for (ShmPipe p : pipes) {
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

    /**
     * Gives up this process's hold on {@code job} taken by {@link #hold}, where no {@link Shm} was made for it (a
     * start-up that failed or chose TCP); the job's last holder on this host deletes its files.
     */
    public static void release(String job) {
        ShmJobs.release(DIR, job);
    }

    /** Deletes this rank's probe file (see {@link #probe}); nothing when it is gone already. */
    public static void deleteProbe(String job, int rank) {
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
            for (ShmPipe p : pipeArray) {
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
     *
     * @return true when it yielded or slept (the thread may have been off its core for a while), false for a spin
     */
    static boolean idle(long waitedNanos, long spinNanos) {
        if (waitedNanos < spinNanos) {
            Thread.onSpinWait();
            return false;
        }
        if (waitedNanos < 500_000) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(waitedNanos > 100_000_000 ? 1_000_000 : Math.min(100_000, waitedNanos >> 4));
        }
        return true;
    }
}
