package io.tokenmeter.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.avro.Schema;

/**
 * A registry held in memory with the Confluent semantics: one global id per distinct schema, versions per subject.
 * Behind {@code mock://scope} URLs, and the store of the embedded registry server (which journals registrations).
 */
public final class InMemorySchemaRegistry implements SchemaRegistryClient {

    /** One schema registered under one subject. */
    public record Registration(String subject, int version, int id, Schema schema) {
    }

    private final String name;
    private final Map<Integer, Schema> byId = new HashMap<>();
    private final Map<String, Integer> idByCanonical = new HashMap<>();
    private final Map<String, List<Registration>> bySubject = new HashMap<>();
    private final Consumer<Registration> journal;
    private int nextId = 1;

    public InMemorySchemaRegistry(String name) {
        this(name, r -> { });
    }

    /** A registry that hands every new registration to {@code journal} before answering, so a caller can persist it. */
    public InMemorySchemaRegistry(String name, Consumer<Registration> journal) {
        this.name = name;
        this.journal = journal;
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        return registerVersion(subject, schema).id();
    }

    /** Registers and returns the full registration (existing one when the subject already has this schema). */
    public synchronized Registration registerVersion(String subject, Schema schema) {
        Optional<Registration> existing = find(subject, schema);
        if (existing.isPresent()) {
            return existing.get();
        }
        String canonical = schema.toString();
        int id = idByCanonical.computeIfAbsent(canonical, c -> nextId++);
        List<Registration> versions = bySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        Registration registration = new Registration(subject, versions.size() + 1, id, schema);
        journal.accept(registration);
        versions.add(registration);
        byId.put(id, schema);
        return registration;
    }

    /** Loads a registration read back from a journal, keeping its id and version. */
    public synchronized void restore(Registration registration) {
        byId.put(registration.id(), registration.schema());
        idByCanonical.put(registration.schema().toString(), registration.id());
        List<Registration> versions = bySubject.computeIfAbsent(registration.subject(), s -> new ArrayList<>());
        versions.add(registration);
        versions.sort((a, b) -> Integer.compare(a.version(), b.version()));
        nextId = Math.max(nextId, registration.id() + 1);
    }

    @Override
    public synchronized int lookup(String subject, Schema schema) {
        return find(subject, schema).map(Registration::id).orElseThrow(() -> new SchemaRegistryException(
                SchemaRegistryException.Kind.NOT_FOUND, "schema is not registered under subject '" + subject + "' in " + describe()));
    }

    @Override
    public synchronized Schema schemaById(int id) {
        Schema schema = byId.get(id);
        if (schema == null) {
            throw new SchemaRegistryException(SchemaRegistryException.Kind.NOT_FOUND,
                    "schema id " + id + " is not known to " + describe());
        }
        return schema;
    }

    public synchronized List<String> subjects() {
        return List.copyOf(new TreeSet<>(bySubject.keySet()));
    }

    public synchronized List<Registration> versions(String subject) {
        return List.copyOf(bySubject.getOrDefault(subject, List.of()));
    }

    public synchronized Optional<Registration> find(String subject, Schema schema) {
        String canonical = schema.toString();
        return bySubject.getOrDefault(subject, List.of()).stream()
                .filter(r -> r.schema().toString().equals(canonical))
                .findFirst();
    }

    @Override
    public String describe() {
        return "in-memory registry " + name;
    }
}
