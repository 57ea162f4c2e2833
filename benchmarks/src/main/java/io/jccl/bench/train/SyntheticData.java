package io.jccl.bench.train;

import java.util.Random;

/**
 * A learnable classification data set made from a seed: a Gaussian mixture of {@code classes} clusters in
 * {@code inputs} dimensions. Class c has a center drawn from N(0, 1) per dimension; sample i has class
 * {@code i % classes} (shuffled) and features center + N(0, noise^2). Every rank builds the same set from the same
 * seed, so no file is shipped.
 *
 * <p>Immutable after construction; safe to share between threads.
 */
public final class SyntheticData {
    final int inputs;
    final int classes;
    final int samples;
    /** Features, row-major: samples x inputs. */
    final float[] x;
    /** Labels in [0, classes). */
    final int[] y;

    private SyntheticData(int inputs, int classes, int samples, float[] x, int[] y) {
        this.inputs = inputs;
        this.classes = classes;
        this.samples = samples;
        this.x = x;
        this.y = y;
    }

    /**
     * @param noise standard deviation of the features around their class center (1.5: clusters overlap, so
     *              the loss falls over hundreds of steps rather than a few)
     */
    public static SyntheticData gaussianMixture(int inputs, int classes, int samples, double noise, long seed) {
        if (inputs < 1 || classes < 2 || samples < 1) {
            throw new IllegalArgumentException("data set of " + samples + " samples, " + inputs + " inputs and "
                    + classes + " classes: need at least 1 sample, 1 input and 2 classes");
        }
        Random rnd = new Random(seed);
        float[] centers = new float[classes * inputs];
        for (int i = 0; i < centers.length; i++) {
            centers[i] = (float) rnd.nextGaussian();
        }
        int[] y = new int[samples];
        for (int i = 0; i < samples; i++) {
            y[i] = i % classes;
        }
        for (int i = samples - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = y[i];
            y[i] = y[j];
            y[j] = t;
        }
        float[] x = new float[samples * inputs];
        for (int i = 0; i < samples; i++) {
            for (int d = 0; d < inputs; d++) {
                x[i * inputs + d] = centers[y[i] * inputs + d] + (float) (noise * rnd.nextGaussian());
            }
        }
        return new SyntheticData(inputs, classes, samples, x, y);
    }

    public int inputs() {
        return inputs;
    }

    public int classes() {
        return classes;
    }

    public int samples() {
        return samples;
    }
}
