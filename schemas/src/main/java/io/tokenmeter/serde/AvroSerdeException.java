package io.tokenmeter.serde;

import org.apache.kafka.common.errors.SerializationException;

/** A record could not be written or read in Avro wire format; the message says why in plain words. */
public class AvroSerdeException extends SerializationException {

    public AvroSerdeException(String message) {
        super(message);
    }

    public AvroSerdeException(String message, Throwable cause) {
        super(message, cause);
    }
}
