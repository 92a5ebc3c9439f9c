package io.tokenmeter.serde;

import io.tokenmeter.registry.InMemorySchemaRegistry;
import org.junit.jupiter.api.Test;

class SchemaEvolutionTest {

    @Test
    void oldAndNewReadersBothDecodeBothVersions() {
        SchemaEvolutionTestSupport.assertEvolution(new InMemorySchemaRegistry("evolution"), "evolving");
    }
}
