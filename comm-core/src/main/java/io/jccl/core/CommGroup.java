package io.jccl.core;

import io.jccl.Collective;
import io.jccl.transport.HostLayout;
import io.jccl.transport.OpHeader;
import io.jccl.transport.Transport;

/**
 * Who a communicator is: its transport, its id (shared by every member; the world is 1), the world rank of each
 * member and this process's rank among them. Immutable and thread-safe.
 */
final class CommGroup {
    private final Transport transport;
    private final long commId;
    private final int[] members;
    private final int rank;
    private final HostLayout layout;
    private final String job;
    /** "rank=R label" per {@link Collective}, by ordinal: made once, not per call. */
    private final String[] whats;

    /**
     * @param commId  id shared by all members; must not have {@link OpHeader#P2P_STREAM_BIT}
     * @param members world rank of each communicator rank
     * @param rank    this process's rank in the communicator
     * @throws IllegalArgumentException when {@code commId} has the point-to-point bit
     */
    CommGroup(Transport transport, long commId, int[] members, int rank, String job) {
        if ((commId & OpHeader.P2P_STREAM_BIT) != 0) {
            throw new IllegalArgumentException("communicator id " + commId + " has the point-to-point bit set");
        }
        this.transport = transport;
        this.commId = commId;
        this.members = members.clone();
        this.rank = rank;
        this.layout = transport.hostLayout().restrict(this.members);
        this.job = job == null ? "" : job;
        this.whats = new String[Collective.values().length];
        for (Collective c : Collective.values()) {
            whats[c.ordinal()] = "rank=" + rank + " " + c.label();
        }
    }

    Transport transport() {
        return transport;
    }

    /** Which members share a host, by communicator rank. */
    HostLayout layout() {
        return layout;
    }

    long id() {
        return commId;
    }

    /** The job this communicator belongs to (its rendezvous), for the flight recorder's dumps; "" when unknown. */
    String job() {
        return job;
    }

    /** The stream id of this communicator's point-to-point messages. */
    long p2pStream() {
        return commId | OpHeader.P2P_STREAM_BIT;
    }

    int rank() {
        return rank;
    }

    int size() {
        return members.length;
    }

    /** The world rank of communicator rank {@code commRank}. */
    int worldRank(int commRank) {
        return members[commRank];
    }

    /** A copy of every member's world rank, by communicator rank. */
    int[] members() {
        return members.clone();
    }

    /** "rank=R label" of a collective, for error messages. */
    String what(Collective c) {
        return whats[c.ordinal()];
    }
}
