package io.tokenmeter.cli;

import io.tokenmeter.config.TokenmeterConfig;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.types.Password;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code tokenmeter config}: every setting, its effective value (secrets hidden), where to set it, and what it does. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"Show every setting, its effective value and documentation.",
            "",
            "Values are what the config file, TOKENMETER_* variables and flags make of the defaults. Secrets show as [hidden]."})
final class ConfigCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        TokenmeterConfig config = kafka.config();
        PrintWriter out = spec.commandLine().getOut();
        String group = null;
        for (ConfigDef.ConfigKey key : TokenmeterConfig.DEFINITION.configKeys().values()) {
            if (!key.group.equals(group)) {
                group = key.group;
                out.println();
                out.println("# " + group);
            }
            Object value = config.values().get(key.name);
            String shown = value instanceof Password ? "[hidden]" : String.valueOf(value);
            out.printf("%s=%s%n", key.name, value == null ? "" : shown);
            out.printf("    %s  (env %s)%n", key.documentation, TokenmeterConfig.envName(key.name));
        }
        out.println();
        out.println("# Kafka client pass-through (kafka.* keys, env TOKENMETER_KAFKA_*)");
        config.originalsWithPrefix(TokenmeterConfig.KAFKA_PASSTHROUGH_PREFIX, false).forEach((k, v) ->
                out.printf("%s=%s%n", k, TokenmeterConfig.isSecretKey(k) ? "[hidden]" : v));
        out.flush();
        return 0;
    }
}
