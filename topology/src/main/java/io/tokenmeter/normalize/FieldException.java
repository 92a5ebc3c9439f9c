package io.tokenmeter.normalize;

/** One field of a document has a value that cannot be used; the message names the field and the value. */
final class FieldException extends RuntimeException {

    FieldException(String field, String problem) {
        super("field '" + field + "': " + problem, null, false, false);
    }
}
