package io.jccl.ddp;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Which registered gradient an object passed to {@code markReady} is (by identity: the caller's array or buffer,
 * or the current view of a view gradient), and which one a name is. Views are looked up by the slice their bucket
 * gives them now: after the buckets are rebuilt, {@link #rekeyViews} forgets the old slices. Not thread-safe.
 */
final class GradientLookup {
    private final Param[] params;
    private final IdentityHashMap<Object, Param> byKey = new IdentityHashMap<>();
    private final Map<String, Param> byName = new HashMap<>();

    /** Indexes {@code params}, whose views (if any) are already slices of their buckets. */
    GradientLookup(Param[] params) {
        this.params = params;
        for (Param p : params) {
            byName.put(p.name, p);
            byKey.put(p.kind == Param.Kind.VIEW ? p.view : p.key, p);
        }
    }

    /** The gradient held by {@code gradient} (identity), or null. */
    Param byKey(Object gradient) {
        return gradient == null ? null : byKey.get(gradient);
    }

    /** The gradient named {@code name}, or null. */
    Param byName(String name) {
        return byName.get(name);
    }

    /**
     * Runs {@code rebuild}, which gives views new slices, and looks views up by their new slices only (a caller
     * holding an old view gets "not registered").
     */
    void rekeyViews(Runnable rebuild) {
        for (Param p : params) {
            if (p.kind == Param.Kind.VIEW) {
                byKey.remove(p.view);
            }
        }
        rebuild.run();
        for (Param p : params) {
            if (p.kind == Param.Kind.VIEW) {
                byKey.put(p.view, p);
            }
        }
    }
}
