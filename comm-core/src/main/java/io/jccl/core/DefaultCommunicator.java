package io.jccl.core;

import io.jccl.Collective;
import io.jccl.CommConfig;
import io.jccl.CommTimeoutException;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.JcclException;
import io.jccl.PeerFailureException;
import io.jccl.ReduceOp;
import io.jccl.algo.BinomialBroadcast;
import io.jccl.algo.Blocks;
import io.jccl.algo.DeterministicCollectives;
import io.jccl.algo.DisseminationBarrier;
import io.jccl.algo.HalvingDoublingAllReduce;
import io.jccl.algo.LinearGather;
import io.jccl.algo.LinearScatter;
import io.jccl.algo.OpContext;
import io.jccl.algo.PairwiseAllToAll;
import io.jccl.algo.PointToPoint;
import io.jccl.algo.RecursiveHalvingReduceScatter;
import io.jccl.algo.RingAllGather;
import io.jccl.algo.RingAllReduce;
import io.jccl.algo.RingBroadcast;
import io.jccl.algo.RingReduce;
import io.jccl.algo.RingReduceScatter;
import io.jccl.algo.Steps;
import io.jccl.algo.TreeAllReduce;
import io.jccl.algo.select.Plan;
import io.jccl.algo.select.Selector;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The communicator over any {@link Transport}: validates each call, gives it a sequence number, asks the
 * selector for the algorithm and runs it (inline for blocking calls, on one worker thread for async ones).
 * Point-to-point messages bypass the sequence: they travel on the communicator's point-to-point stream
 * ({@link OpHeader#P2P_STREAM_BIT}) with a sequence number made of (user tag, message number on that tag and
 * peer).
 *
 * <p>Threading: as {@link Communicator} documents. The issue state (sequence number, issuing thread, calls in
 * flight) is guarded by one lock; the algorithm state (links, scratch, staging) is used by the one thread that
 * runs collective operations; point-to-point state by its own lock.
 */
public final class DefaultCommunicator implements Communicator {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultCommunicator.class);

    private final Transport transport;
    private final boolean ownsTransport;
    private final long commId;
    private final int[] members;
    private final int rank;
    /** {@link #what} per {@link Collective}, by ordinal. */
    private final String[] whats;
    private final CommConfig config;
    private final PeerLink[] links;
    private final OpContext.Links linkTable = this::link;
    private final OpContext.Scratch scratchPool = this::scratch;

    private final Object issueLock = new Object();
    private long seq;
    private int inFlight;
    private Thread issuer;
    private long splits;
    private volatile boolean closed;
    private volatile RuntimeException broken;
    private volatile String lastAlgorithm = "";
    private ExecutorService worker;
    private ByteBuffer scratch;
    private final StagingPool staging = new StagingPool();
    private final Coalescer coalescer = new Coalescer(this);
    /** The last host {@link Binding} by slot (send 0, recv 1), for {@link #bind}. */
    private final Binding[] hostBindings = new Binding[2];
    /** The context of every collective operation, begun anew for each ({@link OpContext#begin}). */
    private final OpContext collectiveContext;

    private final Object p2pLock = new Object();
    private final PeerLink[] p2pLinks;
    private final Map<Long, long[]> sendCounters = new HashMap<>();
    private final Map<Long, long[]> recvCounters = new HashMap<>();
    private ExecutorService p2pPool;

    /**
     * @param transport     the job's transport
     * @param ownsTransport close the transport with this communicator
     * @param commId        id shared by all members (the world is 1); must not have {@link OpHeader#P2P_STREAM_BIT}
     * @param members       world rank of each communicator rank
     * @param rank          this process's rank in the communicator
     */
    public DefaultCommunicator(Transport transport, boolean ownsTransport, long commId, int[] members, int rank,
                               CommConfig config) {
        if ((commId & OpHeader.P2P_STREAM_BIT) != 0) {
            throw new IllegalArgumentException("communicator id " + commId + " has the point-to-point bit set");
        }
        this.transport = transport;
        this.ownsTransport = ownsTransport;
        this.commId = commId;
        this.members = members.clone();
        this.rank = rank;
        this.whats = new String[Collective.values().length];
        for (Collective c : Collective.values()) {
            whats[c.ordinal()] = "rank=" + rank + " " + c.label();
        }
        this.config = config;
        this.links = new PeerLink[members.length];
        this.collectiveContext = new OpContext(null, rank, members.length, 0, linkTable, scratchPool,
                config.segmentBytes());
        this.p2pLinks = new PeerLink[members.length];
        transport.setProgressSource(commId, this::progress);
    }

    /** What this rank tells a peer that asks how far it got (after the peer timed out). */
    private io.jccl.transport.Progress progress() {
        OpHeader h = current;
        int worldRank = members[rank];
        if (h != null) {
            return new io.jccl.transport.Progress(worldRank, h.seq(), "in " + h.describe());
        }
        return new io.jccl.transport.Progress(worldRank, enteredSeq, enteredSeq == 0 ? "has not entered any operation"
                : "idle after operation #" + enteredSeq);
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

    /** The id that every member of this communicator shares (the world is 1). */
    public long id() {
        return commId;
    }

    @Override
    public String lastAlgorithm() {
        return lastAlgorithm;
    }

    @Override
    public String transportDescription() {
        return transport.describe();
    }

    // ---------------------------------------------------------------- all-reduce

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
        return allReduceOp(Collective.ALL_REDUCE, -1, send, recv, count, type, op);
    }

    /** As the all-reduce, under {@code coll} with {@code root} in its header (a coalesced call's layout). */
    private Call allReduceOp(Collective coll, int root, CommBuffer send, CommBuffer recv, long count, DataType type,
                             ReduceOp op) {
        String what = what(coll);
        Validation.checkType(what, type);
        Validation.checkOp(what, op);
        long bytes = Validation.bytesOf(what, count, 1, type);
        boolean inPlace = send == recv;
        Binding d = bind(what, "recv", recv, bytes, inPlace, true, 1);
        Binding s = inPlace ? d : bind(what, "send", send, bytes, true, false, 0);
        Plan plan = Selector.allReduce(config, bytes, size());
        return new Call(coll, type, op, root, count, s, d) {
            @Override
            String run(OpContext ctx) {
                switch (plan) {
                    case TREE: TreeAllReduce.run(ctx, s.host(), d.host(), count); break;
                    case HALVING_DOUBLING: HalvingDoublingAllReduce.run(ctx, s.host(), d.host(), count); break;
                    case RECURSIVE_DOUBLING: io.jccl.algo.RecursiveDoublingAllReduce.run(ctx, s.host(), d.host(), count); break;
                    case DETERMINISTIC: DeterministicCollectives.allReduce(ctx, s.host(), d.host(), count); break;
                    default: RingAllReduce.run(ctx, s.host(), d.host(), count);
                }
                return plan.label();
            }
        };
    }

    // ---------------------------------------------------------------- broadcast and reduce

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
        Binding d = bind(what, "recv", recv, bytes, rank == root && !useSend, true, 1);
        Binding s = useSend ? bind(what, "send", send, bytes, true, false, 0) : d;
        Plan plan = Selector.broadcast(config, bytes, size());
        return new Call(Collective.BROADCAST, type, null, root, count, s, d) {
            @Override
            String run(OpContext ctx) {
                if (plan == Plan.BINOMIAL) {
                    BinomialBroadcast.run(ctx, s.host(), d.host(), count, root);
                } else {
                    RingBroadcast.run(ctx, s.host(), d.host(), count, root);
                }
                return plan.label();
            }
        };
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
        Binding d = rank == root ? bind(what, "recv", recv, bytes, inPlace, true, 1) : null;
        Binding s = inPlace && d != null ? d : bind(what, "send", send, bytes, true, false, 0);
        Plan plan = Selector.reduce(config, bytes, size());
        return new Call(Collective.REDUCE, type, op, root, count, s, d) {
            @Override
            String run(OpContext ctx) {
                ByteBuffer out = d == null ? null : d.host();
                if (plan == Plan.DETERMINISTIC) {
                    DeterministicCollectives.reduce(ctx, s.host(), out, count, root);
                } else {
                    RingReduce.run(ctx, s.host(), out, count, root);
                }
                return plan.label();
            }
        };
    }

    // ---------------------------------------------------------------- gather family

    @Override
    public void allGather(CommBuffer send, CommBuffer recv, long sendCount, DataType type) {
        issue(true, allGatherOp(send, recv, sendCount, type));
    }

    @Override
    public CompletableFuture<Void> allGatherAsync(CommBuffer send, CommBuffer recv, long sendCount, DataType type) {
        return issue(false, allGatherOp(send, recv, sendCount, type));
    }

    private Call allGatherOp(CommBuffer send, CommBuffer recv, long count, DataType type) {
        return allGatherOp(Collective.ALL_GATHER, -1, send, recv, count, type);
    }

    /** As the all-gather, under {@code coll} with {@code root} in its header (a coalesced call's layout). */
    private Call allGatherOp(Collective coll, int root, CommBuffer send, CommBuffer recv, long count, DataType type) {
        String what = what(coll);
        Validation.checkType(what, type);
        long inBytes = Validation.bytesOf(what, count, 1, type);
        long outBytes = Validation.bytesOf(what, count, size(), type);
        boolean inPlace = send == recv;
        Binding d = bind(what, "recv", recv, outBytes, inPlace, true, 1);
        Binding s = inPlace ? d : bind(what, "send", send, inBytes, true, false, 0);
        long srcAt = inPlace ? (long) rank * count : 0;
        return new Call(coll, type, null, root, count, s, d) {
            @Override
            String run(OpContext ctx) {
                RingAllGather.run(ctx, s.host(), srcAt, d.host(), count);
                return Plan.RING.label();
            }
        };
    }

    @Override
    public void allGatherv(CommBuffer send, CommBuffer recv, long[] counts, DataType type) {
        issue(true, allGathervOp(send, recv, counts, type));
    }

    @Override
    public CompletableFuture<Void> allGathervAsync(CommBuffer send, CommBuffer recv, long[] counts, DataType type) {
        return issue(false, allGathervOp(send, recv, counts, type));
    }

    private Call allGathervOp(CommBuffer send, CommBuffer recv, long[] counts, DataType type) {
        String what = what(Collective.ALL_GATHERV);
        Validation.checkType(what, type);
        long[] c = Validation.checkCounts(what, "counts", counts, size(), type);
        Blocks blocks = Blocks.of(c);
        boolean inPlace = send == recv;
        Binding d = bind(what, "recv", recv, blocks.total() * type.bytes(), inPlace, true, 1);
        Binding s = inPlace ? d : bind(what, "send", send, c[rank] * type.bytes(), true, false, 0);
        long srcAt = inPlace ? blocks.offset(rank) : 0;
        return new Call(Collective.ALL_GATHERV, type, null, -1, blocks.total(), s, d) {
            @Override
            String run(OpContext ctx) {
                RingAllGather.run(ctx, s.host(), srcAt, d.host(), blocks);
                return Plan.RING.label();
            }
        };
    }

    @Override
    public void gather(CommBuffer send, CommBuffer recv, long sendCount, DataType type, int root) {
        issue(true, gatherOp(Collective.GATHER, send, recv, sendCount, null, type, root));
    }

    @Override
    public CompletableFuture<Void> gatherAsync(CommBuffer send, CommBuffer recv, long sendCount, DataType type,
                                               int root) {
        return issue(false, gatherOp(Collective.GATHER, send, recv, sendCount, null, type, root));
    }

    @Override
    public void gatherv(CommBuffer send, CommBuffer recv, long[] counts, DataType type, int root) {
        issue(true, gatherOp(Collective.GATHERV, send, recv, 0, counts, type, root));
    }

    @Override
    public CompletableFuture<Void> gathervAsync(CommBuffer send, CommBuffer recv, long[] counts, DataType type,
                                                int root) {
        return issue(false, gatherOp(Collective.GATHERV, send, recv, 0, counts, type, root));
    }

    /** Gather ({@code counts == null}: every block {@code count}) or gather-v. */
    private Call gatherOp(Collective coll, CommBuffer send, CommBuffer recv, long count, long[] counts, DataType type,
                          int root) {
        String what = what(coll);
        Validation.checkType(what, type);
        Validation.checkRoot(what, root, size());
        Blocks blocks;
        long headerCount;
        if (counts == null) {
            Validation.bytesOf(what, count, 1, type);
            Validation.bytesOf(what, count, size(), type);
            blocks = Blocks.uniform(size(), count);
            headerCount = count;
        } else {
            blocks = Blocks.of(Validation.checkCounts(what, "counts", counts, size(), type));
            headerCount = blocks.total();
        }
        boolean inPlace = send == recv;
        boolean isRoot = rank == root;
        Binding d = isRoot ? bind(what, "recv", recv, blocks.total() * type.bytes(), inPlace, true, 1) : null;
        Binding s = inPlace && isRoot ? d
                : bind(what, "send", send, blocks.count(rank) * type.bytes(), true, false, 0);
        long srcAt = inPlace && isRoot ? blocks.offset(rank) : 0;
        return new Call(coll, type, null, root, headerCount, s, d) {
            @Override
            String run(OpContext ctx) {
                LinearGather.run(ctx, s.host(), srcAt, d == null ? null : d.host(), blocks, root, 1);
                return Plan.LINEAR.label();
            }
        };
    }

    @Override
    public void scatter(CommBuffer send, CommBuffer recv, long recvCount, DataType type, int root) {
        issue(true, scatterOp(Collective.SCATTER, send, recv, recvCount, null, type, root));
    }

    @Override
    public CompletableFuture<Void> scatterAsync(CommBuffer send, CommBuffer recv, long recvCount, DataType type,
                                                int root) {
        return issue(false, scatterOp(Collective.SCATTER, send, recv, recvCount, null, type, root));
    }

    @Override
    public void scatterv(CommBuffer send, CommBuffer recv, long[] counts, DataType type, int root) {
        issue(true, scatterOp(Collective.SCATTERV, send, recv, 0, counts, type, root));
    }

    @Override
    public CompletableFuture<Void> scattervAsync(CommBuffer send, CommBuffer recv, long[] counts, DataType type,
                                                 int root) {
        return issue(false, scatterOp(Collective.SCATTERV, send, recv, 0, counts, type, root));
    }

    /** Scatter ({@code counts == null}: every block {@code count}) or scatter-v. */
    private Call scatterOp(Collective coll, CommBuffer send, CommBuffer recv, long count, long[] counts,
                           DataType type, int root) {
        String what = what(coll);
        Validation.checkType(what, type);
        Validation.checkRoot(what, root, size());
        Blocks blocks;
        long headerCount;
        if (counts == null) {
            Validation.bytesOf(what, count, 1, type);
            Validation.bytesOf(what, count, size(), type);
            blocks = Blocks.uniform(size(), count);
            headerCount = count;
        } else {
            blocks = Blocks.of(Validation.checkCounts(what, "counts", counts, size(), type));
            headerCount = blocks.total();
        }
        boolean isRoot = rank == root;
        boolean inPlace = send == recv && isRoot;
        Binding s = isRoot ? bind(what, "send", send, blocks.total() * type.bytes(), true, false, 0) : null;
        Binding d = inPlace ? s : bind(what, "recv", recv, blocks.count(rank) * type.bytes(), false, true, 1);
        long dstAt = inPlace ? blocks.offset(rank) : 0;
        return new Call(coll, type, null, root, headerCount, s, d) {
            @Override
            String run(OpContext ctx) {
                LinearScatter.run(ctx, s == null ? null : s.host(), d.host(), dstAt, blocks, root);
                return Plan.LINEAR.label();
            }
        };
    }

    // ---------------------------------------------------------------- reduce-scatter

    @Override
    public void reduceScatter(CommBuffer send, CommBuffer recv, long recvCount, DataType type, ReduceOp op) {
        issue(true, reduceScatterOp(Collective.REDUCE_SCATTER, send, recv, recvCount, null, type, op));
    }

    @Override
    public CompletableFuture<Void> reduceScatterAsync(CommBuffer send, CommBuffer recv, long recvCount,
                                                      DataType type, ReduceOp op) {
        return issue(false, reduceScatterOp(Collective.REDUCE_SCATTER, send, recv, recvCount, null, type, op));
    }

    @Override
    public void reduceScatterv(CommBuffer send, CommBuffer recv, long[] counts, DataType type, ReduceOp op) {
        issue(true, reduceScatterOp(Collective.REDUCE_SCATTERV, send, recv, 0, counts, type, op));
    }

    @Override
    public CompletableFuture<Void> reduceScattervAsync(CommBuffer send, CommBuffer recv, long[] counts,
                                                       DataType type, ReduceOp op) {
        return issue(false, reduceScatterOp(Collective.REDUCE_SCATTERV, send, recv, 0, counts, type, op));
    }

    /** Reduce-scatter ({@code counts == null}: every block {@code count}) or reduce-scatter-v. */
    private Call reduceScatterOp(Collective coll, CommBuffer send, CommBuffer recv, long count, long[] counts,
                                 DataType type, ReduceOp op) {
        return reduceScatterOp(coll, -1, send, recv, count, counts, type, op);
    }

    /** As the reduce-scatter, with {@code root} in its header (a coalesced call's layout, else -1). */
    private Call reduceScatterOp(Collective coll, int root, CommBuffer send, CommBuffer recv, long count, long[] counts,
                                 DataType type, ReduceOp op) {
        String what = what(coll);
        Validation.checkType(what, type);
        Validation.checkOp(what, op);
        Blocks blocks;
        long headerCount;
        if (counts == null) {
            Validation.bytesOf(what, count, 1, type);
            Validation.bytesOf(what, count, size(), type);
            blocks = Blocks.uniform(size(), count);
            headerCount = count;
        } else {
            blocks = Blocks.of(Validation.checkCounts(what, "counts", counts, size(), type));
            headerCount = blocks.total();
        }
        long inBytes = blocks.total() * type.bytes();
        boolean inPlace = send == recv;
        Binding s = bind(what, "send", send, inBytes, true, inPlace, 0);
        Binding d = inPlace ? s : bind(what, "recv", recv, blocks.count(rank) * type.bytes(), false, true, 1);
        long dstAt = inPlace ? blocks.offset(rank) : 0;
        Plan plan = Selector.reduceScatter(config, inBytes, size());
        return new Call(coll, type, op, root, headerCount, s, d) {
            @Override
            String run(OpContext ctx) {
                switch (plan) {
                    case RECURSIVE_HALVING: RecursiveHalvingReduceScatter.run(ctx, s.host(), d.host(), dstAt, blocks); break;
                    case DETERMINISTIC: DeterministicCollectives.reduceScatter(ctx, s.host(), d.host(), dstAt, blocks); break;
                    default: RingReduceScatter.run(ctx, s.host(), d.host(), dstAt, blocks);
                }
                return plan.label();
            }
        };
    }

    // ---------------------------------------------------------------- all-to-all

    @Override
    public void allToAll(CommBuffer send, CommBuffer recv, long count, DataType type) {
        issue(true, allToAllOp(Collective.ALL_TO_ALL, send, null, recv, null, count, type));
    }

    @Override
    public CompletableFuture<Void> allToAllAsync(CommBuffer send, CommBuffer recv, long count, DataType type) {
        return issue(false, allToAllOp(Collective.ALL_TO_ALL, send, null, recv, null, count, type));
    }

    @Override
    public void allToAllv(CommBuffer send, long[] sendCounts, CommBuffer recv, long[] recvCounts, DataType type) {
        issue(true, allToAllOp(Collective.ALL_TO_ALLV, send, sendCounts, recv, recvCounts, 0, type));
    }

    @Override
    public CompletableFuture<Void> allToAllvAsync(CommBuffer send, long[] sendCounts, CommBuffer recv,
                                                  long[] recvCounts, DataType type) {
        return issue(false, allToAllOp(Collective.ALL_TO_ALLV, send, sendCounts, recv, recvCounts, 0, type));
    }

    /** All-to-all ({@code sendCounts == null}: every block {@code count}) or all-to-all-v. */
    private Call allToAllOp(Collective coll, CommBuffer send, long[] sendCounts, CommBuffer recv, long[] recvCounts,
                            long count, DataType type) {
        String what = what(coll);
        Validation.checkType(what, type);
        Blocks out;
        Blocks in;
        long headerCount;
        boolean v = coll == Collective.ALL_TO_ALLV;
        if (!v) {
            Validation.bytesOf(what, count, 1, type);
            Validation.bytesOf(what, count, size(), type);
            out = Blocks.uniform(size(), count);
            in = out;
            headerCount = count;
        } else {
            out = Blocks.of(Validation.checkCounts(what, "sendCounts", sendCounts, size(), type));
            in = Blocks.of(Validation.checkCounts(what, "recvCounts", recvCounts, size(), type));
            if (out.count(rank) != in.count(rank)) {
                throw new InvalidUsageException(what + ": sendCounts[" + rank + "]=" + out.count(rank)
                        + " differs from recvCounts[" + rank + "]=" + in.count(rank) + " (this rank's own block)");
            }
            headerCount = -1; // per-rank counts differ legitimately; each block's frames carry its own count
        }
        long outBytes = out.total() * type.bytes();
        long inBytes = in.total() * type.bytes();
        boolean inPlace = send == recv;
        Binding d = bind(what, "recv", recv, inPlace ? Math.max(outBytes, inBytes) : inBytes, inPlace,
                true, 1);
        Binding s = inPlace ? d : bind(what, "send", send, outBytes, true, false, 0);
        return new Call(coll, type, null, -1, headerCount, s, d) {
            @Override
            String run(OpContext ctx) {
                ByteBuffer src = s.host();
                if (inPlace && out.total() > 0 && ctx.size() > 1) {
                    src = ctx.scratch(outBytes);
                    Steps.copy(ctx, d.host(), 0, src, 0, out.total());
                }
                PairwiseAllToAll.run(ctx, src, out, d.host(), in, v);
                return Plan.PAIRWISE.label();
            }
        };
    }

    // ---------------------------------------------------------------- barrier

    @Override
    public void barrier() {
        issue(true, barrierOp());
    }

    @Override
    public CompletableFuture<Void> barrierAsync() {
        return issue(false, barrierOp());
    }

    private Call barrierOp() {
        return new Call(Collective.BARRIER, DataType.UINT8, null, -1, 0, null, null) {
            @Override
            String run(OpContext ctx) {
                DisseminationBarrier.run(ctx);
                return Plan.DISSEMINATION.label();
            }
        };
    }

    // ---------------------------------------------------------------- coalesced

    /** A coalesced call's packed all-reduce, in place, its layout in the header ({@link Coalescer}). */
    CompletableFuture<Void> packedAllReduce(boolean blocking, HostBuffer pack, long count, DataType type, ReduceOp op,
                                            int layout) {
        return issue(blocking, allReduceOp(Collective.ALL_REDUCE_COALESCED, layout, pack, pack, count, type, op));
    }

    /** A coalesced call's packed all-gather, its layout in the header ({@link Coalescer}). */
    CompletableFuture<Void> packedAllGather(boolean blocking, HostBuffer in, HostBuffer out, long count, DataType type,
                                            int layout) {
        return issue(blocking, allGatherOp(Collective.ALL_GATHER_COALESCED, layout, in, out, count, type));
    }

    /** A coalesced call's packed reduce-scatter, its layout in the header ({@link Coalescer}). */
    CompletableFuture<Void> packedReduceScatter(boolean blocking, HostBuffer in, HostBuffer out, long count,
                                                DataType type, ReduceOp op, int layout) {
        return issue(blocking, reduceScatterOp(Collective.REDUCE_SCATTER_COALESCED, layout, in, out, count, null, type,
                op));
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

    // ---------------------------------------------------------------- split

    @Override
    public Communicator split(int color, int key) {
        return split(color, key, config);
    }

    @Override
    public Communicator split(int color, int key, CommConfig childConfig) {
        if (childConfig == null) {
            throw new InvalidUsageException("rank=" + rank + ": split: config must not be null");
        }
        int w = size();
        int[] colors = new int[w];
        int[] keys = new int[w];
        try (HostBuffer mine = HostBuffer.allocate(2, DataType.INT32);
             HostBuffer all = HostBuffer.allocate(2L * w, DataType.INT32)) {
            mine.putInt(0, color);
            mine.putInt(1, key);
            allGather(mine, all, 2, DataType.INT32);
            for (int p = 0; p < w; p++) {
                colors[p] = all.getInt(2L * p);
                keys[p] = all.getInt(2L * p + 1);
            }
        }
        long number;
        synchronized (issueLock) {
            number = ++splits;
        }
        if (color < 0) {
            return null;
        }
        List<Integer> group = new ArrayList<>();
        for (int p = 0; p < w; p++) {
            if (colors[p] == color) {
                group.add(p);
            }
        }
        group.sort((a, b) -> keys[a] != keys[b] ? Integer.compare(keys[a], keys[b]) : Integer.compare(a, b));
        int[] childMembers = new int[group.size()];
        int childRank = -1;
        for (int i = 0; i < childMembers.length; i++) {
            childMembers[i] = members[group.get(i)];
            if (group.get(i) == rank) {
                childRank = i;
            }
        }
        long childId = childId(commId, number, color);
        LOG.debug("rank={} split #{} color={} key={}: rank {} of {} in communicator {}", rank, number, color, key,
                childRank, childMembers.length, childId);
        return new DefaultCommunicator(transport, false, childId, childMembers, childRank, childConfig);
    }

    /**
     * The id of the communicator made by split number {@code number} of {@code parent} for {@code color}: a
     * 64-bit mix of the three (the SplitMix64 finalizer), the same on every member, without the point-to-point
     * bit and never 0 or 1 (the world).
     */
    static long childId(long parent, long number, int color) {
        long h = mix(parent + 0x9E3779B97F4A7C15L);
        h = mix(h ^ (number * 0xBF58476D1CE4E5B9L));
        h = mix(h ^ ((color & 0xffffffffL) * 0x94D049BB133111EBL + 1));
        h &= ~OpHeader.P2P_STREAM_BIT;
        return h <= 1 ? h + 2 : h;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    // ---------------------------------------------------------------- point-to-point

    @Override
    public void send(CommBuffer buf, long count, DataType type, int peer, int tag) {
        p2p(true, true, buf, count, type, peer, tag);
    }

    @Override
    public CompletableFuture<Void> sendAsync(CommBuffer buf, long count, DataType type, int peer, int tag) {
        return p2p(true, false, buf, count, type, peer, tag);
    }

    @Override
    public void recv(CommBuffer buf, long count, DataType type, int peer, int tag) {
        p2p(false, true, buf, count, type, peer, tag);
    }

    @Override
    public CompletableFuture<Void> recvAsync(CommBuffer buf, long count, DataType type, int peer, int tag) {
        return p2p(false, false, buf, count, type, peer, tag);
    }

    private CompletableFuture<Void> p2p(boolean isSend, boolean blocking, CommBuffer buf, long count, DataType type,
                                        int peer, int tag) {
        String what = "rank=" + rank + " " + (isSend ? "send" : "recv") + " (peer=" + peer + " tag=" + tag + ")";
        Validation.checkType(what, type);
        Validation.checkPeer(what, peer, rank, size());
        Validation.checkTag(what, tag);
        long bytes = Validation.bytesOf(what, count, 1, type);
        Binding b = Validation.bind(what, isSend ? "send" : "recv", buf, bytes, isSend, !isSend, 0);
        checkElementType(what, b, type);
        OpHeader header;
        synchronized (p2pLock) {
            if (closed) {
                throw new InvalidUsageException(what + ": communicator is closed");
            }
            RuntimeException br = broken;
            if (br != null) {
                throw brokenError(what, br);
            }
            Map<Long, long[]> counters = isSend ? sendCounters : recvCounters;
            long[] n = counters.computeIfAbsent(((long) peer << 32) | tag, k -> new long[1]);
            n[0]++;
            // unique per (peer, tag, message): the tag's messages in order; never touches the collective seq
            long p2pSeq = ((long) tag << 32) | (n[0] & 0xffffffffL);
            header = new OpHeader(commId | OpHeader.P2P_STREAM_BIT, p2pSeq, Collective.SEND_RECV, type, null, -1,
                    isSend ? count : OpHeader.ANY_COUNT);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis());
        OpContext ctx = new OpContext(header, rank, size(), deadline, linkTable, scratchPool, config.segmentBytes());
        String described = what + " message #" + (header.seq() & 0xffffffffL) + " (" + count + " "
                + type.name().toLowerCase(java.util.Locale.ROOT) + ")";
        StagingPool pool = new StagingPool();
        if (isSend) {
            long ticket;
            PeerLink link;
            try {
                link = p2pLink(peer, deadline);
                b.stageIn(pool);
                synchronized (link) {
                    ticket = PointToPoint.send(ctx, link, b.host(), count);
                }
            } catch (RuntimeException e) {
                pool.close();
                throw p2pFailure(described, e);
            }
            if (blocking) {
                try {
                    link.awaitSent(ticket, deadline);
                    return null;
                } catch (RuntimeException e) {
                    // the message may still be queued, reading the buffer: its memory goes to the collector
                    b.leaveFreeToCollector();
                    pool.leaveFreeToCollector();
                    throw p2pFailure(described, e);
                } finally {
                    pool.close();
                }
            }
            OpFuture f = new OpFuture(config.callbackExecutor());
            b.pin();
            if (link.isSent(ticket)) {
                b.unpin();
                // the message left at once (a small one, or a socket or ring with room): no thread needs to wait
                pool.close();
                f.succeed();
                return f;
            }
            p2pExecutor(what).execute(() -> {
                try {
                    link.awaitSent(ticket, deadline);
                    f.succeed();
                } catch (Throwable t) {
                    b.leaveFreeToCollector();
                    pool.leaveFreeToCollector();
                    f.fail(t instanceof RuntimeException re ? p2pFailure(described, re) : t);
                } finally {
                    b.unpin();
                    pool.close();
                }
            });
            return f;
        }
        Runnable receive = () -> {
            try {
                PeerLink link = p2pLink(peer, deadline);
                b.stageIn(pool);
                PointToPoint.recv(ctx, link, b.host(), count);
                b.stageOut();
            } catch (RuntimeException e) {
                throw p2pFailure(described, e);
            } finally {
                pool.close();
            }
        };
        if (blocking) {
            receive.run();
            return null;
        }
        OpFuture f = new OpFuture(config.callbackExecutor());
        b.pin();
        try {
            p2pExecutor(what).execute(() -> {
                try {
                    receive.run();
                    f.succeed();
                } catch (Throwable t) {
                    f.fail(t);
                } finally {
                    b.unpin();
                }
            });
        } catch (RuntimeException e) {
            b.unpin();
            throw e;
        }
        return f;
    }

    /**
     * Adds the message's context to a point-to-point failure. It fails only this message: point-to-point
     * traffic has its own stream and per-message sequence numbers, so a message that failed (and any late
     * frames of it) can never be matched by a later call, and collectives are unaffected.
     */
    private static RuntimeException p2pFailure(String described, RuntimeException e) {
        if (e instanceof InvalidUsageException) {
            return e;
        }
        String msg = described + " failed: " + e.getMessage();
        if (e instanceof CommTimeoutException) {
            return new CommTimeoutException(msg);
        }
        return new PeerFailureException(msg, e);
    }

    private PeerLink p2pLink(int commRank, long deadlineNanos) {
        synchronized (p2pLinks) {
            PeerLink l = p2pLinks[commRank];
            if (l == null) {
                l = transport.link(members[commRank], commId | OpHeader.P2P_STREAM_BIT, deadlineNanos);
                p2pLinks[commRank] = l;
            }
            return l;
        }
    }

    private ExecutorService p2pExecutor(String what) {
        synchronized (p2pLock) {
            if (closed) {
                throw new InvalidUsageException(what + ": communicator is closed");
            }
            if (p2pPool == null) {
                p2pPool = Executors.newCachedThreadPool(r -> {
                    Thread t = new Thread(r, "jccl-p2p-comm" + commId + "-rank" + rank);
                    t.setDaemon(true);
                    return t;
                });
            }
            return p2pPool;
        }
    }

    // ---------------------------------------------------------------- issue and run

    /**
     * One validated call waiting for its sequence number, with its body: one object per call (an anonymous
     * subclass holding what its body needs), not a call and a lambda.
     */
    private abstract static class Call {
        // private, so that they are not members of the bodies, whose simple names keep meaning the caller's locals
        private final Collective collective;
        private final DataType type;
        private final ReduceOp op;
        private final int root;
        private final long count;
        private final Binding send;
        private final Binding recv;

        Call(Collective collective, DataType type, ReduceOp op, int root, long count, Binding send, Binding recv) {
            this.collective = collective;
            this.type = type;
            this.op = op;
            this.root = root;
            this.count = count;
            this.send = send;
            this.recv = recv;
        }

        abstract String run(OpContext ctx);

        final Collective collective() {
            return collective;
        }

        final DataType type() {
            return type;
        }

        final ReduceOp op() {
            return op;
        }

        final int root() {
            return root;
        }

        final long count() {
            return count;
        }

        final Binding send() {
            return send;
        }

        final Binding recv() {
            return recv;
        }
    }

    /**
     * Checks a collective's buffer argument and binds it ({@link Validation#bind}); a {@link HostBuffer} bound in
     * the same slot by the last call is bound by the same {@link Binding} again, so that a training loop's calls
     * on the same buffers allocate none. Issuing threads only; a race between two issuers (a misuse that
     * {@link #issue} refuses) at worst replaces an entry, since the entry is checked against the buffer.
     */
    private Binding bind(String what, String name, CommBuffer buf, long bytes, boolean read, boolean written,
                         int slot) {
        if (buf instanceof HostBuffer h) {
            Validation.checkBuffer(what, name, buf, bytes, written);
            Binding b = hostBindings[slot];
            if (b == null || !b.binds(h)) {
                b = Binding.host(h);
                hostBindings[slot] = b;
            }
            return b;
        }
        return Validation.bind(what, name, buf, bytes, read, written, slot);
    }

    /** "rank=R label" of a collective, for error messages: made once, not per call. */
    private String what(Collective c) {
        return whats[c.ordinal()];
    }

    private CompletableFuture<Void> issue(boolean blocking, Call call) {
        checkElementType(call.collective(), call.send(), call.type());
        checkElementType(call.collective(), call.recv(), call.type());
        OpHeader header;
        boolean inline;
        synchronized (issueLock) {
            if (closed) {
                throw new InvalidUsageException("rank=" + rank + " " + call.collective().label()
                        + ": communicator is closed");
            }
            RuntimeException b = broken;
            if (b != null) {
                throw brokenError("rank=" + rank + " " + call.collective().label(), b);
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
        // while the call is queued or running, closing its buffers (from any thread) must not unmap them
        pin(call);
        if (inline) {
            try {
                execute(header, call);
            } finally {
                unpin(call);
                finished();
            }
            return null;
        }
        OpFuture f = new OpFuture(config.callbackExecutor());
        try {
            workerExecutor().execute(() -> {
                Throwable failure = null;
                try {
                    execute(header, call);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    unpin(call);
                }
                // no longer in flight before the future completes: a callback may issue the next call
                finished();
                if (failure == null) {
                    f.succeed();
                } else {
                    f.fail(failure);
                }
            });
        } catch (RejectedExecutionException e) {
            unpin(call);
            finished();
            throw new InvalidUsageException("rank=" + rank + " " + header.describe() + ": communicator is closed");
        }
        if (!blocking) {
            return f;
        }
        try {
            await(f, header);
        } catch (CommTimeoutException e) {
            // the worker still runs this call on the buffers: their memory goes to the collector when closed
            leaveFreeToCollector(call);
            throw e;
        }
        return null;
    }

    /** A Java array's element type must be the call's: a float[] read as FLOAT64 would be a wrong answer. */
    private void checkElementType(Collective c, Binding b, DataType type) {
        DataType holds = b == null ? null : b.elementType();
        if (holds != null && type != null && holds != type) {
            throw elementTypeError(what(c), holds, type);
        }
    }

    private static void checkElementType(String what, Binding b, DataType type) {
        DataType holds = b == null ? null : b.elementType();
        if (holds != null && type != null && holds != type) {
            throw elementTypeError(what, holds, type);
        }
    }

    private static InvalidUsageException elementTypeError(String what, DataType holds, DataType type) {
        return new InvalidUsageException(what + ": a buffer holds " + holds + " elements but the call's type is " + type);
    }

    private static void pin(Call call) {
        if (call.send() != null) {
            call.send().pin();
        }
        if (call.recv() != null && call.recv() != call.send()) {
            call.recv().pin();
        }
    }

    private static void unpin(Call call) {
        if (call.send() != null) {
            call.send().unpin();
        }
        if (call.recv() != null && call.recv() != call.send()) {
            call.recv().unpin();
        }
    }

    private void leaveFreeToCollector(Call call) {
        if (call.send() != null) {
            call.send().leaveFreeToCollector();
        }
        if (call.recv() != null) {
            call.recv().leaveFreeToCollector();
        }
        staging.leaveFreeToCollector();
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

    /** The operation this rank is running (for progress reports), or null. */
    private volatile OpHeader current;
    /** Sequence number of the last operation this rank entered. */
    private volatile long enteredSeq;

    private void execute(OpHeader header, Call call) {
        RuntimeException b = broken;
        if (b != null) {
            throw brokenError("rank=" + rank + " " + header.collective().label(), b);
        }
        enteredSeq = header.seq();
        current = header;
        try {
            executeEntered(header, call);
        } finally {
            current = null;
        }
    }

    private void executeEntered(OpHeader header, Call call) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis());
        OpContext ctx = collectiveContext.begin(header, deadline);
        try {
            // in place, send and recv are one binding: staged in and out once
            Binding second = call.recv() == call.send() ? null : call.recv();
            stageIn(call.send());
            stageIn(second);
            String algo = call.run(ctx);
            stageOut(call.send());
            stageOut(second);
            lastAlgorithm = algo;
            if (LOG.isDebugEnabled()) {
                LOG.debug("rank={} {} algorithm={}", rank, header.describe(), algo);
            }
        } catch (InvalidUsageException e) {
            throw e;
        } catch (RuntimeException e) {
            RuntimeException reported = explain(header, e);
            broken = reported;
            transport.abort(commId, reported.getMessage());
            transport.abort(commId | OpHeader.P2P_STREAM_BIT, reported.getMessage());
            quiesce(call);
            throw reported;
        }
    }

    /** How long a failed call waits for its transport to let go of its buffers before it returns. */
    static final long QUIESCE_MILLIS = 2_000;

    /**
     * After a failed operation (its stream aborted): waits until no link reads or writes the call's buffers any
     * more, so that the caller may free them as soon as the call throws. A link that cannot let go in time (a
     * write queued to a peer that stopped reading) leaves the buffers' memory to the garbage collector instead.
     */
    private void quiesce(Call call) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(QUIESCE_MILLIS);
        boolean quiet = true;
        for (PeerLink l : links) {
            if (l != null) {
                try {
                    quiet &= l.quiesce(deadline);
                } catch (RuntimeException e) {
                    quiet = false;
                }
            }
        }
        if (!quiet) {
            LOG.warn("rank={}: a failed call's buffers are still held by the transport after {} ms; their memory is "
                    + "left to the garbage collector", rank, QUIESCE_MILLIS);
            leaveFreeToCollector(call);
        }
    }

    private void stageIn(Binding b) {
        if (b != null) {
            b.stageIn(staging);
        }
    }

    private void stageOut(Binding b) {
        if (b != null) {
            b.stageOut();
        }
    }

    /**
     * The failure as reported to the caller: it names the operation and its sequence number, and after a
     * timeout it says which ranks never reached the operation, from a status query to every member.
     */
    private RuntimeException explain(OpHeader header, RuntimeException e) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        String what = header.describe();
        if (!msg.contains(what)) {
            msg = "rank=" + rank + " " + what + ": " + msg;
        }
        if (e instanceof CommTimeoutException) {
            return new CommTimeoutException(msg + "; " + whoIsBehind(header));
        }
        if (e instanceof PeerFailureException && msg != e.getMessage()) {
            return new PeerFailureException(msg, e);
        }
        return e instanceof JcclException || msg == e.getMessage() ? e : new PeerFailureException(msg, e);
    }

    /** Asks every member how far it got and names those that never entered {@code header}'s operation. */
    private String whoIsBehind(OpHeader header) {
        int[] world = members.clone();
        long waitNanos = TimeUnit.MILLISECONDS.toNanos(Math.min(2_000, Math.max(200, config.timeoutMillis() / 4)));
        java.util.List<io.jccl.transport.Progress> answers = transport.queryProgress(commId, world, waitNanos);
        java.util.Map<Integer, io.jccl.transport.Progress> byWorld = new java.util.HashMap<>();
        for (io.jccl.transport.Progress p : answers) {
            byWorld.put(p.rank(), p);
        }
        java.util.List<Integer> behind = new java.util.ArrayList<>();
        java.util.List<Integer> silent = new java.util.ArrayList<>();
        for (int r = 0; r < members.length; r++) {
            if (r == rank) {
                continue;
            }
            io.jccl.transport.Progress p = byWorld.get(members[r]);
            if (p == null) {
                silent.add(r);
            } else if (p.seq() < header.seq()) {
                behind.add(r);
            }
        }
        StringBuilder b = new StringBuilder();
        String label = header.collective().label() + " #" + header.seq();
        if (!behind.isEmpty()) {
            b.append(ranks(behind)).append(behind.size() == 1 ? " never entered " : " never entered ").append(label);
        }
        if (!silent.isEmpty()) {
            if (b.length() > 0) {
                b.append("; ");
            }
            b.append(ranks(silent)).append(silent.size() == 1 ? " did not answer" : " did not answer")
                    .append(" a status query (dead, frozen or never connected)");
        }
        if (b.length() == 0) {
            b.append("every other rank entered ").append(label);
        }
        return b.toString();
    }

    private static String ranks(java.util.List<Integer> rs) {
        StringBuilder b = new StringBuilder(rs.size() == 1 ? "rank " : "ranks ");
        for (int i = 0; i < rs.size(); i++) {
            if (i > 0) {
                b.append(i == rs.size() - 1 ? " and " : ", ");
            }
            b.append(rs.get(i));
        }
        return b.toString();
    }

    private JcclException brokenError(String what, RuntimeException cause) {
        String msg = what + ": communicator is broken by an earlier failure: " + cause.getMessage();
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
    public void abort(String reason) {
        String msg = "rank=" + rank + " aborted the communicator: " + reason;
        if (broken == null) {
            broken = new PeerFailureException(msg);
        }
        transport.abort(commId, msg);
        transport.abort(commId | OpHeader.P2P_STREAM_BIT, msg);
    }

    @Override
    public void close() {
        synchronized (issueLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // the last calls' host buffers are no longer kept reachable by this communicator
        java.util.Arrays.fill(hostBindings, null);
        synchronized (this) {
            if (worker != null) {
                worker.shutdownNow();
            }
        }
        synchronized (p2pLock) {
            if (p2pPool != null) {
                p2pPool.shutdownNow();
            }
        }
        if (ownsTransport) {
            transport.close();
        }
        staging.close();
        coalescer.close();
    }
}
