package io.jccl.core;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.Jccl;
import io.jccl.JcclException;
import io.jccl.PeerFailureException;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.transport.OpHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The new collectives' argument checks (each bad call fails on the calling rank with
 * {@link InvalidUsageException} naming the rank and the problem, before any data moves), calls that disagree
 * between ranks (a clear {@link PeerFailureException}), split ids, and the async-callback rule. In process.
 */
@Timeout(60)
class CollectiveArgumentsTest {
    private static final DataType F = DataType.FLOAT32;

    private static CommConfig config() {
        return CommConfig.builder().algorithm(Algorithm.AUTO).deterministic(false).segmentBytes(64)
                .timeoutMillis(20_000).build();
    }

    private record Bad(String name, Executable call, String... mustContain) {
    }

    @Test
    void badArgumentsOfTheNewCallsThrowBeforeAnyDataMoves() {
        List<List<String>> failures = Jccl.runInProcess(3, config(), comm -> {
            List<String> bad = new ArrayList<>();
            try (HostBuffer b = HostBuffer.allocate(16, F); HostBuffer small = HostBuffer.allocate(2, F);
                 HostBuffer one = HostBuffer.allocate(1, F)) {
                if (comm.rank() == 0) {
                    HostBuffer ro = b.asReadOnly();
                    long[] ok = {1, 2, 3};
                    List<Bad> cases = List.of(
                            new Bad("counts null", () -> comm.allGatherv(b, b, null, F), "all_gatherv", "counts", "null"),
                            new Bad("counts short", () -> comm.allGatherv(b, b, new long[] {1, 2}, F), "2 entries", "3"),
                            new Bad("counts negative", () -> comm.reduceScatterv(b, b, new long[] {1, -4, 0}, F,
                                    ReduceOp.SUM), "reduce_scatterv", "counts[1]=-4"),
                            new Bad("counts overflow", () -> comm.gatherv(b, b, new long[] {Long.MAX_VALUE / 2,
                                    Long.MAX_VALUE / 2, 10}, F, 0), "gatherv", "overflow"),
                            new Bad("all-gather-v small recv", () -> comm.allGatherv(b, small, ok, F), "recv", "24"),
                            new Bad("gather root", () -> comm.gather(b, b, 1, F, 3), "gather", "root=3"),
                            new Bad("gather small recv at root", () -> comm.gather(b, small, 1, F, 0), "recv", "12"),
                            new Bad("gatherv null send", () -> comm.gathervAsync(null, b, ok, F, 1), "send", "null"),
                            new Bad("scatter null send at root", () -> comm.scatter(null, b, 1, F, 0), "scatter", "send"),
                            new Bad("scatterv read-only recv", () -> comm.scatterv(b, ro, ok, F, 1), "read-only"),
                            new Bad("all-to-all small send", () -> comm.allToAll(small, b, 1, F), "alltoall", "send"),
                            new Bad("all-to-all-v own block", () -> comm.allToAllv(b, new long[] {1, 1, 1}, b,
                                    new long[] {2, 1, 1}, F), "alltoallv", "sendCounts[0]=1", "recvCounts[0]=2"),
                            new Bad("all-to-all-v counts length", () -> comm.allToAllv(b, new long[] {1}, b, ok, F),
                                    "sendCounts", "1 entries"),
                            new Bad("send to self", () -> comm.send(b, 1, F, 0, 0), "send", "peer=0"),
                            new Bad("recv peer range", () -> comm.recv(b, 1, F, 3, 0), "recv", "peer=3"),
                            new Bad("negative tag", () -> comm.sendAsync(b, 1, F, 1, -2), "tag=-2"),
                            new Bad("recv read-only", () -> comm.recvAsync(ro, 1, F, 1, 0), "read-only"),
                            new Bad("send too big", () -> comm.send(small, 4, F, 2, 0), "send", "8 bytes"),
                            new Bad("p2p null type", () -> comm.send(b, 1, null, 1, 0), "type"));
                    for (Bad c : cases) {
                        try {
                            c.call().execute();
                            bad.add(c.name() + ": no exception");
                        } catch (InvalidUsageException e) {
                            String m = String.valueOf(e.getMessage());
                            if (!m.contains("rank=0")) {
                                bad.add(c.name() + ": message does not name the rank: " + m);
                            }
                            for (String s : c.mustContain()) {
                                if (!m.contains(s)) {
                                    bad.add(c.name() + ": message lacks '" + s + "': " + m);
                                }
                            }
                        } catch (Throwable t) {
                            bad.add(c.name() + ": threw " + t);
                        }
                    }
                }
                // ranks 1 and 2 made none of those calls; none consumed a sequence number
                one.putFloat(0, comm.rank());
                comm.allReduce(one, 1, F, ReduceOp.SUM);
                if (one.getFloat(0) != 3f) {
                    bad.add("rank=" + comm.rank() + ": all-reduce after the bad calls gave " + one.getFloat(0));
                }
            }
            return bad;
        });
        failures.forEach(f -> assertTrue(f.isEmpty(), () -> String.join("\n", f)));
    }

    @Test
    void allToAllvBlockSizesThatDisagreeFailNamingBothCounts() {
        CommConfig quick = config().toBuilder().timeoutMillis(1_000).build();
        List<String> messages = Jccl.runInProcess(2, quick, comm -> {
            try (HostBuffer b = HostBuffer.allocate(16, F); HostBuffer c = HostBuffer.allocate(16, F)) {
                // rank 0 sends 3 to rank 1, but rank 1 expects 4 from rank 0
                long[] send = comm.rank() == 0 ? new long[] {1, 3} : new long[] {2, 2};
                long[] recv = comm.rank() == 0 ? new long[] {1, 2} : new long[] {4, 2};
                comm.allToAllv(b, send, c, recv, F);
                return "no failure";
            } catch (JcclException e) {
                // rank 1 sees the disagreement; rank 0 fails too (its block is never taken: a timeout, or
                // rank 1's abort of the communicator, whichever comes first)
                return e.getClass().getSimpleName() + ": " + e.getMessage();
            }
        });
        assertTrue(!messages.get(0).equals("no failure"), messages.get(0));
        String m = messages.get(1);
        assertTrue(m.startsWith("PeerFailureException"), m);
        assertTrue(m.contains("alltoallv") && m.contains("count=3") && m.contains("count=4") && m.contains("peer=0"), m);
    }

    @Test
    void aVariantAgainstItsPlainCollectiveFails() {
        List<String> messages = Jccl.runInProcess(2, config(), comm -> {
            try (HostBuffer b = HostBuffer.allocate(4, F); HostBuffer c = HostBuffer.allocate(8, F)) {
                if (comm.rank() == 0) {
                    comm.allGather(b, c, 2, F);
                } else {
                    comm.allGatherv(b, c, new long[] {2, 2}, F);
                }
                return "no failure";
            } catch (PeerFailureException e) {
                return e.getMessage();
            }
        });
        assertTrue(messages.get(0).contains("all_gatherv") || messages.get(1).contains("all_gather "),
                () -> String.join("\n", messages));
        for (String m : messages) {
            assertTrue(m.contains("mismatched"), m);
        }
    }

    @Test
    void splitIdsAreDeterministicDistinctAndNeverCollideWithTheWorldOrPointToPoint() {
        Set<Long> seen = new HashSet<>();
        for (long parent : new long[] {1, CommSplitter.childId(1, 1, 0)}) {
            for (long number = 1; number <= 50; number++) {
                for (int color = 0; color < 20; color++) {
                    long id = CommSplitter.childId(parent, number, color);
                    assertEquals(id, CommSplitter.childId(parent, number, color));
                    assertEquals(0, id & OpHeader.P2P_STREAM_BIT, "p2p bit set in " + id);
                    assertTrue(id > 1, "id " + id);
                    assertTrue(seen.add(id), "duplicate id for parent=" + parent + " number=" + number + " color=" + color);
                }
            }
        }
    }

    @Test
    void splitChildrenOfOneWorldHaveTheSameIdOnEveryMember() {
        List<Long> ids = Jccl.runInProcess(4, config(), comm -> {
            try (Communicator child = comm.split(comm.rank() % 2, 0)) {
                return ((DefaultCommunicator) child).id();
            }
        });
        assertEquals(ids.get(0), ids.get(2));
        assertEquals(ids.get(1), ids.get(3));
        assertTrue(!ids.get(0).equals(ids.get(1)), ids::toString);
    }

    /** A callback on an async call's future may issue the next call: the completed call is no longer in flight. */
    @Test
    void anAsyncCallbackMayIssueTheNextCall() {
        List<String> results = Jccl.runInProcess(2, config(), comm -> {
            try (HostBuffer b = HostBuffer.allocate(1, F); HostBuffer c = HostBuffer.allocate(1, F)) {
                b.putFloat(0, 1);
                c.putFloat(0, 2);
                CompletableFuture<Void> f = comm.allReduceAsync(b, b, 1, F, ReduceOp.SUM);
                CompletableFuture<String> next = f.thenApply(v -> {
                    comm.allReduce(c, 1, F, ReduceOp.SUM);
                    return b.getFloat(0) + " " + c.getFloat(0);
                });
                return next.get(20, TimeUnit.SECONDS);
            }
        });
        assertEquals(List.of("2.0 4.0", "2.0 4.0"), results);
    }
}
