package io.tokenmeter.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** CPU used by this process during a run, in cores, in total and by kind of thread. */
final class CpuMeter {

    /** Cores used on average, in total and by thread group. */
    record Use(double cores, Map<String, Double> byThreadGroup) {
    }

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final long processStart;
    private final long gcStart = gcMillis();
    private final long jitStart = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
    private final Map<Long, Long> threadStart = new HashMap<>();

    private CpuMeter() {
        processStart = processCpuNanos();
        for (long id : threads.getAllThreadIds()) {
            threadStart.put(id, Math.max(0, threads.getThreadCpuTime(id)));
        }
    }

    static CpuMeter start() {
        return new CpuMeter();
    }

    Use stop(Duration wall) {
        double seconds = wall.toNanos() / 1e9;
        Map<String, Long> byGroup = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long used = Math.max(0, threads.getThreadCpuTime(info.getThreadId())) - threadStart.getOrDefault(info.getThreadId(), 0L);
            byGroup.merge(group(info.getThreadName()), Math.max(0, used), Long::sum);
        }
        Map<String, Double> cores = new LinkedHashMap<>();
        byGroup.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> cores.put(e.getKey(), e.getValue() / 1e9 / seconds));
        cores.put("JIT compilers", (ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jitStart) / 1000.0 / seconds);
        cores.put("GC", (gcMillis() - gcStart) / 1000.0 / seconds);
        return new Use((processCpuNanos() - processStart) / 1e9 / seconds, cores);
    }

    private static String group(String thread) {
        if (thread.contains("GlobalStreamThread")) {
            return "global store thread";
        }
        if (thread.contains("kafka-producer-network-thread")) {
            return "producer I/O threads";
        }
        if (thread.contains("StreamThread")) {
            return "stream threads";
        }
        if (thread.startsWith("data-plane-kafka") || thread.startsWith("kafka-request-handler") || thread.contains("kafka-network")
                || thread.startsWith("broker-") || thread.startsWith("controller-") || thread.contains("raft") || thread.contains("LogCleaner")
                || thread.startsWith("kafka-") || thread.contains("ReplicaFetcher") || thread.contains("group-coordinator")
                || thread.contains("transaction")) {
            return "broker";
        }
        if (thread.startsWith("tokenmeter-http")) {
            return "HTTP server";
        }
        if (thread.startsWith("bench-http-client")) {
            return "bench HTTP clients";
        }
        if (thread.startsWith("bench-producer")) {
            return "bench producer";
        }
        if (thread.equals("main")) {
            return "bench consumer (main)";
        }
        return "other";
    }

    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(gc -> Math.max(0, gc.getCollectionTime())).sum();
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
