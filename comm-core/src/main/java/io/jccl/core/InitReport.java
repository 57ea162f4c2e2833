package io.jccl.core;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Knob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;

/**
 * The lines a communicator logs once when it is made, as {@code NCCL_DEBUG=INFO} prints its init lines: rank,
 * world size, host, process, transport, how algorithms are chosen (thresholds or cost model), the settings that
 * differ from their defaults, and versions. At INFO level when {@code JCCL_DEBUG=INFO}, else at DEBUG (logger
 * {@code io.jccl.core.InitReport}). Stateless.
 */
final class InitReport {
    private static final Logger LOG = LoggerFactory.getLogger(InitReport.class);

    private InitReport() {
    }

    /**
     * Whether {@code JCCL_DEBUG} asks for the lines at INFO.
     *
     * @throws io.jccl.InvalidUsageException when it is neither INFO nor WARN
     */
    static boolean infoLevel() {
        String level = Knob.DEBUG.get();
        boolean info = "INFO".equalsIgnoreCase(level);
        if (!info && !"WARN".equalsIgnoreCase(level)) {
            throw new io.jccl.InvalidUsageException(Knob.DEBUG.envName() + "='" + level + "': expected INFO or WARN");
        }
        return info;
    }

    static void log(CommGroup group, CommConfig config, boolean recording, boolean info) {
        if (!(info ? LOG.isInfoEnabled() : LOG.isDebugEnabled())) {
            return;
        }
        String prefix = "rank=" + group.rank() + "/" + group.size() + " comm=" + Long.toUnsignedString(group.id());
        emit(info, prefix + " host=" + host() + " pid=" + ProcessHandle.current().pid() + " world rank="
                + group.worldRank(group.rank()) + " transport: " + group.transport().describe());
        emit(info, prefix + " algorithms: " + choice(config) + "; segment " + config.segmentBytes() + " B; timeout "
                + config.timeoutMillis() + " ms; flight recorder " + (recording ? "on" : "off"));
        emit(info, prefix + " settings changed from their defaults: " + changedSettings());
        emit(info, prefix + " versions: jccl " + io.jccl.Jccl.version() + ", java " + Runtime.version() + " ("
                + System.getProperty("java.vm.name") + "), " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch"));
    }

    private static void emit(boolean info, String line) {
        if (info) {
            LOG.info(line);
        } else {
            LOG.debug(line);
        }
    }

    private static String choice(CommConfig c) {
        if (c.deterministic()) {
            return "deterministic mode (reductions in rank order)";
        }
        if (c.algorithm() != Algorithm.AUTO) {
            return "all-reduce forced to " + c.algorithm().label();
        }
        if (c.costModel() != null) {
            return "auto by cost model (" + c.costModel().info().getOrDefault("transport", "fitted") + ")";
        }
        return String.format(Locale.ROOT, "auto by size: rd <= %d B, tree <= %d B, hd <= %d B, ring above",
                c.rdMaxBytes(), c.treeMaxBytes(), c.hdMaxBytes());
    }

    private static String changedSettings() {
        StringBuilder b = new StringBuilder();
        for (Knob k : Knob.values()) {
            String v = k.get();
            if (!v.equals(k.defaultValue())) {
                boolean secret = k == Knob.AUTH_KEY;
                b.append(b.length() == 0 ? "" : ", ").append(k.envName()).append('=').append(secret ? "(set)" : v);
            }
        }
        return b.length() == 0 ? "none" : b.toString();
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
