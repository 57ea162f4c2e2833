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
    private static final String USAGE = "usage: jccl-store PORT   serves a job's rendezvous store on PORT until killed;"
            + " ranks use it with MASTER_PORT=PORT JCCL_STORE_HOSTED=1 (docs/recovery.md); -V: version";

    private JcclStore() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length == 1 && (args[0].equals("-V") || args[0].equals("--version"))) {
            System.out.println("jccl-store " + io.jccl.Jccl.version() + ", java " + Runtime.version());
            return;
        }
        if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
            System.out.println(USAGE);
            return;
        }
        String why = args.length != 1 ? "expected one argument, PORT, got " + args.length
                : !args[0].matches("\\d{1,5}") || Integer.parseInt(args[0]) > 65535
                ? "PORT must be a number from 0 to 65535, not '" + args[0] + "'" : null;
        if (why != null) {
            System.err.println("jccl-store: " + why + "\n" + USAGE);
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
