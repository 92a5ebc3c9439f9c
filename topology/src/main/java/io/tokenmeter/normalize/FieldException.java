package io.tokenmeter.normalize;

/** One field of a document has a value that cannot be used; the message names the field and the value. */
final class FieldException extends RuntimeException {

    private final String field;
    private final String problem;

    FieldException(String field, String problem) {
        super("field '" + field + "': " + problem, null, false, false);
        this.field = field;
        this.problem = problem;
    }

    String field() {
        return field;
    }

    String problem() {
        return problem;
    }
}
