package io.jccl.net;

import io.jccl.PeerFailureException;
import io.jccl.net.auth.JobKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rank that waits for a connection from a peer that died before connecting (the higher rank of a pair
 * connects) must stop waiting when its communicator is aborted, not at its deadline: found by FaultIT, where a
 * survivor's barrier sat in that wait for the whole 8 s deadline after the others had aborted.
 */
@Timeout(60)
class ConnectWaitAbortTest {
    @Test
    void anAbortEndsTheWaitForAPeerThatNeverConnects() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        NettyTransport t0 = NettyTransport.start(0, 2, lo, JobKey.none(), 5_000);
        try {
            // rank 1 never starts: its address is a port nothing listens on, and rank 0 (the lower) only waits
            t0.setPeerAddresses(new InetSocketAddress[] {t0.listenAddress(), new InetSocketAddress(lo, 9)});
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            CompletableFuture<Object> waiting = CompletableFuture.supplyAsync(() -> t0.link(1, 1, deadline),
                    r -> new Thread(r).start());
            Thread.sleep(300);
            assertTrue(!waiting.isDone(), "still waiting for rank 1 to connect");
            long t = System.nanoTime();
            t0.abort(1, "rank 2 failed");
            try {
                waiting.get(5, TimeUnit.SECONDS);
                throw new AssertionError("link returned although rank 1 never connected");
            } catch (ExecutionException e) {
                assertInstanceOf(PeerFailureException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("rank 2 failed"), e.getCause().getMessage());
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t);
            assertTrue(ms < 2_000, "the wait ended " + ms + " ms after the abort, not at its 30 s deadline");
        } finally {
            t0.close();
        }
    }
}
