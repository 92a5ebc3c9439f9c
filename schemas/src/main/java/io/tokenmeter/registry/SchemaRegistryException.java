package io.tokenmeter.registry;

/** A schema registry call failed; {@link #kind()} says whether retrying or fixing input can help. */
public class SchemaRegistryException extends RuntimeException {

    /** Why a registry call failed. */
    public enum Kind {
        /** The id or subject is not known to the registry. */
        NOT_FOUND,
        /** The registry could not be reached, or kept failing, within the retries. */
        UNREACHABLE,
        /** The registry refused the credentials. */
        UNAUTHORIZED,
        /** The registry rejected the schema, e.g. as incompatible with the subject's earlier versions. */
        REJECTED,
        /** The registry answered something this client does not understand. */
        PROTOCOL
    }

    private final Kind kind;

    public SchemaRegistryException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public SchemaRegistryException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
