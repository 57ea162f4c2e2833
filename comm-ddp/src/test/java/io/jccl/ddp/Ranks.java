package io.jccl.ddp;

import io.jccl.CommConfig;
import io.jccl.Jccl;

import java.util.List;

/** W in-process ranks for the reducer's tests, with a short deadline so that a hang fails fast. */
final class Ranks {
    private Ranks() {
    }

    static CommConfig config(boolean deterministic) {
        return CommConfig.builder().timeoutMillis(20_000).deterministic(deterministic).build();
    }

    static <T> List<T> run(int w, boolean deterministic, Jccl.RankTask<T> task) {
        return Jccl.runInProcess(w, config(deterministic), task);
    }

    /** A gradient value that differs by rank, step and element, exactly representable in fp32. */
    static float value(int rank, int step, int i) {
        return (float) ((rank + 1) * 0.25 + step * 0.125 + (i % 7) * 0.0625 - 0.5);
    }
}
