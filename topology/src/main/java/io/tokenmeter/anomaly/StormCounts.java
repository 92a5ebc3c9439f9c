package io.tokenmeter.anomaly;

import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts of one deployment in one minute, as one stream task saw them: requests, those refused (429) or retried,
 * and by which tenants. Tasks send these partial counts on; the storm detector adds them up per deployment.
 */
final class StormCounts {

    static final int MAX_TENANTS = 16;

    long minute;
    long requests;
    long refusedOrRetried;
    /** Latest event time counted, the time of the judgement when these counts close a minute. */
    long latest;
    String model = "";
    final Map<String, Long> tenants = new LinkedHashMap<>();

    void add(CallSignal call) {
        requests++;
        latest = Math.max(latest, call.time());
        model = call.model();
        if (call.refusedOrRetried()) {
            refusedOrRetried++;
            addTenant(call.tenant(), 1);
        }
    }

    void add(StormCounts other) {
        requests += other.requests;
        refusedOrRetried += other.refusedOrRetried;
        latest = Math.max(latest, other.latest);
        model = other.model;
        other.tenants.forEach(this::addTenant);
    }

    private void addTenant(String tenant, long count) {
        if (tenants.containsKey(tenant) || tenants.size() < MAX_TENANTS) {
            tenants.merge(tenant, count, Long::sum);
        }
    }

    static final StateSerde<StormCounts> SERDE = new StateSerde<>(1, StormCounts::write, StormCounts::read);

    private static void write(StormCounts c, DataOutput out) throws IOException {
        out.writeLong(c.minute);
        out.writeLong(c.requests);
        out.writeLong(c.refusedOrRetried);
        out.writeLong(c.latest);
        out.writeUTF(c.model);
        out.writeShort(c.tenants.size());
        for (Map.Entry<String, Long> tenant : c.tenants.entrySet()) {
            out.writeUTF(tenant.getKey());
            out.writeLong(tenant.getValue());
        }
    }

    private static StormCounts read(DataInput in) throws IOException {
        StormCounts c = new StormCounts();
        c.minute = in.readLong();
        c.requests = in.readLong();
        c.refusedOrRetried = in.readLong();
        c.latest = in.readLong();
        c.model = in.readUTF();
        for (int i = in.readShort(); i > 0; i--) {
            c.tenants.put(in.readUTF(), in.readLong());
        }
        return c;
    }
}
