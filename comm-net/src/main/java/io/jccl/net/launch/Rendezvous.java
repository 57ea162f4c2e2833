package io.jccl.net.launch;

import io.jccl.transport.Store;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rounds of the rendezvous, so that a world built again after a failure (in the same processes, with a
 * replacement, or after a launcher restarted the job) never meets the addresses of an earlier one in the store.
 * Every key of a world lives under {@code jccl/a<restart>/r<round>/}: {@code restart} is the launcher's restart
 * count ({@code JCCL_RESTART_COUNT}, as torchrun's {@code TORCHELASTIC_RESTART_COUNT}), {@code round} the attempt
 * within it. As torch elastic's rendezvous does, a round takes the first W ranks that join it and then is full;
 * a rank that builds its world again closes the round it was in and joins the next one; a new process joins the
 * first round that is neither full nor closed. So survivors and a replacement meet in the same new round.
 *
 * <p>The store identifies itself ({@code jccl/store.id}, set by {@link io.jccl.net.store.TcpStoreServer} when it
 * starts): a process remembers its last round per store, and a store started anew starts again at round 0.
 *
 * <p>Thread-safe.
 */
public final class Rendezvous {
    /** The key under which a store serves its random identity. */
    static final String STORE_ID_KEY = io.jccl.net.store.TcpStoreServer.STORE_ID_KEY;

    /** The round each rank of this process last joined, by (store id, restart count, rank). */
    private static final ConcurrentHashMap<String, Integer> LAST_ROUND = new ConcurrentHashMap<>();

    private Rendezvous() {
    }

    /** The key prefix of round {@code round} of restart {@code restart}. */
    public static String roundPrefix(int restart, int round) {
        return "jccl/a" + restart + "/r" + round + "/";
    }

    /**
     * Claims this rank's place in a round of {@code worldSize} ranks.
     *
     * @return the key prefix of the world's keys in that round, ending in "world/"
     */
    public static String join(Store store, int rank, int worldSize, int restart, long deadlineNanos) {
        String storeId = new String(store.get(STORE_ID_KEY, deadlineNanos), StandardCharsets.UTF_8);
        String memo = storeId + "/" + restart + "/" + rank;
        Integer prev = LAST_ROUND.get(memo);
        int round = 0;
        if (prev != null) {
            store.add(roundPrefix(restart, prev) + "closed", 1); // no new process waits for the round left behind
            round = prev + 1;
        }
        while (true) {
            String p = roundPrefix(restart, round);
            if (store.add(p + "closed", 0) > 0 || store.add(p + "members", 1) > worldSize) {
                round++;
                continue;
            }
            LAST_ROUND.put(memo, round);
            return p + "world/";
        }
    }
}
