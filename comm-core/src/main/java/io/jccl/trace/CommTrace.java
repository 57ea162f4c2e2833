package io.jccl.trace;

import io.jccl.Knob;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
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

    private CommTrace(int capacity, String job, long commId, int rank, int worldRank, int size) {
        this.recorder = new FlightRecorder(capacity, size);
        this.job = job;
        this.commId = commId;
        this.rank = rank;
        this.worldRank = worldRank;
        this.timeline = Timeline.forProcess(worldRank);
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
     * @throws io.jccl.InvalidUsageException when the setting is not a whole number of at least 0
     */
    public static CommTrace create(String job, long commId, int rank, int worldRank, int size) {
        long capacity = Knob.TRACE_BUFFER.getLong();
        if (capacity < 0 || capacity > 10_000_000) {
            throw new io.jccl.InvalidUsageException(Knob.TRACE_BUFFER.envName() + "=" + capacity
                    + " must be in [0, 10000000]");
        }
        if (capacity == 0) {
            DumpSignal.ensureInstalled(); // kill -USR1 must not end a process whose recorder is off
            return null;
        }
        return new CommTrace((int) capacity, job, commId, rank, worldRank, size);
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

    /** See {@link FlightRecorder#queued}. */
    public void queued(OpHeader h, String algorithm, String reason, String placement) {
        recorder.queued(h, algorithm, reason, placement);
    }

    /** See {@link FlightRecorder#running}. */
    public void running(long seq, long nowNanos) {
        recorder.running(seq, nowNanos);
    }

    /** The operation ended; on the timeline when one is written. */
    public void ended(OpHeader h, String algorithm, long startNanos, Throwable failure) {
        long now = System.nanoTime();
        recorder.ended(h.seq(), now, failure);
        if (timeline != null) {
            timeline.operation(row, h, algorithm, startNanos, now, failure != null);
        }
    }

    /**
     * Writes the dump now to {@code JCCL_TRACE_DIR} (or the working directory).
     *
     * @return the file written, or a line saying why none was
     */
    public String dump(String why) {
        String dir = Knob.TRACE_DIR.get();
        try {
            Path file = TraceDump.write(Path.of(dir.isEmpty() ? "." : dir), recorder, job, commId, rank, worldRank,
                    why);
            LOG.info("rank={}: flight recorder of communicator {} dumped to {} ({})", rank,
                    Long.toUnsignedString(commId), file, why);
            return file.toString();
        } catch (IOException | RuntimeException e) {
            LOG.warn("rank={}: could not dump the flight recorder ({}): {}", rank, why, e.toString());
            return "no dump: " + e;
        }
    }

    /** Writes the dump on a thread of its own (from a transport thread, which must not block on a file). */
    public void dumpAsync(String why) {
        if (!dumpPending.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                dump(why);
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
