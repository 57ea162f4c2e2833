package io.jccl.net;

import io.jccl.Collective;
import io.jccl.CommConfig;
import io.jccl.CommTimeoutException;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.PeerFailureException;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.net.auth.JobKey;
import io.jccl.net.launch.SpinKnob;
import io.jccl.net.shm.Shm;
import io.jccl.net.shm.ShmCleanup;
import io.jccl.net.store.TcpStoreClient;
import io.jccl.net.store.TcpStoreServer;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Segment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared-memory data path: fragments and a full ring, mismatches, dead peers, deadlines, file cleanup. */
@Timeout(60)
class ShmTransportTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();
    private static final OpHeader H = new OpHeader(1, 1, Collective.ALL_REDUCE, DataType.INT8, ReduceOp.SUM, -1, 100_000);

    /** Two transports whose DATA goes through rings of 4 slots of 4 KiB under a fresh job id. */
    private static NettyTransport[] shmPair(String job) {
        NettyTransport t0 = NettyTransport.start(0, 2, LO, JobKey.none(), 5_000);
        NettyTransport t1 = NettyTransport.start(1, 2, LO, JobKey.none(), 5_000);
        InetSocketAddress[] all = {t0.listenAddress(), t1.listenAddress()};
        t0.setPeerAddresses(all);
        t1.setPeerAddresses(all);
        t0.enableShm(new Shm(0, job, 4, 4096, new boolean[] {false, true}, 20_000, t0.receivedSegments()));
        t1.enableShm(new Shm(1, job, 4, 4096, new boolean[] {true, false}, 20_000, t1.receivedSegments()));
        return new NettyTransport[] {t0, t1};
    }

    private static long deadline(long ms) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    private static List<Path> files(String job) throws IOException {
        try (Stream<Path> s = Files.list(Shm.DIR)) {
            return s.filter(p -> p.getFileName().toString().startsWith("jccl-" + job)).collect(Collectors.toList());
        }
    }

    private static <T> CompletableFuture<T> async(java.util.function.Supplier<T> task) {
        return CompletableFuture.supplyAsync(task, r -> new Thread(r).start());
    }

    private static Throwable causeOf(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get(30, TimeUnit.SECONDS);
            throw new AssertionError("did not fail");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("did not finish");
        }
    }

    @Test
    void aBadPollingTimeFailsBeforeAnythingIsMadeUnderDevShm() throws Exception {
        System.setProperty(io.jccl.Knob.SHM_SPIN_US.propertyName(), "abc");
        try (java.util.stream.Stream<java.nio.file.Path> before = java.nio.file.Files.list(Shm.DIR)) {
            long had = before.filter(x -> x.getFileName().toString().startsWith("jccl-")).count();
            io.jccl.InvalidUsageException e = assertThrows(io.jccl.InvalidUsageException.class,
                    () -> NetCommunicators.create(new LaunchInfo(0, 2, 0, "127.0.0.1", 1), io.jccl.CommConfig.builder().build(),
                            false, "auto"));
            assertTrue(e.getMessage().contains("JCCL_SHM_SPIN_US='abc'"), e.getMessage());
            try (java.util.stream.Stream<java.nio.file.Path> after = java.nio.file.Files.list(Shm.DIR)) {
                assertEquals(had, after.filter(x -> x.getFileName().toString().startsWith("jccl-")).count());
            }
        } finally {
            System.clearProperty(io.jccl.Knob.SHM_SPIN_US.propertyName());
        }
    }

    @Test
    void pollingTimeFollowsTheKnobAndTheCores() {
        assertEquals(-1, SpinKnob.setting(io.jccl.Knob.SHM_SPIN_US, "auto"));
        assertEquals(-1, SpinKnob.setting(io.jccl.Knob.SHM_SPIN_US, " AUTO "), "as JCCL_TRANSPORT, any case");
        assertEquals(20_000, SpinKnob.spinNanos(SpinKnob.setting(io.jccl.Knob.SHM_SPIN_US, "auto"), 2, 2, SpinKnob.SHM_AUTO_NANOS), "ranks fit the cores: poll 20 us");
        assertEquals(200_000, SpinKnob.spinNanos(SpinKnob.setting(io.jccl.Knob.TCP_SPIN_US, "auto"), 2, 2, SpinKnob.TCP_AUTO_NANOS),
                "TCP: ranks fit the cores: read for 200 us");
        assertEquals(0, SpinKnob.spinNanos(SpinKnob.setting(io.jccl.Knob.SHM_SPIN_US, "auto"), 4, 2, SpinKnob.SHM_AUTO_NANOS), "more ranks than cores: yield at once");
        assertEquals(7_000, SpinKnob.spinNanos(SpinKnob.setting(io.jccl.Knob.SHM_SPIN_US, " 7 "), 4, 2, SpinKnob.SHM_AUTO_NANOS));
        assertEquals(0, SpinKnob.spinNanos(SpinKnob.setting(io.jccl.Knob.SHM_SPIN_US, "0"), 1, 8, SpinKnob.SHM_AUTO_NANOS));
        for (String bad : new String[] {"-1", "fast", "", "1e3", "1000001"}) {
            io.jccl.InvalidUsageException e = assertThrows(io.jccl.InvalidUsageException.class,
                    () -> SpinKnob.setting(io.jccl.Knob.TCP_SPIN_US, bad), bad);
            assertTrue(e.getMessage().contains("JCCL_TCP_SPIN_US='" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void messagesLargerThanTheRingArriveIntactBothWaysAndTheFilesGoAtClose() throws Exception {
        String job = Shm.newJobId();
        NettyTransport[] t = shmPair(job);
        try {
            int n = 100_000; // 25 fragments through a ring of 4
            ByteBuffer[] src = new ByteBuffer[2];
            for (int r = 0; r < 2; r++) {
                src[r] = ByteBuffer.allocateDirect(n);
                for (int i = 0; i < n; i++) {
                    src[r].put(i, (byte) (i * 31 + r));
                }
            }
            CompletableFuture<?>[] done = new CompletableFuture<?>[2];
            for (int r = 0; r < 2; r++) {
                int me = r;
                done[r] = async(() -> {
                    PeerLink l = t[me].link(1 - me, 1, deadline(10_000));
                    long ticket = 0;
                    for (int k = 0; k < 3; k++) {
                        ticket = l.send(H, k, src[me], 0, n);
                    }
                    l.send(H, 9, src[me], 0, 0); // an empty message is a message
                    for (int k = 2; k >= 0; k--) { // out of order: earlier ones wait in the inbox
                        Segment s = l.recv(H, k, deadline(10_000));
                        try {
                            assertEquals(n, s.length());
                            ByteBuffer b = s.buffer();
                            for (int i = 0; i < n; i++) {
                                assertEquals((byte) (i * 31 + 1 - me), b.get(s.offset() + i), "byte " + i);
                            }
                        } finally {
                            s.release();
                        }
                    }
                    Segment empty = l.recv(H, 9, deadline(10_000));
                    assertEquals(0, empty.length());
                    empty.release();
                    l.awaitSent(ticket, deadline(10_000));
                    return null;
                });
            }
            done[0].get(30, TimeUnit.SECONDS);
            done[1].get(30, TimeUnit.SECONDS);
            assertEquals(List.of(), files(job), "both ranks mapped both rings, so their names are gone already");
        } finally {
            t[1].close();
            t[0].close();
        }
        assertEquals(List.of(), files(job));
    }

    @Test
    void aMismatchedCallFailsWithBothCalls() throws Exception {
        NettyTransport[] t = shmPair(Shm.newJobId());
        try {
            assertEquals("shm", t[0].describe(), "the one peer is on shared memory");
            PeerLink l1 = t[1].link(0, 1, deadline(10_000));
            l1.send(H, 7, ByteBuffer.allocateDirect(8), 0, 8);
            OpHeader mine = new OpHeader(1, 1, Collective.ALL_REDUCE, DataType.INT8, ReduceOp.MAX, -1, 100_000);
            PeerFailureException e = assertThrows(PeerFailureException.class,
                    () -> t[0].link(1, 1, deadline(10_000)).recv(mine, 7, deadline(10_000)));
            assertTrue(e.getMessage().contains("mismatched collective calls") && e.getMessage().contains("peer=1"),
                    e.getMessage());
        } finally {
            t[1].close();
            t[0].close();
        }
    }

    @Test
    void aReceiveTimesOutAtItsDeadlineNamingThePeer() {
        NettyTransport[] t = shmPair(Shm.newJobId());
        try {
            t[1].link(0, 1, deadline(10_000));
            long start = System.nanoTime();
            CommTimeoutException e = assertThrows(CommTimeoutException.class,
                    () -> t[0].link(1, 1, deadline(10_000)).recv(H, 7, deadline(300)));
            assertTrue(e.getMessage().contains("peer=1") && e.getMessage().contains("rank=0"), e.getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        } finally {
            t[1].close();
            t[0].close();
        }
    }

    @Test
    void aPeerThatClosesFailsAPendingReceiveAndAStuckSendBeforeTheDeadline() throws Exception {
        String job = Shm.newJobId();
        NettyTransport[] t = shmPair(job);
        try {
            t[1].link(0, 1, deadline(10_000)); // the higher rank connects
            PeerLink l0 = t[0].link(1, 1, deadline(10_000));
            // more than the ring holds: the peer never receives, so the send stays pending
            long ticket = l0.send(H, 3, ByteBuffer.allocateDirect(100_000), 0, 100_000);
            CompletableFuture<Segment> recv = async(() -> l0.recv(H, 7, deadline(30_000)));
            CompletableFuture<Object> sent = async(() -> {
                l0.awaitSent(ticket, deadline(30_000));
                return null;
            });
            Thread.sleep(300);
            long start = System.nanoTime();
            t[1].close();
            Throwable r = causeOf(recv);
            Throwable s = causeOf(sent);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "failed in time");
            assertInstanceOf(PeerFailureException.class, r);
            assertTrue(r.getMessage().contains("peer=1"), r.getMessage());
            assertInstanceOf(PeerFailureException.class, s);
            assertTrue(s.getMessage().contains("peer=1"), s.getMessage());
        } finally {
            t[1].close();
            t[0].close();
        }
        assertEquals(List.of(), files(job), "the receiver opened every ring, so the sender deletes its own too");
    }

    /** The results of W ranks and the id of their job's shared-memory files (see {@link #runJob}). */
    private record JobRun<T>(String job, List<T> results) {
    }

    /**
     * W ranks as threads, each with its own transport over loopback in mode {@code mode} and one store, like
     * {@link NettyCluster}; each runs {@code task} with the id of the job's shared-memory files, which rank 0 draws
     * and publishes in the store (in modes shm and auto, even when the job then runs over TCP). Tests look at that
     * job's files only: other JCCL jobs on the machine come and go under /dev/shm meanwhile.
     */
    private static <T> JobRun<T> runJob(String mode, int w, java.util.function.BiFunction<Communicator, String, T> task)
            throws Exception {
        CommConfig config = CommConfig.builder().timeoutMillis(30_000).build();
        try (TcpStoreServer store = TcpStoreServer.start(new InetSocketAddress("127.0.0.1", 0))) {
            CompletableFuture<String> job = new CompletableFuture<>();
            List<CompletableFuture<T>> ranks = new java.util.ArrayList<>();
            for (int r = 0; r < w; r++) {
                LaunchInfo info = new LaunchInfo(r, w, r, "127.0.0.1", store.port());
                ranks.add(async(() -> {
                    try (Communicator c = NetCommunicators.create(info, config, false, mode)) {
                        T out = task.apply(c, job.join());
                        c.barrier(); // no rank closes its connections while a peer still reads them
                        return out;
                    }
                }));
            }
            try (TcpStoreClient client = TcpStoreClient.connect(new InetSocketAddress("127.0.0.1", store.port()),
                    deadline(30_000))) {
                job.complete(new String(client.get(ShmCleanup.jobKey(), deadline(30_000)), StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                job.completeExceptionally(e);
                throw e;
            }
            List<T> out = new java.util.ArrayList<>();
            for (CompletableFuture<T> f : ranks) {
                out.add(f.get(60, TimeUnit.SECONDS));
            }
            return new JobRun<>(job.join(), out);
        }
    }

    @Test
    void aCommunicatorOverSharedMemoryRunsAndLeavesNoFiles() throws Exception {
        JobRun<Integer> run = runJob("shm", 3, (c, job) -> {
            int n = 1 << 20;
            try (HostBuffer b = HostBuffer.allocate(n, DataType.FLOAT32)) {
                for (int i = 0; i < n; i++) {
                    b.putFloat(i, c.rank() + 1);
                }
                c.allReduce(b, n, DataType.FLOAT32, ReduceOp.SUM);
                for (int i = 0; i < n; i += 4097) {
                    assertEquals(6f, b.byteBuffer().getFloat(i * 4));
                }
            }
            try {
                return (int) files(job).stream().filter(p -> p.getFileName().toString().contains("-host-")).count();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        run.results().forEach(k -> assertEquals(0, k, "the probes are gone once every rank has looked at them"));
        assertEquals(List.of(), files(run.job()));
    }

    @Test
    void aRankThatLeavesMidOperationFailsTheOthersWithAClearError() throws Exception {
        CommConfig config = CommConfig.builder().timeoutMillis(30_000).build();
        int w = 3;
        try (io.jccl.net.store.TcpStoreServer store = io.jccl.net.store.TcpStoreServer.start(new InetSocketAddress("127.0.0.1", 0))) {
            @SuppressWarnings({"unchecked", "rawtypes"})
            CompletableFuture<Object>[] f = new CompletableFuture[w];
            long start = System.nanoTime();
            for (int r = 0; r < w; r++) {
                LaunchInfo info = new LaunchInfo(r, w, r, "127.0.0.1", store.port());
                f[r] = async(() -> {
                    try (Communicator c = NetCommunicators.create(info, config, false, "shm");
                         HostBuffer b = HostBuffer.allocate(1 << 22, DataType.FLOAT32)) {
                        c.barrier();
                        if (c.rank() == 2) {
                            return null; // leaves: closes its communicator while the others all-reduce
                        }
                        for (int k = 0; k < 1000; k++) {
                            c.allReduce(b, 1 << 22, DataType.FLOAT32, ReduceOp.SUM);
                        }
                        return null;
                    }
                });
            }
            f[2].get(30, TimeUnit.SECONDS);
            for (int r = 0; r < 2; r++) {
                Throwable e = causeOf(f[r]);
                assertInstanceOf(PeerFailureException.class, e);
                assertTrue(e.getMessage().contains("rank=" + r) && e.getMessage().contains("2"), e.getMessage());
            }
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(25), "failed before the deadline");
        }
    }

    @Test
    void autoIsTheDefaultAndAnUnknownModeIsRefused() {
        assertEquals("auto", io.jccl.Knob.TRANSPORT.defaultValue());
        assertThrows(io.jccl.InvalidUsageException.class, () -> NetCommunicators.create(
                new LaunchInfo(0, 1, 0, "127.0.0.1", 1), CommConfig.builder().build(), false, "udp"));
    }

    @Test
    void autoChecksThatTheRingsFit() {
        String why = Shm.lacksRoom(100_000, 8, 512 * 1024);
        assertTrue(why != null && why.contains("MiB free") && why.contains("100000 ranks"), String.valueOf(why));
        // two ranks with one-slot 4 KiB rings: 32 KiB in all, which any usable /dev/shm holds
        assertEquals(null, Shm.lacksRoom(2, 1, 4096));
    }

    @Test
    void autoWithoutRoomUsesTcpAndLeavesNoFiles() throws Exception {
        String key = io.jccl.Knob.SHM_SLOT_BYTES.propertyName();
        System.setProperty(key, Long.toString(1L << 30)); // 8 GiB rings: no /dev/shm holds two ranks' worth twice
        JobRun<Boolean> run;
        try {
            run = runJob("auto", 2, (c, job) -> {
                        try (HostBuffer b = HostBuffer.allocate(1024, DataType.FLOAT32)) {
                            for (int i = 0; i < 1024; i++) {
                                b.putFloat(i, 1);
                            }
                            c.allReduce(b, 1024, DataType.FLOAT32, ReduceOp.SUM);
                            assertEquals(2f, b.byteBuffer().getFloat(4 * 1023));
                        }
                        try {
                            return !files(job).isEmpty();
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            assertEquals(List.of(false, false), run.results(), "no probe or ring file while the job runs over TCP");
        } finally {
            System.clearProperty(key);
        }
        assertEquals(List.of(), files(run.job()));
    }
}
