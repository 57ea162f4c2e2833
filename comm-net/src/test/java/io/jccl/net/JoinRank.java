package io.jccl.net;

import io.jccl.CommConfig;
import io.jccl.InvalidUsageException;

/**
 * A process that joins a job as {@code RANK WORLD_SIZE PORT} (store on 127.0.0.1) and exits: 0 when the job
 * started, 2 with "refused: message" when start-up refused it (tests of launch mistakes that need one process per
 * rank: processes of one JVM share their memory of the rendezvous rounds they joined).
 */
public final class JoinRank {
    private JoinRank() {
    }

    public static void main(String[] args) {
        int rank = Integer.parseInt(args[0]);
        int world = Integer.parseInt(args[1]);
        int port = Integer.parseInt(args[2]);
        CommConfig cfg = CommConfig.builder().timeoutMillis(40_000).build(); // far beyond what the tests wait
        try {
            NetCommunicators.create(new LaunchInfo(rank, world, rank, "127.0.0.1", port), cfg, false, "tcp").close();
            System.out.println("joined");
            System.exit(0);
        } catch (InvalidUsageException e) {
            System.out.println("refused: " + e.getMessage());
            System.exit(2);
        }
    }
}
