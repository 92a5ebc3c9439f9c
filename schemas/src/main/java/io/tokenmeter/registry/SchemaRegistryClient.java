package io.tokenmeter.registry;

import org.apache.avro.Schema;

/** The part of the Confluent Schema Registry API that the Avro serde needs. Implementations cache and are thread-safe. */
public interface SchemaRegistryClient extends AutoCloseable {

    /** Registers {@code schema} under {@code subject} (idempotent) and returns its global id. */
    int register(String subject, Schema schema);

    /** Returns the id under which {@code schema} is already registered for {@code subject}, without registering it. */
    int lookup(String subject, Schema schema);

    /** Returns the schema with the given global id. */
    Schema schemaById(int id);

    /** Where this client points, safe to print (no credentials). */
    String describe();

    @Override
    default void close() {
    }
}
