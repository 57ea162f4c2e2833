package io.jccl.algo.select;

import io.jccl.InvalidUsageException;

/**
 * Least-squares fit of {@code t(n) = a + b n} to measured times, the fit that turns a ping-pong (or ring
 * shift) at several message sizes into alpha (the intercept, seconds) and beta (the slope, seconds per byte),
 * as in Hockney's model.
 *
 * <p>The residuals are relative: each point is weighted by 1 / t^2, so that an 8-byte time of 20 us and a
 * 64 MiB time of 50 ms count alike (an unweighted fit would ignore every small message). The weighted normal
 * equations are solved in closed form, centred on the weighted means. Both coefficients are clamped to &gt;= 0 (a negative latency is noise):
 * when the unconstrained intercept is negative the fit is redone through the origin, and vice versa.
 *
 * <p>Stateless and thread-safe.
 */
public final class CostFit {
    private CostFit() {
    }

    /**
     * A fitted line.
     *
     * @param intercept          a, in the unit of t (seconds for alpha)
     * @param slope              b, in the unit of t per unit of n (seconds per byte for beta)
     * @param medianRelativeError median over the points of |a + b n - t| / t
     * @param maxRelativeError    the largest such error
     */
    public record Line(double intercept, double slope, double medianRelativeError, double maxRelativeError) {
        /** a + b n. */
        public double at(double n) {
            return intercept + slope * n;
        }
    }

    /**
     * Fits {@code t = a + b n} with weights 1 / t^2.
     *
     * @param n sizes (bytes), at least two distinct values
     * @param t measured times (&gt; 0), same length
     */
    public static Line fit(double[] n, double[] t) {
        if (n.length != t.length || n.length < 2) {
            throw new InvalidUsageException("fit needs at least two points of (size, time), got " + n.length
                    + " and " + t.length);
        }
        double sw = 0;
        double swx = 0;
        double swy = 0;
        for (int i = 0; i < n.length; i++) {
            if (!(t[i] > 0) || Double.isInfinite(t[i])) {
                throw new InvalidUsageException("fit: time " + t[i] + " at size " + n[i] + " is not > 0");
            }
            double w = 1 / (t[i] * t[i]);
            sw += w;
            swx += w * n[i];
            swy += w * t[i];
        }
        // centred on the weighted means, so that sizes of 8 B and 64 MiB do not cancel each other's digits
        double xm = swx / sw;
        double ym = swy / sw;
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < n.length; i++) {
            double w = 1 / (t[i] * t[i]);
            sxx += w * (n[i] - xm) * (n[i] - xm);
            sxy += w * (n[i] - xm) * (t[i] - ym);
        }
        if (!(sxx > 0)) {
            throw new InvalidUsageException("fit needs at least two distinct sizes");
        }
        double b = sxy / sxx;
        double a = ym - b * xm;
        if (a < 0) {
            // through the origin
            double num = 0;
            double den = 0;
            for (int i = 0; i < n.length; i++) {
                double w = 1 / (t[i] * t[i]);
                num += w * n[i] * t[i];
                den += w * n[i] * n[i];
            }
            a = 0;
            b = num / den;
        }
        if (b < 0) {
            b = 0;
            a = ym; // a constant
        }
        double[] err = new double[n.length];
        double max = 0;
        for (int i = 0; i < n.length; i++) {
            err[i] = Math.abs(a + b * n[i] - t[i]) / t[i];
            max = Math.max(max, err[i]);
        }
        return new Line(a, b, median(err), max);
    }

    /**
     * Fits {@code y = x a + z b} (no intercept) with weights 1 / y^2, both coefficients clamped to &gt;= 0: the fit
     * of alpha and beta to an algorithm's measured times, where x is the algorithm's number of latencies and z its
     * bytes on the wire at each size (any formula linear in alpha and beta: {@link CollectiveCosts}).
     *
     * @return the coefficients {a, b} and the median and largest relative error, as a {@link Line} whose
     *         intercept is a and slope b
     */
    public static Line fit2(double[] x, double[] z, double[] y) {
        if (x.length != y.length || z.length != y.length || y.length < 2) {
            throw new InvalidUsageException("fit needs at least two points of (latencies, bytes, time)");
        }
        double sxx = 0;
        double szz = 0;
        double sxz = 0;
        double sxy = 0;
        double szy = 0;
        for (int i = 0; i < y.length; i++) {
            if (!(y[i] > 0) || Double.isInfinite(y[i])) {
                throw new InvalidUsageException("fit: time " + y[i] + " is not > 0");
            }
            double w = 1 / (y[i] * y[i]);
            sxx += w * x[i] * x[i];
            szz += w * z[i] * z[i];
            sxz += w * x[i] * z[i];
            sxy += w * x[i] * y[i];
            szy += w * z[i] * y[i];
        }
        double det = sxx * szz - sxz * sxz;
        double a;
        double b;
        if (det > 1e-12 * sxx * szz) {
            a = (sxy * szz - szy * sxz) / det;
            b = (szy * sxx - sxy * sxz) / det;
        } else {
            a = -1;
            b = -1;
        }
        if (a < 0 || b < 0) {
            // one coefficient alone: the better of the two one-term fits
            double aOnly = sxx > 0 ? sxy / sxx : 0;
            double bOnly = szz > 0 ? szy / szz : 0;
            double errA = 0;
            double errB = 0;
            for (int i = 0; i < y.length; i++) {
                double w = 1 / (y[i] * y[i]);
                errA += w * Math.pow(aOnly * x[i] - y[i], 2);
                errB += w * Math.pow(bOnly * z[i] - y[i], 2);
            }
            a = errA <= errB ? Math.max(0, aOnly) : 0;
            b = errA <= errB ? 0 : Math.max(0, bOnly);
        }
        double[] err = new double[y.length];
        double max = 0;
        for (int i = 0; i < y.length; i++) {
            err[i] = Math.abs(a * x[i] + b * z[i] - y[i]) / y[i];
            max = Math.max(max, err[i]);
        }
        return new Line(a, b, median(err), max);
    }

    /**
     * A fit of {@code y = x a + z b} below point {@code from} and {@code y = x a + z bLarge} from it on.
     *
     * @param from   index of the first point of the second slope
     * @param a      the common coefficient of x (alpha)
     * @param b      the coefficient of z below {@code from}
     * @param bLarge the coefficient of z from {@code from} on
     * @param sse    the sum over all points of the squared relative error
     */
    public record Split(int from, double a, double b, double bLarge, double sse) {
    }

    /**
     * {@link #fit2} with a second slope for the largest points, for times that grow faster per byte once the data
     * leaves the caches: for every split with at least {@code minBelow} points below and 2 from it on (the points
     * in ascending order of size), a and b are fitted below ({@link #fit2}) and bLarge, with a kept, from the split
     * on (least squares of the relative error); of the splits whose bLarge is above their b by more than 10%, the one
     * with the smallest sum of squared relative errors wins. It is returned only when one slope misses the points
     * from the split on by more than 10% (root mean square of the relative error) and the split at least halves
     * their squared error without raising the sum over all points; else null. The test looks at the points the second slope is for: the
     * small sizes' scatter (a host with more ranks than cores) does not hide a change of slope at the top.
     */
    public static Split fit2Split(double[] x, double[] z, double[] y, int minBelow) {
        return fit2Split(x, z, y, minBelow, 0.5);
    }

    /**
     * As {@link #fit2Split(double[], double[], double[], int)}, with the split returned when it cuts the squared error
     * of the points from it on to at most {@code largeShare} of one slope's (0.5 there). A link between hosts whose
     * small messages pass at the software's latency (a token bucket's burst, a NIC's buffers) bends at one size as a
     * rule, not by exception: its fit takes a looser share.
     */
    public static Split fit2Split(double[] x, double[] z, double[] y, int minBelow, double largeShare) {
        Line one = fit2(x, z, y);
        double oneSse = sse(x, z, y, 0, y.length, one.intercept(), one.slope());
        Split best = null;
        for (int k = Math.max(2, minBelow); k <= y.length - 2; k++) {
            Line below = fit2(java.util.Arrays.copyOf(x, k), java.util.Arrays.copyOf(z, k), java.util.Arrays.copyOf(y, k));
            double a = below.intercept();
            double num = 0;
            double den = 0;
            for (int i = k; i < y.length; i++) {
                double zy = z[i] / y[i];
                num += zy * (1 - a * x[i] / y[i]);
                den += zy * zy;
            }
            double bLarge = den > 0 ? Math.max(0, num / den) : 0;
            double total = sse(x, z, y, 0, k, a, below.slope()) + sse(x, z, y, k, y.length, a, bLarge);
            if (bLarge > 1.1 * below.slope() && (best == null || total < best.sse())) {
                best = new Split(k, a, below.slope(), bLarge, total);
            }
        }
        if (best == null || best.sse() > oneSse) {
            return null;
        }
        int k = best.from();
        double oneLarge = sse(x, z, y, k, y.length, one.intercept(), one.slope());
        double splitLarge = sse(x, z, y, k, y.length, best.a(), best.bLarge());
        return oneLarge > 0.01 * (y.length - k) && splitLarge <= largeShare * oneLarge ? best : null;
    }

    private static double sse(double[] x, double[] z, double[] y, int from, int to, double a, double b) {
        double s = 0;
        for (int i = from; i < to; i++) {
            double e = (a * x[i] + b * z[i] - y[i]) / y[i];
            s += e * e;
        }
        return s;
    }

    /**
     * The latency per hop that fits {@code t[i] = hops[i] x alpha + rest[i]} best in relative error (least squares
     * of {@code (hops[i] alpha + rest[i]) / t[i] - 1}), with the rest of each time (its bandwidth and reduction
     * terms) given; at least 0.
     *
     * @param hops latencies on each time's critical path (&gt; 0)
     * @param rest the other terms of each time, seconds
     * @param t    measured times, seconds (&gt; 0)
     */
    public static double fitLatency(double[] hops, double[] rest, double[] t) {
        if (hops.length == 0 || hops.length != rest.length || hops.length != t.length) {
            throw new IllegalArgumentException("fitLatency needs equally long, non-empty arrays");
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < t.length; i++) {
            double h = hops[i] / t[i];
            num += h * (1 - rest[i] / t[i]);
            den += h * h;
        }
        return den > 0 ? Math.max(0, num / den) : 0;
    }

    /** The median of {@code v} (the mean of the two middle values for an even length); NaN when empty. */
    public static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
}
