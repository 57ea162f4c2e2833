package io.jccl.bench.scaling;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.Color;
import java.io.IOException;
import java.text.DecimalFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * PNG line charts through JFreeChart, headless ({@code java.awt.headless=true} is set before the first chart).
 *
 * <p>Stateless and thread-safe (each call builds its own chart).
 */
public final class Charts {
    private Charts() {
    }

    /** A base-10 log axis with a tick at each power of ten, labelled as plain numbers (1,000 rather than 10^3). */
    private static LogAxis logAxis(String label) {
        LogAxis a = new LogAxis(label);
        a.setBase(10);
        a.setSmallestValue(1e-12);
        a.setTickUnit(new NumberTickUnit(1.0));
        a.setNumberFormatOverride(new DecimalFormat("#,##0.####"));
        a.setMinorTickMarksVisible(true);
        return a;
    }

    /** Series colours that read on white (JFreeChart's default fourth one is a pale yellow). */
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0x17becf), Color.BLACK};

    /**
     * Writes a line chart of one or more series to {@code png} (parent folders created).
     *
     * @param series name to points {x[i], y[i]} as {@code double[2][n]}; points with x &lt;= 0 (log axis) or a
     *               non-finite y are left out
     */
    public static void xy(Path png, String title, String xLabel, String yLabel, boolean logX, boolean logY,
                          Map<String, double[][]> series, int width, int height) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            XYSeries s = new XYSeries(e.getKey(), false, true);
            double[] x = e.getValue()[0];
            double[] y = e.getValue()[1];
            for (int i = 0; i < x.length; i++) {
                if (Double.isFinite(y[i]) && (!logX || x[i] > 0) && (!logY || y[i] > 0)) {
                    s.add(x[i], y[i]);
                }
            }
            data.addSeries(s);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL,
                true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        if (logX) {
            plot.setDomainAxis(logAxis(xLabel));
        }
        if (logY) {
            plot.setRangeAxis(logAxis(yLabel));
        } else {
            ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(true);
        }
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        plot.setRenderer(r);
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ChartUtils.saveChartAsPNG(png.toFile(), chart, width, height);
    }
}
