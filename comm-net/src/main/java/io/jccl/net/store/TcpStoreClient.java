package io.jccl.net.store;

import io.jccl.CommTimeoutException;
import io.jccl.JcclException;
import io.jccl.PeerFailureException;
import io.jccl.net.auth.JobKey;
import io.jccl.transport.Store;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Client of the rendezvous store ({@link StoreProtocol}): one blocking socket, one request at a time. Off
 * the data path, so plain sockets keep it simple.
 *
 * <p>Thread-safe (requests are serialized).
 */
public final class TcpStoreClient implements Store {
    private final InetSocketAddress server;
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    private TcpStoreClient(InetSocketAddress server, Socket socket) throws IOException {
        this.server = server;
        this.socket = socket;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
    }

    /**
     * Connects to the store at {@code server}, retrying while it is not up yet, until the deadline.
     *
     * @throws CommTimeoutException naming the address if no store answered in time
     */
    public static TcpStoreClient connect(InetSocketAddress server, long deadlineNanos) {
        return connect(server, deadlineNanos, JobKey.fromKnobs());
    }

    /**
     * As {@link #connect(InetSocketAddress, long)}, proving {@code key} to the server.
     *
     * @throws PeerFailureException if the server refuses the key
     */
    public static TcpStoreClient connect(InetSocketAddress server, long deadlineNanos, JobKey key) {
        IOException last = null;
        long backoffMs = 10;
        while (System.nanoTime() < deadlineNanos) {
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
                s.connect(server, (int) Math.min(leftMs, 5_000));
                TcpStoreClient c = new TcpStoreClient(server, s);
                c.authenticate(key, Math.max(1_000, leftMs));
                return c;
            } catch (IOException e) {
                last = e;
                closeQuietly(s);
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new JcclException("interrupted connecting to the rendezvous store at " + server);
                }
                backoffMs = Math.min(500, backoffMs * 2);
            }
        }
        throw new CommTimeoutException("no rendezvous store answered at " + server.getHostString() + ":" + server.getPort()
                + " (MASTER_ADDR:MASTER_PORT) before the deadline" + (last == null ? "" : ": " + last)
                + "; the store is served by rank 0's process, or by bin/jccl-run --node-rank 0 on node 0, or by"
                + " bin/jccl-store: is it running, and is that its address?");
    }

    private void authenticate(JobKey key, long timeoutMs) throws IOException {
        Reply challenge = readReply(timeoutMs);
        if (challenge.status != StoreProtocol.CHALLENGE || challenge.value.length != JobKey.BYTES) {
            throw new PeerFailureException("rendezvous store at " + server + " did not open with a challenge");
        }
        Reply r;
        try {
            r = call(StoreProtocol.OP_AUTH, 0, "", key.mac("store", challenge.value), timeoutMs);
        } catch (PeerFailureException e) {
            r = null;
        }
        if (r == null || r.status != StoreProtocol.OK) {
            throw new PeerFailureException("rendezvous store at " + server + " refused this process's key"
                    + " (JCCL_AUTH_KEY or JCCL_AUTH_KEY_FILE must match the job's)");
        }
    }

    /** The local address of this client's connection: the interface that routes to the store's host. */
    public InetAddress localAddress() {
        return socket.getLocalAddress();
    }

    @Override
    public void set(String key, byte[] value) {
        call(StoreProtocol.OP_SET, 0, key, value, 0);
    }

    @Override
    public byte[] get(String key, long deadlineNanos) {
        long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        Reply r = call(StoreProtocol.OP_GET, ms, key, new byte[0], ms + 10_000);
        if (r.status == StoreProtocol.TIMEOUT) {
            throw new CommTimeoutException("rendezvous store at " + server + ": key '" + key + "' was not set by the"
                    + " deadline (a rank did not start or failed during start-up)");
        }
        return r.value;
    }

    @Override
    public long add(String key, long delta) {
        return call(StoreProtocol.OP_ADD, delta, key, new byte[0], 0).number;
    }

    private record Reply(int status, long number, byte[] value) {
    }

    private synchronized Reply call(int op, long arg, String key, byte[] value, long readTimeoutMs) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        try {
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, readTimeoutMs));
            out.write(StoreProtocol.frame(op, arg, k, value));
            out.flush();
            return readReply(readTimeoutMs);
        } catch (SocketTimeoutException e) {
            throw new CommTimeoutException("rendezvous store at " + server + " did not answer in " + readTimeoutMs + " ms");
        } catch (IOException e) {
            throw new PeerFailureException("lost the rendezvous store at " + server + ": " + e, e);
        }
    }

    private Reply readReply(long readTimeoutMs) throws IOException {
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, readTimeoutMs));
        {
            int len = in.readInt();
            if (len < 16 || len > StoreProtocol.MAX_FRAME) {
                throw new PeerFailureException("rendezvous store at " + server + " sent a frame of " + len + " bytes");
            }
            if (in.readUnsignedShort() != StoreProtocol.MAGIC || in.readUnsignedByte() != StoreProtocol.VERSION) {
                throw new PeerFailureException("rendezvous store at " + server + " sent a bad reply header");
            }
            int status = in.readUnsignedByte();
            long number = in.readLong();
            int vlen = in.readInt();
            if (vlen < 0 || vlen != len - 16) {
                throw new PeerFailureException("rendezvous store at " + server + " sent a malformed reply");
            }
            byte[] v = new byte[vlen];
            in.readFully(v);
            if (status == StoreProtocol.ERROR) {
                throw new PeerFailureException("rendezvous store at " + server + ": " + new String(v, StandardCharsets.UTF_8));
            }
            return new Reply(status, number, v);
        }
    }

    @Override
    public void close() {
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing: nothing to do
        }
    }
}
