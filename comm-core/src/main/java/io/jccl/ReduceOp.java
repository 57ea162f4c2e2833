package io.jccl;

/**
 * Reduction operators.
 *
 * <ul>
 *   <li>{@link #SUM}, {@link #PROD}: integers wrap like Java arithmetic on the type's width; floating
 *       types follow IEEE 754 (fp16/bf16 computed in fp32, rounded to nearest-even on store).</li>
 *   <li>{@link #MIN}, {@link #MAX}: as {@link Math#min(float, float)} and {@link Math#max(float, float)}
 *       for floating types, so a NaN on any rank gives NaN and -0.0 orders below +0.0.</li>
 *   <li>{@link #AVG}: the {@link #SUM} divided by the world size once, after the sum; integer
 *       averages truncate toward zero.</li>
 * </ul>
 *
 * <p>Every op is defined for every {@link DataType}.
 */
public enum ReduceOp {
    SUM("sum"),
    PROD("prod"),
    MIN("min"),
    MAX("max"),
    AVG("avg");

    private final String ncclName;

    ReduceOp(String ncclName) {
        this.ncclName = ncclName;
    }

    /** The name nccl-tests prints for this op. */
    public String ncclName() {
        return ncclName;
    }

    /**
     * Parses an op name in any case ({@code sum}, {@code prod}, {@code min}, {@code max}, {@code avg}).
     *
     * @throws IllegalArgumentException naming the accepted spellings
     */
    public static ReduceOp parse(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        for (ReduceOp op : values()) {
            if (op.ncclName.equals(n)) {
                return op;
            }
        }
        if (n.equals("mean")) {
            return AVG;
        }
        throw new IllegalArgumentException("unknown reduce op '" + name + "': expected one of sum|prod|min|max|avg");
    }
}
