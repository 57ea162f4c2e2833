package io.jccl.trace;

import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.Knob;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.transport.OpHeader;
import io.jccl.Collective;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.TabularData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The flight recorder: what it keeps, its dumps, its JMX counters, and that it wraps around. */
@Timeout(60)
class FlightRecorderTest {
    @TempDir
    Path dir;

    @BeforeEach
    void dumpHere() {
        System.setProperty(Knob.TRACE_DIR.propertyName(), dir.toString());
    }

    @AfterEach
    void restore() {
        System.clearProperty(Knob.TRACE_DIR.propertyName());
    }

    @Test
    void theMBeanCountsEveryOperationAndTheDumpListsThem() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        List<long[]> seen = Jccl.runInProcess(4, CommConfig.builder().build(), comm -> {
            try (HostBuffer b = HostBuffer.allocate(1000, DataType.FLOAT32)) {
                for (int i = 0; i < 3; i++) {
                    comm.allReduce(b, 1000, DataType.FLOAT32, ReduceOp.SUM);
                }
                comm.broadcast(b, 1000, DataType.FLOAT32, 1);
                comm.barrier();
                ObjectName name = new ObjectName("io.jccl:type=Communicator,comm=1,rank=" + comm.rank());
                comm.barrier(); // the 6th operation: every rank registered its MBean before any reads
                long ops = (Long) server.getAttribute(name, "Operations");
                long sent = (Long) server.getAttribute(name, "BytesSent");
                TabularData byColl = (TabularData) server.getAttribute(name, "OperationsByCollective");
                long allReduces = (Long) byColl.get(new Object[] {"all_reduce"}).get("value");
                String file = (String) server.invoke(name, "dumpFlightRecord", null, null);
                assertTrue(Files.exists(Path.of(file)), file);
                return new long[] {ops, sent, allReduces};
            }
        });
        for (int r = 0; r < 4; r++) {
            assertEquals(6, seen.get(r)[0], "rank " + r + ": every operation run");
            assertTrue(seen.get(r)[1] >= 3 * 1000 * 4 * 3 / 4, "rank " + r + " sent " + seen.get(r)[1] + " bytes");
            assertEquals(3, seen.get(r)[2], "rank " + r);
            String json = Files.readString(dir.resolve(TraceDump.fileName("", 1, r)));
            assertTrue(json.startsWith("{\"version\":1,\"job\":\"\",\"commId\":1,\"rank\":" + r), json);
            for (int s = 1; s <= 6; s++) {
                assertTrue(json.contains("{\"seq\":" + s + ","), "seq " + s + " in " + json);
            }
            assertTrue(json.contains("\"collective\":\"broadcast\",\"type\":\"float32\",\"op\":null,\"root\":1"), json);
            assertTrue(json.contains("\"state\":\"done\""), json);
            assertTrue(json.contains("\"lastReceived\":\"phase"), "per-peer progress is named: " + json);
        }
    }

    @Test
    void ranksThatCallDifferentCountsEachDumpTheirOwnCall() throws Exception {
        List<Throwable> errors = Jccl.runInProcess(4, CommConfig.builder().timeoutMillis(5_000).build(), comm -> {
            long n = comm.rank() < 2 ? 1000 : 1002;
            try (HostBuffer b = HostBuffer.allocate(n, DataType.FLOAT32)) {
                comm.allReduce(b, n, DataType.FLOAT32, ReduceOp.SUM);
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        });
        for (int r = 0; r < 4; r++) {
            assertNotNull(errors.get(r), "rank " + r);
            String json = Files.readString(dir.resolve(TraceDump.fileName("", 1, r)));
            assertTrue(json.contains("\"seq\":1,\"collective\":\"all_reduce\""), json);
            assertTrue(json.contains("\"count\":" + (r < 2 ? 1000 : 1002)), json);
            assertTrue(json.contains("\"state\":\"failed\""), json);
            assertTrue(json.contains("\"error\":\""), json);
        }
    }

    /**
     * A small operation's end is its last wait's clock reading by default ({@code JCCL_TRACE_TIMING=auto}), exact
     * with {@code exact}: either way an 8 B all-reduce that waited 300 ms for its peer lasted at least that long.
     */
    @Test
    void aSmallOperationThatWaitedForItsPeerLastsAsLongAsItWaited() throws Exception {
        for (String timing : new String[] {"auto", "exact"}) {
            System.setProperty(Knob.TRACE_TIMING.propertyName(), timing);
            try {
                Jccl.runInProcess(2, CommConfig.builder().build(), comm -> {
                    try (HostBuffer b = HostBuffer.allocate(2, DataType.FLOAT32)) {
                        if (comm.rank() == 1) {
                            Thread.sleep(300);
                        }
                        comm.allReduce(b, 2, DataType.FLOAT32, ReduceOp.SUM);
                        comm.allReduce(b, 2, DataType.FLOAT32, ReduceOp.SUM); // both ranks at once: short
                        if (comm.rank() == 0) {
                            ObjectName name = new ObjectName("io.jccl:type=Communicator,comm=1,rank=0");
                            ManagementFactory.getPlatformMBeanServer().invoke(name, "dumpFlightRecord", null, null);
                        }
                        return null;
                    }
                });
            } finally {
                System.clearProperty(Knob.TRACE_TIMING.propertyName());
            }
            String json = Files.readString(dir.resolve(TraceDump.fileName("", 1, 0)));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"seq\":(\\d+),[^\n]*\"durationMicros\":(\\d+)")
                    .matcher(json);
            long[] micros = new long[3];
            while (m.find()) {
                micros[Integer.parseInt(m.group(1))] = Long.parseLong(m.group(2));
            }
            assertTrue(micros[1] >= 250_000 && micros[1] < 10_000_000, timing + ": the first all-reduce waited 300 ms"
                    + " for rank 1 but lasted " + micros[1] + " us: " + json);
            assertTrue(micros[2] < 250_000, timing + ": the second lasted " + micros[2] + " us: " + json);
        }
    }

    @Test
    void aTimingThatIsNeitherExactNorAutoIsRefused() {
        System.setProperty(Knob.TRACE_TIMING.propertyName(), "precise");
        try {
            io.jccl.InvalidUsageException e = org.junit.jupiter.api.Assertions.assertThrows(
                    io.jccl.InvalidUsageException.class, () -> CommTrace.create("", 1, 0, 0, 1));
            assertTrue(e.getMessage().contains("JCCL_TRACE_TIMING='precise' must be exact or auto"), e.getMessage());
            // also with the recorder off: the typo shows before the recorder is turned on
            System.setProperty(Knob.TRACE_BUFFER.propertyName(), "0");
            e = org.junit.jupiter.api.Assertions.assertThrows(
                    io.jccl.InvalidUsageException.class, () -> CommTrace.create("", 1, 0, 0, 1));
            assertTrue(e.getMessage().contains("JCCL_TRACE_TIMING='precise' must be exact or auto"), e.getMessage());
        } finally {
            System.clearProperty(Knob.TRACE_TIMING.propertyName());
            System.clearProperty(Knob.TRACE_BUFFER.propertyName());
        }
    }

    @Test
    void recordingAllocatesNothingPerOperation() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx instanceof com.sun.management.ThreadMXBean tb
                && tb.isThreadAllocatedMemorySupported() && tb.isThreadAllocatedMemoryEnabled(),
                "this JVM does not count a thread's allocated bytes");
        com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) mx;
        int n = 200_000;
        OpHeader[] headers = new OpHeader[n]; // made before counting: a call brings its header
        for (int i = 0; i < n; i++) {
            headers[i] = new OpHeader(1, i + 1, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1, 1024);
        }
        FlightRecorder r = new FlightRecorder(2000, 4);
        record(r, headers, 0, n / 2); // warm-up: the JIT compiles the recording path
        long before = counter.getCurrentThreadAllocatedBytes();
        record(r, headers, n / 2, n);
        double perOp = (counter.getCurrentThreadAllocatedBytes() - before) / (double) (n / 2);
        System.out.println("bytes allocated per recorded operation: " + perOp);
        assertTrue(perOp < 1, "the recorder allocated " + perOp + " bytes per operation");
    }

    /** What a communicator records of one ring all-reduce at W=4: queued, running, 6 sends and receives, ended. */
    private static void record(FlightRecorder r, OpHeader[] headers, int from, int to) {
        for (int i = from; i < to; i++) {
            OpHeader h = headers[i];
            r.queued(h, "ring", "size thresholds", "host");
            r.running(h.seq(), i);
            for (int s = 0; s < 6; s++) {
                r.sent(1, s, 1024);
                r.received(3, s, 1024);
            }
            r.ended(h.seq(), i + 1, null);
        }
    }

    @Test
    void theRingKeepsTheLatestOperationsAndNoMore() {
        FlightRecorder r = new FlightRecorder(3, 2);
        for (long s = 1; s <= 7; s++) {
            OpHeader h = new OpHeader(1, s, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1, s);
            r.queued(h, "ring", "size thresholds", "host");
            r.running(s, System.nanoTime());
            r.sent(1, Long.MIN_VALUE, 100); // phase 2 in the tag's top bits: a negative tag
            r.received(1, 0, 60);
            r.ended(s, System.nanoTime(), s == 7 ? new IllegalStateException("boom") : null);
        }
        long[] seqs = new long[3];
        int[] k = {0};
        r.forEach(e -> seqs[k[0]++] = e.header().seq());
        assertEquals(3, k[0]);
        assertEquals(List.of(5L, 6L, 7L), List.of(seqs[0], seqs[1], seqs[2]));
        assertEquals(700, r.sentToPeer()[1]);
        assertEquals(420, r.receivedFromPeer()[1]);
        assertEquals(1, r.errorsByCollective()[Collective.ALL_REDUCE.ordinal()]);
        String json = TraceDump.json(r, "", 1, 0, 0, "test");
        assertTrue(json.contains("\"seq\":7,") && json.contains("\"error\":\"boom\"") && !json.contains("\"seq\":4,"),
                json);
        assertTrue(json.contains("\"lastSent\":\"" + new OpHeader(1, 7, Collective.ALL_REDUCE, DataType.FLOAT32,
                ReduceOp.SUM, -1, 7).describeTag(Long.MIN_VALUE) + "\""), "a negative tag is a transfer too: " + json);
    }
}
