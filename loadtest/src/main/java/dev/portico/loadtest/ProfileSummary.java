package dev.portico.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns async-profiler's collapsed stacks ({@code frame;frame;leaf count} per line) into the Markdown summary
 * that loadtest/profile.sh writes: where Portico's CPU samples fall by layer (of the frame that was running),
 * the hottest frames by self time, and Portico's own frames by inclusive time. Runs as a source file
 * ({@code java ProfileSummary.java FILE VARIANT [EVENT]}), so profile.sh needs no build of the kit.
 */
public final class ProfileSummary {
    private ProfileSummary() {}

    /** Layers by frame prefix, first match wins; the order puts the narrower prefixes first. */
    private static final Map<String, String> LAYERS = new LinkedHashMap<>();

    static {
        LAYERS.put("io/netty/handler/codec/http2/", "Netty HTTP/2 codec");
        LAYERS.put("io/netty/handler/codec/http/", "Netty HTTP/1.1 codec");
        LAYERS.put("io/netty/handler/ssl/", "TLS (Netty SslHandler)");
        LAYERS.put("io/netty/internal/tcnative/", "TLS (BoringSSL)");
        LAYERS.put("io/netty/channel/epoll/Native", "socket I/O (epoll, system calls)");
        LAYERS.put("io/netty/channel/unix/", "socket I/O (epoll, system calls)");
        LAYERS.put("io/netty/buffer/", "Netty buffers");
        LAYERS.put("io/netty/channel/", "Netty channel, pipeline, event loop");
        LAYERS.put("io/netty/", "Netty other");
        LAYERS.put("io/grpc/netty/", "grpc-java transport (grpc-netty)");
        LAYERS.put("io/grpc/", "grpc-java core");
        LAYERS.put("dev/portico/", "Portico");
        LAYERS.put("io/micrometer/", "Micrometer");
        LAYERS.put("com/google/protobuf/", "protobuf");
        LAYERS.put("sun/nio/ch/", "socket I/O (JDK NIO)");
    }

    public static void main(String[] args) throws IOException {
        final List<String> lines = Files.readAllLines(Path.of(args[0]));
        final String variant = args.length > 1 ? args[1] : "";
        final String event = args.length > 2 ? args[2] : "cpu";
        final Map<String, Long> byLayer = new HashMap<>();
        final Map<String, Long> selfByFrame = new HashMap<>();
        final Map<String, Long> inclusivePortico = new HashMap<>();
        long total = 0;
        for (String line : lines) {
            final int space = line.lastIndexOf(' ');
            if (space < 0) {
                continue;
            }
            final long count = Long.parseLong(line.substring(space + 1).trim());
            final String[] frames = line.substring(0, space).split(";");
            total += count;
            final String leaf = frames[frames.length - 1];
            byLayer.merge(layer(frames), count, Long::sum);
            selfByFrame.merge(leaf, count, Long::sum);
            final Set<String> seen = new HashSet<>();
            for (String frame : frames) {
                if (frame.startsWith("dev/portico/") && seen.add(frame)) {
                    inclusivePortico.merge(frame, count, Long::sum);
                }
            }
        }
        final StringBuilder out = new StringBuilder();
        out.append("# CPU profile: ").append(variant).append("\n\n")
           .append(total).append(" samples (async-profiler, ").append(event)
           .append(" event, one per 1 ms of a thread's CPU) of every Portico thread.")
           .append(event.equals("itimer") ? " itimer samples at the kernel's timer rate and gives the JIT"
                   + " compiler threads far more samples than their share of the CPU." : "")
           .append("\n\n")
           .append("## By layer (of the running frame)\n\n| Layer | share |\n|---|--:|\n");
        appendTop(out, byLayer, total, 30);
        out.append("\n## Hottest frames (self time)\n\n| Frame | share |\n|---|--:|\n");
        appendTop(out, selfByFrame, total, 30);
        out.append("\n## Portico's frames (inclusive time)\n\n| Frame | share |\n|---|--:|\n");
        appendTop(out, inclusivePortico, total, 30);
        System.out.print(out);
    }

    /**
     * The layer of the innermost frame that has one: a JDK frame counts for the library that called it (a
     * HashMap lookup in Portico is Portico's), except socket I/O; kernel, JIT and GC frames by their kind.
     */
    private static String layer(String[] frames) {
        final String leaf = frames[frames.length - 1];
        if (leaf.endsWith("_[k]")) {
            return "kernel (system calls, network stack)";
        }
        for (String frame : frames) {
            if (frame.contains("CompileBroker") || frame.contains("C2Compiler") || frame.contains("Compilation::")) {
                return "JIT compiler";
            }
            if (frame.contains("GCTaskThread") || frame.contains("VM_GenCollect") || frame.contains("GenCollectedHeap")) {
                return "garbage collector";
            }
        }
        for (int i = frames.length - 1; i >= 0; i--) {
            for (Map.Entry<String, String> layer : LAYERS.entrySet()) {
                if (frames[i].startsWith(layer.getKey())) {
                    return layer.getValue();
                }
            }
        }
        return frames[0].startsWith("java/") ? "JDK (other)" : "native or JVM (other)";
    }

    private static void appendTop(StringBuilder out, Map<String, Long> counts, long total, int limit) {
        counts.entrySet().stream()
              .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
              .limit(limit)
              .forEach(e -> out.append("| `").append(e.getKey().replace("|", "\\|")).append("` | ")
                               .append(String.format("%.1f%%", 100.0 * e.getValue() / total)).append(" |\n"));
    }
}
