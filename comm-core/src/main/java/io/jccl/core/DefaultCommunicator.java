package io.jccl.core;

import io.jccl.Algorithm;
import io.jccl.Collective;
import io.jccl.CommConfig;
import io.jccl.CommTimeoutException;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.JcclException;
import io.jccl.PeerFailureException;
import io.jccl.ReduceOp;
import io.jccl.algo.DisseminationBarrier;
import io.jccl.algo.OpContext;
import io.jccl.algo.RingAllGather;
import io.jccl.algo.RingAllReduce;
import io.jccl.algo.RingBroadcast;
import io.jccl.algo.RingReduce;
import io.jccl.algo.RingReduceScatter;
import io.jccl.algo.TreeAllReduce;
import io.jccl.algo.select.AllReduceSelector;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The communicator over any {@link Transport}: validates each call, gives it a sequence number, picks the
 * algorithm and runs it (inline for blocking calls, on one worker thread for async ones).
 *
 * <p>Threading: as {@link Communicator} documents.
 */
public final class DefaultCommunicator implements Communicator {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultCommunicator.class);

    private final Transport transport;
    private final boolean ownsTransport;
    private final long commId;
    private final int[] members;
    private final int rank;
    private final CommConfig config;
    private final PeerLink[] links;
    private final OpContext.Links linkTable = this::link;
    private final OpContext.Scratch scratchPool = this::scratch;

    private final Object issueLock = new Object();
    private long seq;
    private int inFlight;
    private Thread issuer;
    private volatile boolean closed;
    private volatile RuntimeException broken;
    private volatile String lastAlgorithm = "";
    private ExecutorService worker;
    private ByteBuffer scratch;
    private final StagingPool staging = new StagingPool();

    /** The body of one operation: runs the algorithm, returns its name. */
    private interface Body {
        String run(OpContext ctx);
    }

    /**
     * @param transport     the job's transport
     * @param ownsTransport close the transport with this communicator
     * @param commId        id shared by all members (the world is 1)
     * @param members       world rank of each communicator rank
     * @param rank          this process's rank in the communicator
     */
    public DefaultCommunicator(Transport transport, boolean ownsTransport, long commId, int[] members, int rank,
                               CommConfig config) {
        this.transport = transport;
        this.ownsTransport = ownsTransport;
        this.commId = commId;
        this.members = members.clone();
        this.rank = rank;
        this.config = config;
        this.links = new PeerLink[members.length];
    }

    /** The world communicator over {@code transport}, which it owns. */
    public static DefaultCommunicator world(Transport transport, CommConfig config) {
        int[] members = new int[transport.size()];
        for (int i = 0; i < members.length; i++) {
            members[i] = i;
        }
        return new DefaultCommunicator(transport, true, 1, members, transport.rank(), config);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return members.length;
    }

    @Override
    public CommConfig config() {
        return config;
    }

    @Override
    public String lastAlgorithm() {
        return lastAlgorithm;
    }

    // ---------------------------------------------------------------- collectives

    @Override
    public void allReduce(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op) {
        issue(true, allReduceOp(send, recv, count, type, op));
    }

    @Override
    public CompletableFuture<Void> allReduceAsync(CommBuffer send, CommBuffer recv, long count, DataType type,
                                                  ReduceOp op) {
        return issue(false, allReduceOp(send, recv, count, type, op));
    }

    private Call allReduceOp(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op) {
        String what = what(Collective.ALL_REDUCE);
        Validation.checkType(what, type);
        Validation.checkOp(what, op);
        long bytes = Validation.bytesOf(what, count, 1, type);
        boolean inPlace = send == recv;
        Binding d = Validation.bind(what, "recv", recv, bytes, inPlace, true, 1);
        Binding s = inPlace ? d : Validation.bind(what, "send", send, bytes, true, false, 0);
        Algorithm algo = AllReduceSelector.choose(config, bytes, size());
        return new Call(Collective.ALL_REDUCE, type, op, -1, count, new Binding[] {s, d}, ctx -> {
            if (algo == Algorithm.TREE) {
                TreeAllReduce.run(ctx, s.host(), d.host(), count);
                return "tree";
            }
            RingAllReduce.run(ctx, s.host(), d.host(), count);
            return "ring";
        });
    }

    @Override
    public void broadcast(CommBuffer send, CommBuffer recv, long count, DataType type, int root) {
        issue(true, broadcastOp(send, recv, count, type, root));
    }

    @Override
    public CompletableFuture<Void> broadcastAsync(CommBuffer send, CommBuffer recv, long count, DataType type,
                                                  int root) {
        return issue(false, broadcastOp(send, recv, count, type, root));
    }

    private Call broadcastOp(CommBuffer send, CommBuffer recv, long count, DataType type, int root) {
        String what = what(Collective.BROADCAST);
        Validation.checkType(what, type);
        Validation.checkRoot(what, root, size());
        long bytes = Validation.bytesOf(what, count, 1, type);
        boolean useSend = rank == root && send != recv;
        Binding d = Validation.bind(what, "recv", recv, bytes, rank == root && !useSend, true, 1);
        Binding s = useSend ? Validation.bind(what, "send", send, bytes, true, false, 0) : d;
        return new Call(Collective.BROADCAST, type, null, root, count, new Binding[] {s, d}, ctx -> {
            RingBroadcast.run(ctx, s.host(), d.host(), count, root);
            return "ring-chain";
        });
    }

    @Override
    public void reduce(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op, int root) {
        issue(true, reduceOp(send, recv, count, type, op, root));
    }

    @Override
    public CompletableFuture<Void> reduceAsync(CommBuffer send, CommBuffer recv, long count, DataType type,
                                               ReduceOp op, int root) {
        return issue(false, reduceOp(send, recv, count, type, op, root));
    }

    private Call reduceOp(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op, int root) {
        String what = what(Collective.REDUCE);
        Validation.checkType(what, type);
        Validation.checkOp(what, op);
        Validation.checkRoot(what, root, size());
        long bytes = Validation.bytesOf(what, count, 1, type);
        boolean inPlace = send == recv;
        Binding d = rank == root ? Validation.bind(what, "recv", recv, bytes, inPlace, true, 1) : null;
        Binding s = inPlace && d != null ? d : Validation.bind(what, "send", send, bytes, true, false, 0);
        return new Call(Collective.REDUCE, type, op, root, count, new Binding[] {s, d}, ctx -> {
            RingReduce.run(ctx, s.host(), d == null ? null : d.host(), count, root);
            return "ring-chain";
        });
    }

    @Override
    public void allGather(CommBuffer send, CommBuffer recv, long sendCount, DataType type) {
        issue(true, allGatherOp(send, recv, sendCount, type));
    }

    @Override
    public CompletableFuture<Void> allGatherAsync(CommBuffer send, CommBuffer recv, long sendCount, DataType type) {
        return issue(false, allGatherOp(send, recv, sendCount, type));
    }

    private Call allGatherOp(CommBuffer send, CommBuffer recv, long count, DataType type) {
        String what = what(Collective.ALL_GATHER);
        Validation.checkType(what, type);
        long inBytes = Validation.bytesOf(what, count, 1, type);
        long outBytes = Validation.bytesOf(what, count, size(), type);
        boolean inPlace = send == recv;
        Binding d = Validation.bind(what, "recv", recv, outBytes, inPlace, true, 1);
        Binding s = inPlace ? d : Validation.bind(what, "send", send, inBytes, true, false, 0);
        long srcAt = inPlace ? (long) rank * count : 0;
        return new Call(Collective.ALL_GATHER, type, null, -1, count, new Binding[] {s, d}, ctx -> {
            RingAllGather.run(ctx, s.host(), srcAt, d.host(), count);
            return "ring";
        });
    }

    @Override
    public void reduceScatter(CommBuffer send, CommBuffer recv, long recvCount, DataType type, ReduceOp op) {
        issue(true, reduceScatterOp(send, recv, recvCount, type, op));
    }

    @Override
    public CompletableFuture<Void> reduceScatterAsync(CommBuffer send, CommBuffer recv, long recvCount,
                                                      DataType type, ReduceOp op) {
        return issue(false, reduceScatterOp(send, recv, recvCount, type, op));
    }

    private Call reduceScatterOp(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op) {
        String what = what(Collective.REDUCE_SCATTER);
        Validation.checkType(what, type);
        Validation.checkOp(what, op);
        long outBytes = Validation.bytesOf(what, count, 1, type);
        long inBytes = Validation.bytesOf(what, count, size(), type);
        boolean inPlace = send == recv;
        Binding s = Validation.bind(what, "send", send, inBytes, true, inPlace, 0);
        Binding d = inPlace ? s : Validation.bind(what, "recv", recv, outBytes, false, true, 1);
        long dstAt = inPlace ? (long) rank * count : 0;
        return new Call(Collective.REDUCE_SCATTER, type, op, -1, count, new Binding[] {s, d}, ctx -> {
            RingReduceScatter.run(ctx, s.host(), d.host(), dstAt, count);
            return "ring";
        });
    }

    @Override
    public void barrier() {
        issue(true, barrierOp());
    }

    @Override
    public CompletableFuture<Void> barrierAsync() {
        return issue(false, barrierOp());
    }

    private Call barrierOp() {
        return new Call(Collective.BARRIER, DataType.UINT8, null, -1, 0, new Binding[0], ctx -> {
            DisseminationBarrier.run(ctx);
            return "dissemination";
        });
    }

    // ---------------------------------------------------------------- issue and run

    /** One validated call waiting for its sequence number. */
    private record Call(Collective collective, DataType type, ReduceOp op, int root, long count, Binding[] bindings,
                        Body body) {
    }

    private String what(Collective c) {
        return "rank=" + rank + " " + c.label();
    }

    private CompletableFuture<Void> issue(boolean blocking, Call call) {
        OpHeader header;
        boolean inline;
        synchronized (issueLock) {
            if (closed) {
                throw new InvalidUsageException("rank=" + rank + " " + call.collective().label()
                        + ": communicator is closed");
            }
            RuntimeException b = broken;
            if (b != null) {
                throw brokenError(call.collective(), b);
            }
            Thread me = Thread.currentThread();
            if (inFlight > 0 && issuer != me) {
                throw new InvalidUsageException("rank=" + rank + " " + call.collective().label()
                        + ": communicator is in use by thread '" + issuer.getName() + "' (" + inFlight
                        + " operations in flight); one thread at a time may issue calls on a communicator");
            }
            issuer = me;
            inFlight++;
            seq++;
            header = new OpHeader(commId, seq, call.collective(), call.type(), call.op(), call.root(), call.count());
            inline = blocking && inFlight == 1;
        }
        if (inline) {
            try {
                execute(header, call);
            } finally {
                finished();
            }
            return null;
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        workerExecutor().execute(() -> {
            try {
                execute(header, call);
                f.complete(null);
            } catch (Throwable t) {
                f.completeExceptionally(t);
            } finally {
                finished();
            }
        });
        if (!blocking) {
            return f;
        }
        await(f, header);
        return null;
    }

    private void finished() {
        synchronized (issueLock) {
            inFlight--;
        }
    }

    private void await(CompletableFuture<Void> f, OpHeader header) {
        int ahead;
        synchronized (issueLock) {
            ahead = Math.max(1, inFlight);
        }
        long waitMillis = config.timeoutMillis() * ahead + 10_000;
        try {
            f.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new JcclException("rank=" + rank + " " + header.describe() + " failed: " + c, c);
        } catch (TimeoutException e) {
            throw new CommTimeoutException("rank=" + rank + " " + header.describe() + " did not complete in "
                    + waitMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JcclException("rank=" + rank + " interrupted waiting for " + header.describe());
        }
    }

    private void execute(OpHeader header, Call call) {
        RuntimeException b = broken;
        if (b != null) {
            throw brokenError(header.collective(), b);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis());
        OpContext ctx = new OpContext(header, rank, size(), deadline, linkTable, scratchPool, config.segmentBytes());
        try {
            for (Binding arg : call.bindings()) {
                if (arg != null) {
                    arg.stageIn(staging);
                }
            }
            String algo = call.body().run(ctx);
            for (Binding arg : call.bindings()) {
                if (arg != null) {
                    arg.stageOut();
                }
            }
            lastAlgorithm = algo;
            if (LOG.isDebugEnabled()) {
                LOG.debug("rank={} {} algorithm={}", rank, header.describe(), algo);
            }
        } catch (InvalidUsageException e) {
            throw e;
        } catch (RuntimeException e) {
            broken = e;
            throw e;
        }
    }

    private JcclException brokenError(Collective c, RuntimeException cause) {
        String msg = "rank=" + rank + " " + c.label() + ": communicator is broken by an earlier failure: "
                + cause.getMessage();
        return cause instanceof CommTimeoutException ? new CommTimeoutException(msg) : new PeerFailureException(msg, cause);
    }

    private synchronized ExecutorService workerExecutor() {
        if (worker == null) {
            worker = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "jccl-comm" + commId + "-rank" + rank);
                t.setDaemon(true);
                return t;
            });
        }
        return worker;
    }

    private PeerLink link(int commRank, long deadlineNanos) {
        PeerLink l = links[commRank];
        if (l == null) {
            l = transport.link(members[commRank], commId, deadlineNanos);
            links[commRank] = l;
        }
        return l;
    }

    private ByteBuffer scratch(long bytes) {
        if (scratch == null || scratch.capacity() < bytes) {
            long cap = Math.max(bytes, scratch == null ? 0 : 2L * scratch.capacity());
            cap = Math.min(cap, HostBuffer.MAX_BYTES);
            scratch = ByteBuffer.allocateDirect((int) cap).order(ByteOrder.nativeOrder());
        }
        return scratch;
    }

    @Override
    public void close() {
        synchronized (issueLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        synchronized (this) {
            if (worker != null) {
                worker.shutdownNow();
            }
        }
        if (ownsTransport) {
            transport.close();
        }
        staging.close();
    }
}
