package io.jccl.launch;

import io.jccl.net.store.TcpStoreServer;

import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bin/jccl-store PORT}: serves a job's rendezvous store on its own, as torchrun's agent or a
 * {@code TCPStore} started apart from the ranks, until killed. Ranks started with {@code MASTER_PORT=PORT} and
 * {@code JCCL_STORE_HOSTED=1} use it; since it outlives every rank, the survivors of a failure and a replacement
 * can build a new world against it (rendezvous rounds, docs/recovery.md). {@code JCCL_AUTH_KEY} applies as for
 * the ranks.
 */
public final class JcclStore {
    private JcclStore() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 1 || !args[0].matches("\\d{1,5}") || Integer.parseInt(args[0]) > 65535) {
            System.err.println("usage: jccl-store PORT   (serves the rendezvous store on PORT until killed)");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        try (TcpStoreServer store = TcpStoreServer.start(new InetSocketAddress(port))) {
            System.out.println("jccl-store: serving on port " + store.port());
            System.out.flush();
            new CountDownLatch(1).await(); // until the process is killed
        } catch (RuntimeException e) {
            System.err.println("jccl-store: " + e.getMessage());
            System.exit(1);
        }
    }
}
