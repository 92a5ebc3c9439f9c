package io.tokenmeter.embedded;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One embedded broker and schema registry per test JVM, shared by every integration test that declares
 * {@code @ExtendWith(SharedKafka.class)} and takes a {@link Cluster} parameter. Tests stay independent by using
 * their own topic prefix and application id ({@link Cluster#uniquePrefix}).
 */
public final class SharedKafka implements ParameterResolver {

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    /** Where the shared broker and registry listen. */
    public record Cluster(String bootstrapServers, String registryUrl, EmbeddedKafka kafka) {

        /** A topic prefix (and application id stem) no other test uses. */
        public String uniquePrefix(String name) {
            return "it-" + name + "-" + SEQUENCE.incrementAndGet() + ".";
        }
    }

    private static final class Resource implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        private final EmbeddedStack stack = EmbeddedStack.start(null, "127.0.0.1", 0, 0);
        private final Cluster cluster = new Cluster(stack.bootstrapServers(), stack.registryUrl(), stack.kafka());

        @Override
        public void close() {
            stack.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Cluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(SharedKafka.class.getName(), k -> new Resource(), Resource.class).cluster;
    }
}
