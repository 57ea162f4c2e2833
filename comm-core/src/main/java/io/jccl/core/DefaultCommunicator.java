package io.jccl.core;

import io.jccl.Collective;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.PeerFailureException;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;
import io.jccl.trace.CommTrace;
import io.jccl.transport.HostLayout;
import io.jccl.transport.OpHeader;
import io.jccl.transport.Transport;

import java.util.concurrent.CompletableFuture;

/**
 * The communicator over any {@link Transport}: a facade over the parts that do the work. A collective is made
 * into a {@link Call} by {@link ReductionCalls} or {@link GatherCalls} (validate, bind, choose a
 * {@link io.jccl.algo.select.Plan}), given its sequence number and run by the {@link CallIssuer} (inline for
 * blocking calls, on one worker thread for async ones), whose failures the {@link FailureReport} explains.
 * Point-to-point messages go through the {@link PointToPointEngine}, coalesced calls through the
 * {@link Coalescer}, {@code split} through the {@link CommSplitter}.
 *
 * <p>Threading: as {@link Communicator} documents; each part states its own.
 */
public final class DefaultCommunicator implements Communicator {
    private final CommGroup group;
    private final boolean ownsTransport;
    private final CommConfig config;
    private final Breakage breakage = new Breakage();
    private final Bindings bindings = new Bindings();
    private final ReductionCalls reductions;
    private final GatherCalls gathers;
    private final CallIssuer issuer;
    private final PointToPointEngine p2p;
    private final Coalescer coalescer = new Coalescer(this);
    private final CommSplitter splitter;
    private final CommTrace trace;

    /**
     * @param transport     the job's transport
     * @param ownsTransport close the transport with this communicator
     * @param commId        id shared by all members (the world is 1); must not have {@link OpHeader#P2P_STREAM_BIT}
     * @param members       world rank of each communicator rank
     * @param rank          this process's rank in the communicator
     * @throws IllegalArgumentException when {@code commId} has the point-to-point bit
     * @throws InvalidUsageException    when the transport implements another version of the transport SPI
     */
    public DefaultCommunicator(Transport transport, boolean ownsTransport, long commId, int[] members, int rank,
                               CommConfig config) {
        this(transport, ownsTransport, commId, members, rank, config, "");
    }

    /**
     * As the constructor above, naming the job ({@code job}: the rendezvous that made the world, e.g. its store's
     * id and round), so that the flight recorder's dumps of different jobs in one directory do not mix.
     */
    public DefaultCommunicator(Transport transport, boolean ownsTransport, long commId, int[] members, int rank,
                               CommConfig config, String job) {
        if (transport.spiVersion() != Transport.SPI_VERSION) {
            throw new InvalidUsageException("transport " + transport.getClass().getName() + " implements SPI version "
                    + transport.spiVersion() + " but comm-core implements " + Transport.SPI_VERSION);
        }
        boolean initInfo = InitReport.infoLevel();
        this.group = new CommGroup(transport, commId, members, rank, job);
        this.ownsTransport = ownsTransport;
        this.config = config;
        this.reductions = new ReductionCalls(group, config, bindings);
        this.gathers = new GatherCalls(group, bindings);
        this.trace = CommTrace.create(group.job(), commId, rank, group.worldRank(rank), group.size());
        this.issuer = new CallIssuer(group, config, breakage, trace);
        this.p2p = new PointToPointEngine(group, config, breakage, issuer.links());
        this.splitter = new CommSplitter(group);
        transport.setProgressSource(commId, issuer::progress);
        InitReport.log(group, config, trace != null, initInfo);
        UnknownSettings.warnOnce();
    }

    /** The world communicator over {@code transport}, which it owns. */
    public static DefaultCommunicator world(Transport transport, CommConfig config) {
        return world(transport, config, "");
    }

    /** The world communicator over {@code transport}, which it owns, of the job named {@code job}. */
    public static DefaultCommunicator world(Transport transport, CommConfig config, String job) {
        int[] members = new int[transport.size()];
        for (int i = 0; i < members.length; i++) {
            members[i] = i;
        }
        return new DefaultCommunicator(transport, true, 1, members, transport.rank(), config, job);
    }

    @Override
    public int rank() {
        return group.rank();
    }

    @Override
    public int size() {
        return group.size();
    }

    @Override
    public CommConfig config() {
        return config;
    }

    /** The id that every member of this communicator shares (the world is 1). */
    public long id() {
        return group.id();
    }

    @Override
    public String lastAlgorithm() {
        return issuer.lastAlgorithm();
    }

    @Override
    public HostLayout hostLayout() {
        return group.layout();
    }

    @Override
    public String transportDescription() {
        return group.transport().describe();
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public void allReduce(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op) {
        issuer.issue(true, reductions.allReduce(Collective.ALL_REDUCE, -1, send, recv, count, type, op));
    }

    @Override
    public CompletableFuture<Void> allReduceAsync(CommBuffer send, CommBuffer recv, long count, DataType type,
                                                  ReduceOp op) {
        return issuer.issue(false, reductions.allReduce(Collective.ALL_REDUCE, -1, send, recv, count, type, op));
    }

    @Override
    public void broadcast(CommBuffer send, CommBuffer recv, long count, DataType type, int root) {
        issuer.issue(true, reductions.broadcast(send, recv, count, type, root));
    }

    @Override
    public CompletableFuture<Void> broadcastAsync(CommBuffer send, CommBuffer recv, long count, DataType type,
                                                  int root) {
        return issuer.issue(false, reductions.broadcast(send, recv, count, type, root));
    }

    @Override
    public void reduce(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op, int root) {
        issuer.issue(true, reductions.reduce(send, recv, count, type, op, root));
    }

    @Override
    public CompletableFuture<Void> reduceAsync(CommBuffer send, CommBuffer recv, long count, DataType type,
                                               ReduceOp op, int root) {
        return issuer.issue(false, reductions.reduce(send, recv, count, type, op, root));
    }

    @Override
    public void reduceScatter(CommBuffer send, CommBuffer recv, long recvCount, DataType type, ReduceOp op) {
        issuer.issue(true, reduceScatterCall(Collective.REDUCE_SCATTER, send, recv, recvCount, null, type, op));
    }

    @Override
    public CompletableFuture<Void> reduceScatterAsync(CommBuffer send, CommBuffer recv, long recvCount,
                                                      DataType type, ReduceOp op) {
        return issuer.issue(false, reduceScatterCall(Collective.REDUCE_SCATTER, send, recv, recvCount, null, type, op));
    }

    @Override
    public void reduceScatterv(CommBuffer send, CommBuffer recv, long[] counts, DataType type, ReduceOp op) {
        issuer.issue(true, reduceScatterCall(Collective.REDUCE_SCATTERV, send, recv, 0, counts, type, op));
    }

    @Override
    public CompletableFuture<Void> reduceScattervAsync(CommBuffer send, CommBuffer recv, long[] counts,
                                                       DataType type, ReduceOp op) {
        return issuer.issue(false, reduceScatterCall(Collective.REDUCE_SCATTERV, send, recv, 0, counts, type, op));
    }

    private Call reduceScatterCall(Collective coll, CommBuffer send, CommBuffer recv, long count, long[] counts,
                                   DataType type, ReduceOp op) {
        return reductions.reduceScatter(coll, -1, send, recv, count, counts, type, op);
    }

    // ---------------------------------------------------------------- gathers, scatters, all-to-all, barrier

    @Override
    public void allGather(CommBuffer send, CommBuffer recv, long sendCount, DataType type) {
        issuer.issue(true, gathers.allGather(Collective.ALL_GATHER, -1, send, recv, sendCount, type));
    }

    @Override
    public CompletableFuture<Void> allGatherAsync(CommBuffer send, CommBuffer recv, long sendCount, DataType type) {
        return issuer.issue(false, gathers.allGather(Collective.ALL_GATHER, -1, send, recv, sendCount, type));
    }

    @Override
    public void allGatherv(CommBuffer send, CommBuffer recv, long[] counts, DataType type) {
        issuer.issue(true, gathers.allGatherv(send, recv, counts, type));
    }

    @Override
    public CompletableFuture<Void> allGathervAsync(CommBuffer send, CommBuffer recv, long[] counts, DataType type) {
        return issuer.issue(false, gathers.allGatherv(send, recv, counts, type));
    }

    @Override
    public void gather(CommBuffer send, CommBuffer recv, long sendCount, DataType type, int root) {
        issuer.issue(true, gathers.gather(Collective.GATHER, send, recv, sendCount, null, type, root));
    }

    @Override
    public CompletableFuture<Void> gatherAsync(CommBuffer send, CommBuffer recv, long sendCount, DataType type,
                                               int root) {
        return issuer.issue(false, gathers.gather(Collective.GATHER, send, recv, sendCount, null, type, root));
    }

    @Override
    public void gatherv(CommBuffer send, CommBuffer recv, long[] counts, DataType type, int root) {
        issuer.issue(true, gathers.gather(Collective.GATHERV, send, recv, 0, counts, type, root));
    }

    @Override
    public CompletableFuture<Void> gathervAsync(CommBuffer send, CommBuffer recv, long[] counts, DataType type,
                                                int root) {
        return issuer.issue(false, gathers.gather(Collective.GATHERV, send, recv, 0, counts, type, root));
    }

    @Override
    public void scatter(CommBuffer send, CommBuffer recv, long recvCount, DataType type, int root) {
        issuer.issue(true, gathers.scatter(Collective.SCATTER, send, recv, recvCount, null, type, root));
    }

    @Override
    public CompletableFuture<Void> scatterAsync(CommBuffer send, CommBuffer recv, long recvCount, DataType type,
                                                int root) {
        return issuer.issue(false, gathers.scatter(Collective.SCATTER, send, recv, recvCount, null, type, root));
    }

    @Override
    public void scatterv(CommBuffer send, CommBuffer recv, long[] counts, DataType type, int root) {
        issuer.issue(true, gathers.scatter(Collective.SCATTERV, send, recv, 0, counts, type, root));
    }

    @Override
    public CompletableFuture<Void> scattervAsync(CommBuffer send, CommBuffer recv, long[] counts, DataType type,
                                                 int root) {
        return issuer.issue(false, gathers.scatter(Collective.SCATTERV, send, recv, 0, counts, type, root));
    }

    @Override
    public void allToAll(CommBuffer send, CommBuffer recv, long count, DataType type) {
        issuer.issue(true, gathers.allToAll(Collective.ALL_TO_ALL, send, null, recv, null, count, type));
    }

    @Override
    public CompletableFuture<Void> allToAllAsync(CommBuffer send, CommBuffer recv, long count, DataType type) {
        return issuer.issue(false, gathers.allToAll(Collective.ALL_TO_ALL, send, null, recv, null, count, type));
    }

    @Override
    public void allToAllv(CommBuffer send, long[] sendCounts, CommBuffer recv, long[] recvCounts, DataType type) {
        issuer.issue(true, gathers.allToAll(Collective.ALL_TO_ALLV, send, sendCounts, recv, recvCounts, 0, type));
    }

    @Override
    public CompletableFuture<Void> allToAllvAsync(CommBuffer send, long[] sendCounts, CommBuffer recv,
                                                  long[] recvCounts, DataType type) {
        return issuer.issue(false, gathers.allToAll(Collective.ALL_TO_ALLV, send, sendCounts, recv, recvCounts, 0,
                type));
    }

    @Override
    public void barrier() {
        issuer.issue(true, gathers.barrier());
    }

    @Override
    public CompletableFuture<Void> barrierAsync() {
        return issuer.issue(false, gathers.barrier());
    }

    // ---------------------------------------------------------------- coalesced

    /** A coalesced call's packed all-reduce, in place, its layout in the header ({@link Coalescer}). */
    CompletableFuture<Void> packedAllReduce(boolean blocking, HostBuffer pack, long count, DataType type, ReduceOp op,
                                            int layout) {
        return issuer.issue(blocking, reductions.allReduce(Collective.ALL_REDUCE_COALESCED, layout, pack, pack, count,
                type, op));
    }

    /** A coalesced call's packed all-gather, its layout in the header ({@link Coalescer}). */
    CompletableFuture<Void> packedAllGather(boolean blocking, HostBuffer in, HostBuffer out, long count, DataType type,
                                            int layout) {
        return issuer.issue(blocking, gathers.allGather(Collective.ALL_GATHER_COALESCED, layout, in, out, count, type));
    }

    /** A coalesced call's packed reduce-scatter, its layout in the header ({@link Coalescer}). */
    CompletableFuture<Void> packedReduceScatter(boolean blocking, HostBuffer in, HostBuffer out, long count,
                                                DataType type, ReduceOp op, int layout) {
        return issuer.issue(blocking, reductions.reduceScatter(Collective.REDUCE_SCATTER_COALESCED, layout, in, out,
                count, null, type, op));
    }

    @Override
    public void allReduceCoalesced(CommBuffer[] bufs, long[] counts, DataType type, ReduceOp op) {
        coalescer.allReduce(true, bufs, counts, type, op);
    }

    @Override
    public CompletableFuture<Void> allReduceCoalescedAsync(CommBuffer[] bufs, long[] counts, DataType type,
                                                           ReduceOp op) {
        return coalescer.allReduce(false, bufs, counts, type, op);
    }

    @Override
    public void allGatherCoalesced(CommBuffer[] sends, CommBuffer[] recvs, long[] sendCounts, DataType type) {
        coalescer.allGather(true, sends, recvs, sendCounts, type);
    }

    @Override
    public CompletableFuture<Void> allGatherCoalescedAsync(CommBuffer[] sends, CommBuffer[] recvs, long[] sendCounts,
                                                           DataType type) {
        return coalescer.allGather(false, sends, recvs, sendCounts, type);
    }

    @Override
    public void reduceScatterCoalesced(CommBuffer[] sends, CommBuffer[] recvs, long[] recvCounts, DataType type,
                                       ReduceOp op) {
        coalescer.reduceScatter(true, sends, recvs, recvCounts, type, op);
    }

    @Override
    public CompletableFuture<Void> reduceScatterCoalescedAsync(CommBuffer[] sends, CommBuffer[] recvs,
                                                               long[] recvCounts, DataType type, ReduceOp op) {
        return coalescer.reduceScatter(false, sends, recvs, recvCounts, type, op);
    }

    // ---------------------------------------------------------------- split, point-to-point, life cycle

    @Override
    public Communicator split(int color, int key) {
        return split(color, key, config);
    }

    @Override
    public Communicator split(int color, int key, CommConfig childConfig) {
        return splitter.split(this, color, key, childConfig);
    }

    @Override
    public void send(CommBuffer buf, long count, DataType type, int peer, int tag) {
        p2p.message(true, true, buf, count, type, peer, tag);
    }

    @Override
    public CompletableFuture<Void> sendAsync(CommBuffer buf, long count, DataType type, int peer, int tag) {
        return p2p.message(true, false, buf, count, type, peer, tag);
    }

    @Override
    public void recv(CommBuffer buf, long count, DataType type, int peer, int tag) {
        p2p.message(false, true, buf, count, type, peer, tag);
    }

    @Override
    public CompletableFuture<Void> recvAsync(CommBuffer buf, long count, DataType type, int peer, int tag) {
        return p2p.message(false, false, buf, count, type, peer, tag);
    }

    @Override
    public void abort(String reason) {
        String msg = "rank=" + group.rank() + " aborted the communicator: " + reason;
        breakage.breakIfWhole(new PeerFailureException(msg));
        issuer.abortStreams(msg);
    }

    @Override
    public void close() {
        if (!issuer.close()) {
            return;
        }
        // the last calls' host buffers are no longer kept reachable by this communicator
        bindings.clear();
        p2p.close();
        if (ownsTransport) {
            group.transport().close();
        }
        issuer.release();
        coalescer.close();
        if (trace != null) {
            trace.close();
        }
    }
}
