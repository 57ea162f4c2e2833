package io.jccl.net.shm;


/** Test access to the shared-memory housekeeping of this package. */
public final class ShmCleanup {
    private ShmCleanup() {
    }

    /** What a job's start does first: deletes the files of jobs none of whose processes is alive. */
    public static int removeDeadJobs() {
        return ShmJobs.removeDead(Shm.DIR);
    }

    /** The store key under which rank 0 publishes the job id of the shared-memory files (first round of a new store). */
    public static String jobKey() {
        return "jccl/a0/r0/world/shm.job";
    }
}
