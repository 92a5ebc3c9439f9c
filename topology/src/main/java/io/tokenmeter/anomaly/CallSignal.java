package io.tokenmeter.anomaly;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.IOException;

/**
 * The little the deployment-wide and model-wide detectors need from one call, so the repartition that brings
 * every call of a deployment together moves a few bytes instead of the whole priced event.
 */
record CallSignal(long time, boolean refusedOrRetried, String tenant, String model, String deployment, String deploymentType, String region,
                  String application) {

    static CallSignal of(PricedUsage priced) {
        UsageEvent u = priced.getUsage();
        return new CallSignal(u.getTimestamp().toEpochMilli(), u.getStatusCode() == 429 || u.getRetryAttempt() > 0, u.getTenant(),
                u.getModel(), u.getDeployment(), u.getDeploymentType(), u.getRegion(), u.getApplication());
    }

    static final StateSerde<CallSignal> SERDE = new StateSerde<>(1, (s, out) -> {
        out.writeLong(s.time);
        out.writeBoolean(s.refusedOrRetried);
        out.writeUTF(s.tenant);
        out.writeUTF(s.model);
        out.writeUTF(s.deployment);
        out.writeUTF(s.deploymentType);
        out.writeUTF(s.region);
        out.writeUTF(s.application);
    }, CallSignal::read);

    private static CallSignal read(DataInput in) throws IOException {
        return new CallSignal(in.readLong(), in.readBoolean(), in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF());
    }
}
