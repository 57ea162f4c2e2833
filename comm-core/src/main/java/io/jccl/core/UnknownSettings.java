package io.jccl.core;

import io.jccl.Knob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Warns, once per process, of environment variables named {@code JCCL_*} that are neither a {@link Knob} nor one of
 * the launcher's and tools' own variables: a misspelled setting ({@code JCCL_ALGOO=ring}) is otherwise ignored
 * without a word. The warning names the nearest setting when one is a typo away. Thread-safe.
 */
final class UnknownSettings {
    private static final Logger LOG = LoggerFactory.getLogger(UnknownSettings.class);

    /** Variables that bin/, the launcher and the test scripts set or read, which are not settings of a communicator. */
    private static final Set<String> OTHERS = Set.of("JCCL_HOME", "JCCL_HOST_CPUS", "JCCL_HOST_ID", "JCCL_JAR",
            "JCCL_JAVA_OPTS", "JCCL_JVM_OPTS", "JCCL_NEEDED_JAR", "JCCL_NETNS_NAME", "JCCL_RESTART_COUNT",
            "JCCL_RUN_JAR", "JCCL_STORE_HOSTED", "JCCL_AUTH_KEY_FILE");

    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private UnknownSettings() {
    }

    /** Logs the warning the first time a communicator is made in this process. */
    static void warnOnce() {
        if (WARNED.compareAndSet(false, true)) {
            for (String line : unknown(System.getenv())) {
                LOG.warn(line);
            }
        }
    }

    /** One line per unknown {@code JCCL_*} name of {@code env}, in name order. */
    static Set<String> unknown(Map<String, String> env) {
        Set<String> known = new TreeSet<>(OTHERS);
        for (Knob k : Knob.values()) {
            known.add(k.envName());
        }
        Set<String> out = new TreeSet<>();
        for (String name : env.keySet()) {
            if (name.startsWith("JCCL_") && !known.contains(name)) {
                String near = nearest(name, known);
                out.add(name + " is not a JCCL setting and is ignored" + (near == null ? "" : " (did you mean " + near
                        + "?)") + "; README.md lists the settings");
            }
        }
        return out;
    }

    private static String nearest(String name, Set<String> known) {
        String best = null;
        int bestDistance = 3; // a typo or two
        for (String k : known) {
            int d = distance(name, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
