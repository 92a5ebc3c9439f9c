package io.tokenmeter.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class JsonLinesProducerTest {

    private final MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final ByteArrayOutputStream problems = new ByteArrayOutputStream();

    private JsonLinesProducer.Result send(String input, String keyField) throws Exception {
        JsonLinesProducer sender = new JsonLinesProducer(producer, "raw", keyField, new PrintStream(problems, true, StandardCharsets.UTF_8)::println);
        return sender.send(new BufferedReader(new StringReader(input)));
    }

    @Test
    void sendsEachJsonLineAsReadAndReportsBadLinesByNumber() throws Exception {
        JsonLinesProducer.Result result = send("{\"a\":1}\n\nnot json\n{\"b\": 2 }\n{\"c\":3} trailing\n", null);

        assertThat(producer.history()).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                .containsExactly("{\"a\":1}", "{\"b\": 2 }");
        assertThat(result.lines()).isEqualTo(5);
        assertThat(result.sent()).isEqualTo(2);
        assertThat(result.rejected()).isEqualTo(2);
        assertThat(result.allSent()).isFalse();
        assertThat(problems.toString(StandardCharsets.UTF_8)).contains("line 3: not JSON").contains("line 5: not JSON");
    }

    @Test
    void keysRecordsByAFieldWhenAsked() throws Exception {
        JsonLinesProducer.Result result = send("{\"tenant\":\"contoso\"}\n{\"other\":1}\n", "tenant");

        assertThat(result.allSent()).isTrue();
        assertThat(producer.history().get(0).key()).isEqualTo("contoso".getBytes(StandardCharsets.UTF_8));
        assertThat(producer.history().get(1).key()).isNull();
    }

    @Test
    void countsSendsTheBrokerRefused() throws Exception {
        MockProducer<byte[], byte[]> refusing = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()) {
            @Override
            public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
                callback.onCompletion(null, new TimeoutException("broker gone"));
                return CompletableFuture.failedFuture(new TimeoutException("broker gone"));
            }
        };
        JsonLinesProducer sender = new JsonLinesProducer(refusing, "raw", null, new PrintStream(problems, true, StandardCharsets.UTF_8)::println);

        JsonLinesProducer.Result result = sender.send(new BufferedReader(new StringReader("{\"a\":1}\n")));

        assertThat(result.failed()).isEqualTo(1);
        assertThat(result.sent()).isZero();
        assertThat(result.allSent()).isFalse();
        assertThat(result.firstFailure()).contains("line 1").contains("broker gone");
    }
}
