package dev.portico.loadtest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * chart.svg, drawn by hand from the report's numbers (no plotting package): four panels of horizontal
 * bars, the direct-gRPC baseline in grey above the Portico variants. Bars are medians; whiskers span the
 * repetitions' min–max.
 */
final class Chart {
    private static final int WIDTH = 1040;
    private static final int BAR_X = 250;
    private static final int BAR_W = 520;
    private static final int ROW_H = 24;

    private Chart() {}

    private record Bar(String label, String color, boolean failed, double value, double min, double max,
                       double second, String text) {}

    static String svg(Options o, Map<String, Report.Point> points) {
        final StringBuilder body = new StringBuilder();
        int y = 50;
        y = panel(body, y, "Unary 100 B, concurrency 50: calls/s (higher is better)",
                  bars(points, "unary-c50", s -> s.callsPerSecond, null, "%,.0f/s", true), -1, null);
        y = panel(body, y, "Unary 100 B, concurrency 1: p50 latency µs (lower is better; p99 in the label)",
                  bars(points, "unary-c1", s -> s.p50us, s -> s.p99us, "p50 %,.0f µs", false), -1, null);
        y = panel(body, y, "Server streaming 1000 × 1 KiB, 4 in flight: payload MB/s (higher is better)",
                  bars(points, "stream-1000x1k", s -> s.payloadMBps, null, "%,.1f MB/s", true), -1, null);
        final List<Bar> rss = new ArrayList<>();
        for (Report.Point p : points.values()) {
            if (!p.variant().direct()) {
                final boolean failed = p.failed();
                final double v = failed ? 0 : p.max(s -> s.porticoPeakRssKiB) / 1024.0;
                rss.add(new Bar(p.scenario().id() + " / " + p.variant().id, color(p.variant()), failed, v, v, v,
                                Double.NaN, failed ? "FAILED" : fmt("%,.0f MiB", v)));
            }
        }
        y = panel(body, y, "Portico peak RSS so far, MiB (one process per variant, scenarios in this order; "
                           + "dashed: 200 MiB target)", rss, 200, "200 MiB");
        final StringBuilder svg = new StringBuilder()
                .append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
                .append(y + 10).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(y + 10)
                .append("\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n")
                .append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n")
                .append("<text x=\"20\" y=\"28\" font-size=\"16\" font-weight=\"bold\">Portico vs direct gRPC — ")
                .append(esc(o.results().getFileName().toString())).append(o.quick() ? " (quick mode)" : "")
                .append(", medians of ").append(o.repeats()).append(" run(s)</text>\n")
                .append(body).append("</svg>\n");
        return svg.toString();
    }

    private static List<Bar> bars(Map<String, Report.Point> points, String scenario, ToDoubleFunction<Sample> f,
                                  ToDoubleFunction<Sample> second, String format, boolean withRatio) {
        final List<Bar> out = new ArrayList<>();
        for (Report.Point p : points.values()) {
            if (!p.scenario().id().equals(scenario)) {
                continue;
            }
            if (p.failed()) {
                out.add(new Bar(p.variant().label(), color(p.variant()), true, 0, 0, 0, Double.NaN, "FAILED"));
                continue;
            }
            final double v = p.median(f);
            String text = fmt(format, v);
            if (second != null) {
                if (!p.variant().direct() && !Double.isNaN(p.pairedDifference(f))) {
                    text += fmt(" (%+,.0f)", p.pairedDifference(f));
                }
                text += fmt(", p99 %,.0f µs", p.median(second));
            }
            if (withRatio && !p.variant().direct() && !Double.isNaN(p.pairedRatio(f))) {
                text += fmt(" (%.2f×)", p.pairedRatio(f));
            }
            out.add(new Bar(p.variant().label(), color(p.variant()), false, v, p.min(f), p.max(f),
                            second == null ? Double.NaN : p.median(second), text));
        }
        return out;
    }

    /** Draws one panel starting at {@code y}; returns the y below it. */
    private static int panel(StringBuilder svg, int y, String title, List<Bar> bars, double ref, String refLabel) {
        svg.append("<text x=\"20\" y=\"").append(y).append("\" font-size=\"13\" font-weight=\"bold\">")
           .append(esc(title)).append("</text>\n");
        y += 10;
        if (bars.isEmpty()) {
            svg.append("<text x=\"").append(BAR_X).append("\" y=\"").append(y + 16)
               .append("\" fill=\"#666\">not run</text>\n");
            return y + 50;
        }
        double max = Math.max(ref, 0);
        for (Bar b : bars) {
            max = Math.max(max, b.max);
        }
        final double step = niceStep(max <= 0 ? 1 : max);
        final double scaleMax = Math.ceil(max * 1.02 / step) * step;
        final int top = y;
        final int height = bars.size() * ROW_H;
        for (double t = 0; t <= scaleMax + step / 2; t += step) {
            final double x = BAR_X + BAR_W * t / scaleMax;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n"
                                                  + "<text x=\"%.1f\" y=\"%d\" fill=\"#666\" font-size=\"10\" "
                                                  + "text-anchor=\"middle\">%s</text>\n",
                                     x, top, x, top + height, x, top + height + 12, esc(axis(t))));
        }
        for (int i = 0; i < bars.size(); i++) {
            final Bar b = bars.get(i);
            final int rowY = top + i * ROW_H;
            svg.append("<text x=\"").append(BAR_X - 8).append("\" y=\"").append(rowY + 16)
               .append("\" text-anchor=\"end\">").append(esc(b.label)).append("</text>\n");
            if (b.failed) {
                svg.append("<text x=\"").append(BAR_X + 4).append("\" y=\"").append(rowY + 16)
                   .append("\" fill=\"#c00\" font-weight=\"bold\">FAILED (see results.md)</text>\n");
                continue;
            }
            svg.append(rect(BAR_X, rowY + 4, BAR_W * b.value / scaleMax, 16, b.color, 1));
            if (b.max > b.min) {
                final double x1 = BAR_X + BAR_W * b.min / scaleMax;
                final double x2 = BAR_X + BAR_W * b.max / scaleMax;
                svg.append(String.format(Locale.ROOT,
                                         "<path d=\"M%.1f %d V%d M%.1f %d H%.1f M%.1f %d V%d\" stroke=\"black\"/>\n",
                                         x1, rowY + 7, rowY + 17, x1, rowY + 12, x2, x2, rowY + 7, rowY + 17));
            }
            svg.append("<text x=\"").append(BAR_X + BAR_W + 10).append("\" y=\"").append(rowY + 16).append("\">")
               .append(esc(b.text)).append("</text>\n");
        }
        if (ref > 0) {
            final double x = BAR_X + BAR_W * ref / scaleMax;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c00\" "
                                                  + "stroke-dasharray=\"4 3\"/>\n", x, top - 2, x, top + height));
        }
        return top + height + 44;
    }

    private static String rect(double x, int y, double w, int h, String color, double opacity) {
        return String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" "
                                          + "fill-opacity=\"%.2f\"/>\n", x, y, Math.max(w, 0.5), h, color, opacity);
    }

    private static double niceStep(double max) {
        final double raw = max / 5;
        final double pow = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * pow >= raw) {
                return m * pow;
            }
        }
        return 10 * pow;
    }

    private static String axis(double v) {
        if (v >= 1_000_000) {
            return fmt("%.1fM", v / 1e6).replace(".0M", "M");
        }
        if (v >= 10_000) {
            return fmt("%.0fk", v / 1e3);
        }
        return v == Math.rint(v) ? fmt("%.0f", v) : fmt("%.1f", v);
    }

    private static String color(Variant v) {
        return switch (v) {
            case DIRECT -> "#8c8c8c";
            case WEB_HTTP1 -> "#1f77b4";
            case WEB_H2C -> "#2ca02c";
            case WEB_TLS -> "#9467bd";
            case TEXT_H2C -> "#ff7f0e";
            case CONNECT_PROTO_H2C -> "#d62728";
            case CONNECT_JSON_H2C -> "#e377c2";
        };
    }

    private static String fmt(String format, double v) {
        return String.format(Locale.ROOT, format, v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
