package io.jccl.trace;

import io.jccl.Knob;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.WaitClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Everything a communicator records about itself: its {@link FlightRecorder}, the dumps of it (on a failure, when
 * a peer that timed out asks for this rank's progress, on {@code kill -USR1}, through JMX), its JMX MBean
 * ({@link CommMetricsMXBean}) and its row on the process's {@link Timeline}. Made by the communicator when
 * {@code JCCL_TRACE_BUFFER} is above 0.
 *
 * <h2>Timing</h2>
 * An operation starts at the clock reading that also sets its deadline. Its end ({@code JCCL_TRACE_TIMING}):
 * {@code exact} reads the clock at every end; {@code auto} (the default) reads it at the end of a failed operation,
 * of one over {@link #SHARED_END_MAX_BYTES} (where a read costs under 1% of the operation) and while a timeline is
 * written, and dates a smaller one by the last clock reading of its waits, which its transport kept
 * ({@link WaitClock}), or its start if it never waited: early by at most the operation's own work after its last
 * wait (well under a microsecond for an 8 B all-reduce), since a read of its own (about 30 ns) would be 4% of an 8 B
 * all-reduce over shared memory.
 *
 * <p>Threading: the recording methods as {@link FlightRecorder} states; dumps from any thread.
 */
public final class CommTrace implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CommTrace.class);

    private final FlightRecorder recorder;
    private final String job;
    private final long commId;
    private final int rank;
    private final int worldRank;
    private final Timeline timeline;
    private final int row;
    private final ObjectName mbean;
    private final AtomicBoolean dumpPending = new AtomicBoolean();

    /** Operations of at most this many bytes end at their last wait's clock reading ({@code JCCL_TRACE_TIMING=auto}). */
    public static final long SHARED_END_MAX_BYTES = 16 << 10;

    /** A clock read at the end of every operation: {@code JCCL_TRACE_TIMING=exact}, or a timeline is written. */
    private final boolean exactEnd;
    // the thread running operations and its WaitClock cell, taken again when another thread runs them (the thread
    // that runs operations only)
    private Thread clockThread;
    private long[] clock;

    private CommTrace(int capacity, boolean exactEnd, String job, long commId, int rank, int worldRank, int size) {
        this.recorder = new FlightRecorder(capacity, size);
        this.timeline = Timeline.forProcess(worldRank);
        this.exactEnd = exactEnd || timeline != null;
        this.job = job;
        this.commId = commId;
        this.rank = rank;
        this.worldRank = worldRank;
        this.row = timeline == null ? 0 : timeline.newRow();
        if (timeline != null) {
            timeline.bindRow(commId, row);
        }
        this.mbean = register();
        DumpSignal.register(this);
    }

    /**
     * The trace of a communicator, or null when {@code JCCL_TRACE_BUFFER} is 0.
     *
     * @throws io.jccl.InvalidUsageException when {@code JCCL_TRACE_BUFFER} is not a whole number in [0, 10000000] or
     *                                       {@code JCCL_TRACE_TIMING} is neither exact nor auto (checked also when
     *                                       the recorder is off, so that a typo shows before it is turned on)
     */
    public static CommTrace create(String job, long commId, int rank, int worldRank, int size) {
        long capacity = Knob.TRACE_BUFFER.getLong();
        if (capacity < 0 || capacity > 10_000_000) {
            throw new io.jccl.InvalidUsageException(Knob.TRACE_BUFFER.envName() + "=" + capacity
                    + " must be in [0, 10000000]");
        }
        boolean exact = exactEnd();
        if (capacity == 0) {
            DumpSignal.ensureInstalled(); // kill -USR1 must not end a process whose recorder is off
            return null;
        }
        return new CommTrace((int) capacity, exact, job, commId, rank, worldRank, size);
    }

    /**
     * {@code JCCL_TRACE_TIMING}: true for {@code exact}.
     *
     * @throws io.jccl.InvalidUsageException when it is neither {@code exact} nor {@code auto}
     */
    static boolean exactEnd() {
        String given = Knob.TRACE_TIMING.get();
        String v = given.toLowerCase(java.util.Locale.ROOT);
        if (!v.equals("exact") && !v.equals("auto")) {
            throw new io.jccl.InvalidUsageException(Knob.TRACE_TIMING.envName() + "='" + given
                    + "' must be exact or auto");
        }
        return v.equals("exact");
    }

    private ObjectName register() {
        try {
            ObjectName name = new ObjectName("io.jccl:type=Communicator,comm=" + Long.toUnsignedString(commId)
                    + ",rank=" + rank);
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            if (server.isRegistered(name)) {
                server.unregisterMBean(name); // an in-process world's ranks of one id: the latest wins
            }
            server.registerMBean(new CommMetrics(this), name);
            return name;
        } catch (JMException | RuntimeException e) {
            LOG.debug("rank={}: no JMX MBean for communicator {}: {}", rank, commId, e.toString());
            return null;
        }
    }

    /** The recorder. */
    public FlightRecorder recorder() {
        return recorder;
    }

    /** This process's rank in the communicator. */
    public int rank() {
        return rank;
    }

    /** The MBean's name, or null when none could be registered. */
    public ObjectName mbeanName() {
        return mbean;
    }

    /** {@code link} to communicator rank {@code peer}, recording what each transfer moves. */
    public PeerLink wrap(PeerLink link, int peer) {
        return new RecordingLink(link, peer, recorder, timeline);
    }

    /** See {@link FlightRecorder#queued(OpHeader, String, String, boolean)}. */
    public void queued(OpHeader h, String algorithm, String reason, boolean staged) {
        recorder.queued(h, algorithm, reason, staged);
    }

    /** See {@link FlightRecorder#running}; on the thread that will run it to its end. */
    public void running(long seq, long nowNanos) {
        Thread t = Thread.currentThread();
        if (t != clockThread) {
            clock = WaitClock.cell();
            clockThread = t;
        }
        recorder.running(seq, nowNanos);
    }

    /**
     * The operation ended, on the thread that ran it (dated as the class comment says); on the timeline when one is
     * written.
     *
     * @param bytes the operation's size in bytes (count x type), negative when ranks' counts differ
     */
    public void ended(OpHeader h, String algorithm, long startNanos, long bytes, Throwable failure) {
        long now;
        if (exactEnd || failure != null || bytes < 0 || bytes > SHARED_END_MAX_BYTES
                || clockThread != Thread.currentThread()) {
            now = System.nanoTime();
        } else {
            long waited = clock[0];
            now = waited - startNanos > 0 ? waited : startNanos;
        }
        recorder.ended(h, now, failure);
        if (timeline != null) {
            timeline.operation(row, h, algorithm, startNanos, now, failure != null);
        }
    }

    /**
     * Writes the dump now to {@code JCCL_TRACE_DIR} (or the working directory), because of a problem: its file is
     * logged at WARN (the default level), as part of the problem's report.
     *
     * @return the file written, or a line saying why none was
     */
    public String dump(String why) {
        return write(why, false);
    }

    /** As {@link #dump}, asked for (SIGUSR1, JMX): its file is logged at INFO. */
    public String dumpOnRequest(String why) {
        return write(why, true);
    }

    private String write(String why, boolean asked) {
        String dir = Knob.TRACE_DIR.get();
        try {
            Path file = TraceDump.write(Path.of(dir.isEmpty() ? "." : dir), recorder, job, commId, rank, worldRank,
                    why);
            String line = "rank={}: flight recorder of communicator {} dumped to {} ({}; merge every rank's with"
                    + " bin/jccl-trace)";
            if (asked) {
                LOG.info(line, rank, Long.toUnsignedString(commId), file, why);
            } else {
                LOG.warn(line, rank, Long.toUnsignedString(commId), file, why);
            }
            return file.toString();
        } catch (IOException | RuntimeException e) {
            LOG.warn("rank={}: could not dump the flight recorder ({}): {}", rank, why, e.toString());
            return "no dump: " + e;
        }
    }

    /**
     * Writes the dump on a thread of its own (from a transport thread, which must not block on a file); {@code asked}:
     * as {@link #dumpOnRequest}, else as {@link #dump}.
     */
    public void dumpAsync(String why, boolean asked) {
        if (!dumpPending.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                write(why, asked);
            } finally {
                dumpPending.set(false);
            }
        }, "jccl-trace-dump-rank" + rank);
        t.setDaemon(true);
        t.start();
    }

    /** Unregisters the MBean and the signal handler's entry; the timeline stays open for the process. */
    @Override
    public void close() {
        DumpSignal.unregister(this);
        if (mbean != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(mbean);
            } catch (JMException | RuntimeException e) {
                LOG.debug("rank={}: unregistering {}: {}", rank, mbean, e.toString());
            }
        }
    }
}
