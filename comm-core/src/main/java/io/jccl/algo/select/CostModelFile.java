package io.jccl.algo.select;

import io.jccl.InvalidUsageException;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The file format of a {@link CostModel} (a {@link Properties} file, described in its class comment): writing,
 * reading and checking every key. Stateless and thread-safe.
 */
final class CostModelFile {
    private CostModelFile() {
    }

    /** {@code m} as properties (see {@link CostModel}'s class comment). */
    static Properties toProperties(CostModel m) {
        Properties p = new Properties();
        p.setProperty("version", Integer.toString(CostModel.VERSION));
        p.setProperty("shared.host", Boolean.toString(m.sharedHost()));
        put(p, "", m.base());
        if (m.acrossHosts() != null) {
            put(p, ACROSS, m.acrossHosts());
        }
        if (m.acrossLarge() != null) {
            p.setProperty(ACROSS_LARGE_FROM, Long.toString(m.acrossLarge().fromBytes()));
            p.setProperty(ACROSS_LARGE_BETA, Double.toString(m.acrossLarge().betaSecondsPerByte()));
        }
        m.byWorld().forEach((w, lp) -> put(p, "w." + w + ".", lp));
        m.treeAlphaByWorld().forEach((w, a) -> p.setProperty("w." + w + TREE_ALPHA, Double.toString(a)));
        m.largeByWorld().forEach((w, l) -> {
            p.setProperty("w." + w + LARGE_FROM, Long.toString(l.fromBytes()));
            p.setProperty("w." + w + LARGE_BETA, Double.toString(l.betaSecondsPerByte()));
        });
        m.info().forEach((k, v) -> p.setProperty("info." + k, v));
        return p;
    }

    private static void put(Properties p, String prefix, LinkParams lp) {
        p.setProperty(prefix + "alpha.seconds", Double.toString(lp.alphaSeconds()));
        p.setProperty(prefix + "beta.seconds.per.byte", Double.toString(lp.betaSecondsPerByte()));
        p.setProperty(prefix + "gamma.seconds.per.byte", Double.toString(lp.gammaSecondsPerByte()));
    }

    /**
     * Reads a model from properties.
     *
     * @param where names the source in error messages
     * @throws InvalidUsageException naming the key that is missing or malformed
     */
    static CostModel fromProperties(Properties p, String where) {
        String v = p.getProperty("version");
        if (v == null || !v.trim().equals(Integer.toString(CostModel.VERSION))) {
            throw new InvalidUsageException(where + ": not a JCCL cost model of version " + CostModel.VERSION + " (version=" + v
                    + "); write one with bin/jccl-tune");
        }
        LinkParams base = read(p, "", where);
        TreeMap<Integer, LinkParams> byWorld = new TreeMap<>();
        TreeMap<Integer, Double> treeAlpha = new TreeMap<>();
        TreeMap<String, String> info = new TreeMap<>();
        TreeMap<Integer, CostModel.Large> large = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("w.") && key.endsWith(LARGE_FROM)) {
                int w = world(key, LARGE_FROM, where);
                large.put(w, new CostModel.Large(wholeBytes(p, key, where), num(p, "w." + w + LARGE_BETA, where)));
            } else if (key.startsWith("w.") && key.endsWith(LARGE_BETA)) {
                int w = world(key, LARGE_BETA, where);
                num(p, "w." + w + LARGE_FROM, where); // the pair is read above; a lone beta names the missing key
            } else if (key.startsWith("w.") && key.endsWith(TREE_ALPHA)) {
                int w = world(key, TREE_ALPHA, where);
                treeAlpha.put(w, read(p, "w." + w + ".tree.", where, true).alphaSeconds());
            } else if (key.startsWith("w.") && key.endsWith(".alpha.seconds")) {
                int w = world(key, ".alpha.seconds", where);
                byWorld.put(w, read(p, "w." + w + ".", where));
            } else if (key.matches("w\\.\\d+\\.(beta|gamma)\\.seconds\\.per\\.byte")) {
                read(p, key.substring(0, key.indexOf('.', 2) + 1), where); // read with its alpha; a lone one names the missing key
            } else if (key.startsWith("info.")) {
                info.put(key.substring(5), p.getProperty(key));
            } else if (!known(key)) {
                throw new InvalidUsageException(where + ": unknown key " + key + " (keys: version, shared.host, alpha.seconds,"
                        + " beta.seconds.per.byte, gamma.seconds.per.byte, the same under w.<W>. and across., w.<W>.tree.alpha.seconds,"
                        + " w.<W>.large.from.bytes with w.<W>.large.beta.seconds.per.byte, the same under across.large., info.*)");
            }
        }
        String shared = p.getProperty("shared.host", "false").trim();
        if (!shared.equals("true") && !shared.equals("false")) {
            throw new InvalidUsageException(where + ": shared.host='" + shared + "' is not true or false");
        }
        // any across.* key means the link between hosts: all three of its keys are needed (a lone one names the missing key)
        boolean anyAcross = p.stringPropertyNames().stream().anyMatch(k -> k.startsWith(ACROSS));
        LinkParams across = anyAcross ? read(p, ACROSS, where) : null;
        CostModel.Large acrossLarge = null;
        if (p.getProperty(ACROSS_LARGE_FROM) != null || p.getProperty(ACROSS_LARGE_BETA) != null) {
            acrossLarge = new CostModel.Large(wholeBytes(p, ACROSS_LARGE_FROM, where),
                    num(p, ACROSS_LARGE_BETA, where));
        }
        return new CostModel(base, byWorld, treeAlpha, large, info, shared.equals("true"), across, acrossLarge);
    }

    private static final String ACROSS = "across.";
    private static final String ACROSS_LARGE_FROM = ACROSS + "large.from.bytes";
    private static final String ACROSS_LARGE_BETA = ACROSS + "large.beta.seconds.per.byte";
    private static final String TREE_ALPHA = ".tree.alpha.seconds";
    private static final String LARGE_FROM = ".large.from.bytes";
    private static final String LARGE_BETA = ".large.beta.seconds.per.byte";

    /** True for the keys a model file may hold besides w.W.alpha.seconds, w.W.tree.alpha.seconds and info.*. */
    private static boolean known(String key) {
        return key.equals("version") || key.equals("shared.host") || key.equals("alpha.seconds")
                || key.equals("beta.seconds.per.byte") || key.equals("gamma.seconds.per.byte")
                || key.matches("across\\.(alpha\\.seconds|beta\\.seconds\\.per\\.byte|gamma\\.seconds\\.per\\.byte"
                + "|large\\.from\\.bytes|large\\.beta\\.seconds\\.per\\.byte)")
                || key.matches("w\\.\\d+\\.(beta\\.seconds\\.per\\.byte|gamma\\.seconds\\.per\\.byte)");
    }

    /** The W of a key {@code w.<W><suffix>}. */
    private static int world(String key, String suffix, String where) {
        String ws = key.substring(2, key.length() - suffix.length());
        int w;
        try {
            w = Integer.parseInt(ws);
        } catch (NumberFormatException e) {
            throw new InvalidUsageException(where + ": key " + key + " does not name a world size");
        }
        if (w < 1) {
            throw new InvalidUsageException(where + ": key " + key + ": world size must be >= 1");
        }
        return w;
    }

    private static LinkParams read(Properties p, String prefix, String where) {
        return read(p, prefix, where, false);
    }

    private static LinkParams read(Properties p, String prefix, String where, boolean alphaOnly) {
        if (alphaOnly) {
            return new LinkParams(num(p, prefix + "alpha.seconds", where), 0, 0);
        }
        return new LinkParams(num(p, prefix + "alpha.seconds", where), num(p, prefix + "beta.seconds.per.byte", where),
                num(p, prefix + "gamma.seconds.per.byte", where));
    }

    /** The value of {@code key}: a whole number of bytes &gt;= 1, else an error naming the key and the source. */
    private static long wholeBytes(Properties p, String key, String where) {
        double from = num(p, key, where);
        if (from < 1 || from != Math.rint(from)) {
            throw new InvalidUsageException(where + ": " + key + " must be a whole number of bytes >= 1");
        }
        return (long) from;
    }

    /** The value of {@code key}: a finite number &gt;= 0, else an error naming the key and the source. */
    private static double num(Properties p, String key, String where) {
        String s = p.getProperty(key);
        if (s == null) {
            throw new InvalidUsageException(where + ": missing key " + key);
        }
        double v;
        try {
            v = Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw new InvalidUsageException(where + ": " + key + "='" + s + "' is not a number");
        }
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new InvalidUsageException(where + ": " + key + "=" + s.trim() + " must be a finite number >= 0");
        }
        return v;
    }

    /** Writes the model to {@code file} (UTF-8 properties, with a comment line). */
    static void save(CostModel m, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            toProperties(m).store(w, "JCCL cost model (alpha s/message, beta s/byte on the wire, gamma s/byte reduced); "
                    + "written by bin/jccl-tune, read with JCCL_COST_MODEL=" + file);
        }
    }

    /**
     * Reads a model file.
     *
     * @throws InvalidUsageException when the file cannot be read or is not a cost model
     */
    static CostModel load(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new InvalidUsageException("cost model " + file + " cannot be read: " + e);
        } catch (IllegalArgumentException e) { // Properties.load: a malformed unicode escape
            throw new InvalidUsageException("cost model " + file + " cannot be read: " + e.getMessage());
        }
        return fromProperties(p, "cost model " + file);
    }
}
