package io.jccl.net.store;

import io.jccl.CommTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rendezvous store over loopback: set, get, add, waiting gets, timeouts and bind failures. */
@Timeout(30)
class TcpStoreTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private TcpStoreServer server;
    private TcpStoreClient a;
    private TcpStoreClient b;

    @BeforeEach
    void start() {
        server = TcpStoreServer.start(new InetSocketAddress(LOOPBACK, 0));
        a = TcpStoreClient.connect(address(), deadline(5_000));
        b = TcpStoreClient.connect(address(), deadline(5_000));
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
        server.close();
    }

    private InetSocketAddress address() {
        return new InetSocketAddress(LOOPBACK, server.port());
    }

    private static long deadline(long ms) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    /** Each waiter on its own thread (the common pool may have a single thread on a small machine). */
    private static void onNewThread(Runnable r) {
        Thread t = new Thread(r, "store-test-waiter");
        t.setDaemon(true);
        t.start();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void portZeroReportsTheBoundPort() {
        assertTrue(server.port() > 0 && server.port() <= 65535, "port " + server.port());
        // the reported port is the one that answers
        a.set("k", utf8("v"));
        assertArrayEquals(utf8("v"), b.get("k", deadline(5_000)));
    }

    @Test
    void setGetAdd() {
        a.set("addr/0", utf8("10.0.0.1 4000"));
        assertArrayEquals(utf8("10.0.0.1 4000"), b.get("addr/0", deadline(5_000)));
        assertArrayEquals(utf8("10.0.0.1 4000"), a.get("addr/0", deadline(5_000)));
        a.set("addr/0", new byte[0]); // overwrite, with an empty value
        assertArrayEquals(new byte[0], b.get("addr/0", deadline(5_000)));
        byte[] big = new byte[100_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        b.set("big", big);
        assertArrayEquals(big, a.get("big", deadline(5_000)));
        assertEquals(1, a.add("joined", 1));
        assertEquals(2, b.add("joined", 1));
        assertEquals(12, a.add("joined", 10));
        assertEquals(7, b.add("joined", -5));
        assertArrayEquals(utf8("7"), a.get("joined", deadline(5_000)), "a counter reads as its decimal value");
        assertEquals(-3, a.add("fresh", -3), "an absent counter counts from 0");
        a.set("ключ/κλειδί", utf8("ü"));
        assertArrayEquals(utf8("ü"), b.get("ключ/κλειδί", deadline(5_000)), "UTF-8 keys");
    }

    @Test
    void getWaitsForALaterSetFromAnotherClient() throws Exception {
        CompletableFuture<byte[]> waiting =
                CompletableFuture.supplyAsync(() -> a.get("late", deadline(10_000)), TcpStoreTest::onNewThread);
        // bounded check that the get is really waiting (not a sleep: the set below does not depend on it)
        assertThrows(TimeoutException.class, () -> waiting.get(200, TimeUnit.MILLISECONDS));
        b.set("late", utf8("here"));
        assertArrayEquals(utf8("here"), waiting.get(5, TimeUnit.SECONDS));
        // several waiters on one key all wake
        CompletableFuture<byte[]> w1 =
                CompletableFuture.supplyAsync(() -> a.get("later", deadline(10_000)), TcpStoreTest::onNewThread);
        try (TcpStoreClient c = TcpStoreClient.connect(address(), deadline(5_000))) {
            CompletableFuture<byte[]> w2 =
                    CompletableFuture.supplyAsync(() -> c.get("later", deadline(10_000)), TcpStoreTest::onNewThread);
            assertThrows(TimeoutException.class, () -> w2.get(100, TimeUnit.MILLISECONDS));
            assertTrue(!w1.isDone(), "a get returned before its key was set");
            b.set("later", utf8("x"));
            assertArrayEquals(utf8("x"), w1.get(5, TimeUnit.SECONDS));
            assertArrayEquals(utf8("x"), w2.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void getTimesOutNamingTheKey() {
        long t0 = System.nanoTime();
        CommTimeoutException e = assertThrows(CommTimeoutException.class, () -> a.get("never/set", deadline(300)));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(e.getMessage().contains("never/set"), e.getMessage());
        assertTrue(ms >= 250 && ms < 3_000, "timed out after " + ms + " ms with a 300 ms deadline");
        // the connection stays usable after a timed-out get
        a.set("after", utf8("ok"));
        assertArrayEquals(utf8("ok"), a.get("after", deadline(5_000)));
    }

    @Test
    void portInUseIsATypedError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, LOOPBACK)) {
            int port = taken.getLocalPort();
            StorePortInUseException e = assertThrows(StorePortInUseException.class,
                    () -> TcpStoreServer.start(new InetSocketAddress(LOOPBACK, port)).close());
            assertEquals(port, e.port());
            assertTrue(e.getMessage().contains(Integer.toString(port)), e.getMessage());
        }
    }

    @Test
    void connectToNoStoreTimesOut() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, LOOPBACK)) {
            port = s.getLocalPort();
        }
        long t0 = System.nanoTime();
        CommTimeoutException e = assertThrows(CommTimeoutException.class,
                () -> TcpStoreClient.connect(new InetSocketAddress(LOOPBACK, port), deadline(300)));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(e.getMessage().contains(Integer.toString(port)), e.getMessage());
        assertTrue(ms < 3_000, "gave up after " + ms + " ms with a 300 ms deadline");
    }
}
