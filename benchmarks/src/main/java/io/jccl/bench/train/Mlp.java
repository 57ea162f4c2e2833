package io.jccl.bench.train;

import java.util.Random;

/**
 * A multi-layer perceptron with ReLU hidden layers and a softmax cross-entropy loss, forward and backward written
 * out on {@code float[]}: the model of {@link DataParallelTrainer}.
 *
 * <p>Layer l maps {@code sizes[l]} inputs to {@code sizes[l+1]} outputs: weights {@code w[l]} (row-major
 * {@code sizes[l] x sizes[l+1]}, so that the inner loops run along contiguous outputs), biases {@code b[l]}, and
 * their gradients {@code gw[l]}, {@code gb[l]} of the same shapes. {@link #forwardBackward} overwrites the
 * gradients with those of the mean loss over the given rows and hands each one to a {@link GradientSink} as soon
 * as it is final, last layer first (bias, then weights): the order in which a framework's autograd would.
 * The arithmetic is the same on every call for the same rows, so two runs on the same shard give the same bits.
 *
 * <p>Not thread-safe: one instance per rank. Scratch memory is allocated for the largest batch seen, then reused.
 */
public final class Mlp {
    /** Receives each gradient when backward has finished it. */
    @FunctionalInterface
    public interface GradientSink {
        void ready(float[] gradient);
    }

    final int[] sizes;
    final float[][] w;
    final float[][] b;
    final float[][] gw;
    final float[][] gb;
    /** acts[0] = inputs, acts[l+1] = output of layer l (pre-softmax for the last). */
    private float[][] acts;
    private float[] delta;
    private float[] deltaPrev;
    private int capacityRows;

    /** He-initialised weights (N(0, 2 / fan-in)) and zero biases from {@code seed}. */
    public Mlp(int[] sizes, long seed) {
        if (sizes.length < 2) {
            throw new IllegalArgumentException("an MLP needs at least an input and an output size");
        }
        this.sizes = sizes.clone();
        int layers = sizes.length - 1;
        w = new float[layers][];
        b = new float[layers][];
        gw = new float[layers][];
        gb = new float[layers][];
        Random rnd = new Random(seed);
        for (int l = 0; l < layers; l++) {
            int in = sizes[l];
            int out = sizes[l + 1];
            w[l] = new float[in * out];
            b[l] = new float[out];
            gw[l] = new float[in * out];
            gb[l] = new float[out];
            double scale = Math.sqrt(2.0 / in);
            for (int i = 0; i < w[l].length; i++) {
                w[l][i] = (float) (scale * rnd.nextGaussian());
            }
        }
    }

    public int layers() {
        return w.length;
    }

    /** Number of parameters (weights and biases). */
    public long parameterCount() {
        long n = 0;
        for (int l = 0; l < layers(); l++) {
            n += w[l].length + b[l].length;
        }
        return n;
    }

    /** FLOP of one forward and backward pass over {@code rows} samples (multiply-adds of the GEMMs, x2). */
    public double flops(int rows) {
        double macs = 0;
        for (int l = 0; l < layers(); l++) {
            macs += (double) sizes[l] * sizes[l + 1] * (l == 0 ? 2 : 3);
        }
        return 2 * macs * rows;
    }

    private void ensure(int rows) {
        if (rows <= capacityRows) {
            return;
        }
        acts = new float[sizes.length][];
        int widest = 0;
        for (int l = 0; l < sizes.length; l++) {
            acts[l] = new float[rows * sizes[l]];
            widest = Math.max(widest, sizes[l]);
        }
        delta = new float[rows * widest];
        deltaPrev = new float[rows * widest];
        capacityRows = rows;
    }

    /**
     * Forward and backward over samples {@code first, first + 1, ..., first + rows - 1} of {@code data} (indices
     * modulo its size): overwrites every gradient with that of the mean cross-entropy over the rows, calling
     * {@code sink} with each as soon as it is final. Returns the mean loss.
     */
    public double forwardBackward(SyntheticData data, long first, int rows, GradientSink sink) {
        ensure(rows);
        int in0 = sizes[0];
        if (data.inputs != in0 || data.classes != sizes[sizes.length - 1]) {
            throw new IllegalArgumentException("data of " + data.inputs + " inputs and " + data.classes
                    + " classes for an MLP of " + in0 + " inputs and " + sizes[sizes.length - 1] + " outputs");
        }
        float[] x0 = acts[0];
        for (int n = 0; n < rows; n++) {
            int s = (int) ((first + n) % data.samples);
            System.arraycopy(data.x, s * in0, x0, n * in0, in0);
        }
        int layers = layers();
        for (int l = 0; l < layers; l++) {
            dense(acts[l], w[l], b[l], acts[l + 1], rows, sizes[l], sizes[l + 1], l < layers - 1);
        }
        // softmax cross-entropy: delta = (softmax - onehot) / rows
        int classes = sizes[layers];
        float[] logits = acts[layers];
        double loss = 0;
        float invRows = 1f / rows;
        for (int n = 0; n < rows; n++) {
            int s = (int) ((first + n) % data.samples);
            int at = n * classes;
            float max = logits[at];
            for (int c = 1; c < classes; c++) {
                max = Math.max(max, logits[at + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(logits[at + c] - max);
            }
            int label = data.y[s];
            loss += Math.log(sum) - (logits[at + label] - max);
            for (int c = 0; c < classes; c++) {
                float p = (float) (Math.exp(logits[at + c] - max) / sum);
                delta[at + c] = ((c == label ? p - 1f : p)) * invRows;
            }
        }
        for (int l = layers - 1; l >= 0; l--) {
            int in = sizes[l];
            int out = sizes[l + 1];
            float[] a = acts[l];
            float[] gB = gb[l];
            float[] gW = gw[l];
            java.util.Arrays.fill(gB, 0f);
            java.util.Arrays.fill(gW, 0f);
            for (int n = 0; n < rows; n++) {
                int d0 = n * out;
                for (int o = 0; o < out; o++) {
                    gB[o] += delta[d0 + o];
                }
                int a0 = n * in;
                for (int i = 0; i < in; i++) {
                    float ai = a[a0 + i];
                    if (ai != 0f) {
                        axpy(ai, delta, d0, gW, i * out, out);
                    }
                }
            }
            sink.ready(gB);
            sink.ready(gW);
            if (l > 0) {
                float[] wl = w[l];
                for (int n = 0; n < rows; n++) {
                    int d0 = n * out;
                    int a0 = n * in;
                    for (int i = 0; i < in; i++) {
                        if (a[a0 + i] <= 0f) { // ReLU: no gradient where the unit was off
                            deltaPrev[a0 + i] = 0f;
                            continue;
                        }
                        int w0 = i * out;
                        float s = 0f;
                        for (int o = 0; o < out; o++) {
                            s += wl[w0 + o] * delta[d0 + o];
                        }
                        deltaPrev[a0 + i] = s;
                    }
                }
                float[] t = delta;
                delta = deltaPrev;
                deltaPrev = t;
            }
        }
        return loss / rows;
    }

    private static void dense(float[] x, float[] w, float[] b, float[] y, int rows, int in, int out, boolean relu) {
        for (int n = 0; n < rows; n++) {
            int y0 = n * out;
            System.arraycopy(b, 0, y, y0, out);
            int x0 = n * in;
            for (int i = 0; i < in; i++) {
                float xi = x[x0 + i];
                if (xi != 0f) {
                    axpy(xi, w, i * out, y, y0, out);
                }
            }
            if (relu) {
                for (int o = 0; o < out; o++) {
                    if (y[y0 + o] < 0f) {
                        y[y0 + o] = 0f;
                    }
                }
            }
        }
    }

    /** {@code dst[d0 .. d0+len) += alpha * src[s0 .. s0+len)}: a row of a rank-1 update or of a vector-matrix product. */
    private static void axpy(float alpha, float[] src, int s0, float[] dst, int d0, int len) {
        for (int o = 0; o < len; o++) {
            dst[d0 + o] += alpha * src[s0 + o];
        }
    }

    /** Plain SGD: every parameter minus {@code lr} times its gradient. */
    public void sgd(float lr) {
        for (int l = 0; l < layers(); l++) {
            step(w[l], gw[l], lr);
            step(b[l], gb[l], lr);
        }
    }

    private static void step(float[] p, float[] g, float lr) {
        for (int i = 0; i < p.length; i++) {
            p[i] -= lr * g[i];
        }
    }
}
