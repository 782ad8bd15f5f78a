package ilb.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.List;
import java.util.Map;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The bench's PNG charts (JFreeChart, headless): grouped bars, and lines over a numeric axis. */
final class Charts {

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 520;

    private Charts() {
    }

    /**
     * Horizontal bars of {@code values.get(series).get(category)}, grouped by category (a system: its name is read
     * in full on the left), each labelled with its value; NaN values are left out.
     */
    static void bars(Path png, String title, String valueAxis, Map<String, Map<String, Double>> values) {
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        values.forEach((series, byCategory) -> byCategory.forEach((category, value) -> {
            if (!value.isNaN()) {
                dataset.addValue(value, series, category);
            }
        }));
        JFreeChart chart = ChartFactory.createBarChart(title, null, valueAxis, dataset, PlotOrientation.HORIZONTAL,
                values.size() > 1, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat("#,##0.#")));
        renderer.setDefaultItemLabelsVisible(true);
        // room for the labels of the longest bars
        plot.getRangeAxis().setUpperMargin(0.1);
        int bars = dataset.getRowCount() * dataset.getColumnCount();
        save(png, chart, Math.max(HEIGHT, 120 + 26 * bars));
    }

    /** One line per series through its {x, y} points; a logarithmic y axis when values span decades. */
    static void lines(Path png, String title, String xAxis, String yAxis, boolean logY,
            Map<String, List<double[]>> series) {
        XYSeriesCollection dataset = new XYSeriesCollection();
        series.forEach((name, points) -> {
            XYSeries line = new XYSeries(name);
            points.stream().filter(p -> !Double.isNaN(p[1]) && (!logY || p[1] > 0)).forEach(p -> line.add(p[0], p[1]));
            dataset.addSeries(line);
        });
        JFreeChart chart = ChartFactory.createXYLineChart(title, xAxis, yAxis, dataset, PlotOrientation.VERTICAL,
                true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        if (logY) {
            LogAxis axis = new LogAxis(yAxis);
            // a tick at every quarter decade (100, 178, 316, 562, 1,000, ...), in plain numbers
            axis.setTickUnit(new NumberTickUnit(0.25));
            axis.setNumberFormatOverride(new DecimalFormat("#,##0"));
            plot.setRangeAxis(axis);
        }
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < dataset.getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        plot.setRenderer(renderer);
        save(png, chart, HEIGHT);
    }

    private static void save(Path png, JFreeChart chart, int height) {
        chart.setBackgroundPaint(Color.WHITE);
        try {
            ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, height);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
