package io.jccl.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Binding of local ranks to CPUs for {@code jccl-run --bind-to} (as {@code mpirun --bind-to core}, Open MPI's
 * default for up to two processes): rank {@code i} runs on the {@code i}-th CPU the launcher itself may use,
 * through {@code taskset -c}, which then executes the command in the same process. A rank that waits for a
 * peer polls for a while before it sleeps; pinned, two ranks never poll on one core while the other core idles,
 * which the scheduler otherwise does for whole runs.
 *
 * <p>Stateless; thread-safe.
 */
final class CpuBinding {
    private CpuBinding() {
    }

    /**
     * The CPUs of a Linux CPU list such as {@code 0-3,8,10-11} ({@code Cpus_allowed_list} of
     * {@code /proc/self/status}), in order.
     *
     * @throws IllegalArgumentException when the text is not such a list
     */
    static List<Integer> parseList(String list) {
        List<Integer> cpus = new ArrayList<>();
        for (String part : list.trim().split(",")) {
            String[] range = part.trim().split("-");
            try {
                int from = Integer.parseInt(range[0].trim());
                int to = range.length == 2 ? Integer.parseInt(range[1].trim()) : from;
                if (range.length > 2 || from < 0 || to < from) {
                    throw new IllegalArgumentException("not a CPU list: '" + list + "'");
                }
                for (int c = from; c <= to; c++) {
                    cpus.add(c);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a CPU list: '" + list + "'", e);
            }
        }
        return cpus;
    }

    /** The CPUs this process may run on, or an empty list when /proc does not say. */
    static List<Integer> allowedCpus() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return parseList(line.substring("Cpus_allowed_list:".length()));
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // not Linux, or an unexpected format: no binding
        }
        return List.of();
    }

    /** The {@code taskset} executable on the PATH, or null. */
    static Path taskset() {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "taskset");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Why {@code program} cannot be executed, as the launcher would start it (a path when it has a {@code /}, else
     * looked up on the PATH), or null when it can: checked before {@code taskset} runs it, so that an error names
     * the command rather than {@code taskset}.
     */
    static String cannotRun(String program) {
        if (program.contains("/")) {
            Path p = Path.of(program);
            if (!Files.exists(p)) {
                return "No such file or directory";
            }
            return Files.isDirectory(p) || !Files.isExecutable(p) ? "Permission denied (not an executable file)" : null;
        }
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "" : path).split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                return null;
            }
        }
        return "not found on the PATH";
    }

    /** {@code command} run on {@code cpu}: {@code taskset -c cpu command...}. */
    static List<String> bound(Path taskset, int cpu, List<String> command) {
        List<String> c = new ArrayList<>(command.size() + 3);
        c.add(taskset.toString());
        c.add("-c");
        c.add(Integer.toString(cpu));
        c.addAll(command);
        return c;
    }
}
