package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.Severity;
import io.tokenmeter.pager.Pager;
import io.tokenmeter.pager.PagerSettings;
import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.topics.DeadLetters;
import io.tokenmeter.topics.TopicCatalog;
import io.tokenmeter.topics.TopicCreator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The pager against local receivers of the PagerDuty and webhook shapes and a real Alertmanager, on the shared
 * embedded broker: exact bodies, routes, a target that is down, a refused alert, and a crash between delivery and commit.
 */
@ExtendWith(SharedKafka.class)
class PagerIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2026-11-22T11:00:00Z");
    private static final Duration QUIET = Duration.ofSeconds(3);

    @Test
    void pagerDutyAndWebhooksGetTheirExactBodiesAlongTheirRoutes(SharedKafka.Cluster cluster) throws Exception {
        try (Rig rig = new Rig(cluster, "pager-shapes");
             HttpReceiver pagerDuty = HttpReceiver.start(202);
             HttpReceiver slack = HttpReceiver.start(200);
             HttpReceiver teams = HttpReceiver.start(202);
             HttpReceiver generic = HttpReceiver.start(200)) {
            rig.set(TokenmeterConfig.PAGER_PAGERDUTY_ROUTING_KEY, "R0UTINGKEY0123456789abcdefABCDEF")
                    .set(TokenmeterConfig.PAGER_PAGERDUTY_URL, pagerDuty.url("/v2/enqueue"))
                    .set("pager.webhook.ops.url", slack.url("/services/T0/B0/secret")).set("pager.webhook.ops.format", "slack")
                    .set("pager.webhook.ops.types", "RUNAWAY_LOOP")
                    .set("pager.webhook.finops.url", teams.url("/workflows/1")).set("pager.webhook.finops.format", "teams")
                    .set("pager.webhook.finops.min.severity", "CRITICAL")
                    .set("pager.webhook.archive.url", generic.url("/alerts"));
            Alert loop = alert("loop-1", AlertType.RUNAWAY_LOOP, Severity.CRITICAL, AlertStatus.FIRING);
            Alert spike = alert("spike-1", AlertType.TOKEN_SPIKE, Severity.INFO, AlertStatus.FIRING);
            Alert storm = alert("storm-1", AlertType.RETRY_STORM, Severity.WARNING, AlertStatus.FIRING);
            rig.send(loop, spike, storm, resolved(loop));

            try (Pager pager = rig.pager(Pager.Hooks.reporting(System.out::println)).start()) {
                // PagerDuty: WARNING and up by default; the INFO spike is not routed there
                List<JsonNode> events = pagerDuty.awaitCount(3);
                assertThat(events).hasSize(3);
                assertThat(events.get(0)).isEqualTo(JSON.readTree("""
                        {"routing_key":"R0UTINGKEY0123456789abcdefABCDEF","event_action":"trigger","dedup_key":"loop-1","client":"tokenmeter",
                         "payload":{"summary":"RUNAWAY_LOOP loop-1 FIRING","source":"tokenmeter/northwind","severity":"critical",
                           "component":"agent research-agent","group":"northwind","class":"RUNAWAY_LOOP","timestamp":"2026-11-22T11:05:00Z",
                           "custom_details":{"tenant":"northwind","agent":"research-agent","model":"o4-mini","task_id":"looping-task",
                             "rule":"repeated-prompt","observed":5.0,"threshold":5.0,"window_start":"2026-11-22T11:00:00Z",
                             "window_end":"2026-11-22T11:05:00Z","tokenmeter_dedup_key":"loop-1","calls":"5"}}}"""));
                assertThat(events.get(1).get("event_action").asText()).isEqualTo("trigger");
                assertThat(events.get(1).at("/payload/severity").asText()).isEqualTo("warning");
                assertThat(events.get(2)).isEqualTo(JSON.readTree("""
                        {"routing_key":"R0UTINGKEY0123456789abcdefABCDEF","event_action":"resolve","dedup_key":"loop-1"}"""));

                // Slack: RUNAWAY_LOOP only
                List<JsonNode> messages = slack.awaitCount(2);
                assertThat(messages.get(0)).isEqualTo(JSON.readTree("""
                        {"text":":rotating_light: *[FIRING] CRITICAL RunawayLoop*\\nRUNAWAY_LOOP loop-1 FIRING\\ntenant=northwind, agent=research-agent, model=o4-mini, task_id=looping-task\\n`loop-1`"}"""));
                assertThat(messages.get(1).get("text").asText()).startsWith(":white_check_mark: *[RESOLVED] CRITICAL RunawayLoop*");

                // Teams Workflows: CRITICAL only, as an Adaptive Card
                List<JsonNode> cards = teams.awaitCount(2);
                assertThat(cards.get(0)).isEqualTo(JSON.readTree("""
                        {"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,
                          "content":{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.2",
                            "body":[{"type":"TextBlock","text":"[FIRING] CRITICAL RunawayLoop","weight":"Bolder","size":"Medium","wrap":true,"color":"Attention"},
                                    {"type":"TextBlock","text":"RUNAWAY_LOOP loop-1 FIRING","wrap":true},
                                    {"type":"FactSet","facts":[{"title":"tenant","value":"northwind"},{"title":"agent","value":"research-agent"},
                                      {"title":"model","value":"o4-mini"},{"title":"task_id","value":"looping-task"},{"title":"dedup_key","value":"loop-1"}]}],
                            "msteams":{"width":"full"}}}]}"""));
                assertThat(cards.get(1).at("/attachments/0/content/body/0/color").asText()).isEqualTo("Good");

                // generic: everything, tokenmeter's own JSON
                List<JsonNode> all = generic.awaitCount(4);
                assertThat(all.get(0)).isEqualTo(JSON.readTree("""
                        {"source":"tokenmeter","status":"FIRING","dedupKey":"loop-1","type":"RUNAWAY_LOOP","severity":"CRITICAL","rule":"repeated-prompt",
                         "scope":{"tenant":"northwind","application":null,"agent":"research-agent","model":"o4-mini","deployment":null,"taskId":"looping-task"},
                         "observed":5.0,"threshold":5.0,"windowStart":"2026-11-22T11:00:00Z","windowEnd":"2026-11-22T11:05:00Z",
                         "detectedAt":"2026-11-22T11:05:00Z","message":"RUNAWAY_LOOP loop-1 FIRING","evidence":{"calls":"5"}}"""));
                assertThat(all).extracting(b -> b.get("dedupKey").asText() + " " + b.get("status").asText())
                        .containsExactly("loop-1 FIRING", "spike-1 FIRING", "storm-1 FIRING", "loop-1 RESOLVED");

                Thread.sleep(QUIET.toMillis());
                assertThat(pagerDuty.bodies()).hasSize(3);
                assertThat(slack.bodies()).hasSize(2);
                assertThat(teams.bodies()).hasSize(2);
                assertThat(pager.counts().get("pagerduty")).isEqualTo(new Pager.Counts(3, 1, 0, 0));
                assertThat(pager.counts().get("ops")).isEqualTo(new Pager.Counts(2, 2, 0, 0));
            }
        }
    }

    @Test
    void aTargetThatIsDownHoldsBackOnlyItselfAndCatchesUpWhenItReturns(SharedKafka.Cluster cluster) throws Exception {
        int downPort = LocalAlertmanager.freePort();
        List<String> reports = new CopyOnWriteArrayList<>();
        try (Rig rig = new Rig(cluster, "pager-down"); HttpReceiver up = HttpReceiver.start(200)) {
            rig.set("pager.webhook.up.url", up.url("/hook")).set("pager.webhook.down.url", "http://127.0.0.1:" + downPort + "/hook")
                    .set(TokenmeterConfig.PAGER_RETRY_BACKOFF, "100").set(TokenmeterConfig.PAGER_RETRY_BACKOFF_MAX, "400");
            Alert first = alert("k-1", AlertType.RUNAWAY_LOOP, Severity.CRITICAL, AlertStatus.FIRING);
            Alert second = alert("k-2", AlertType.RETRY_STORM, Severity.WARNING, AlertStatus.FIRING);
            rig.send(first, second, resolved(first));
            try (Pager pager = rig.pager(Pager.Hooks.reporting(reports::add)).start()) {
                assertThat(up.awaitCount(3)).extracting(b -> b.get("dedupKey").asText()).containsExactly("k-1", "k-2", "k-1");
                Thread.sleep(1000);
                assertThat(pager.counts().get("down").delivered()).isZero();
                assertThat(reports).anySatisfy(r -> assertThat(r).isEqualTo("down: unreachable (connection refused); retrying in 100 ms"));

                try (HttpReceiver back = HttpReceiver.startOn(downPort, 200)) {
                    assertThat(back.awaitCount(3)).extracting(b -> b.get("dedupKey").asText() + " " + b.get("status").asText())
                            .containsExactly("k-1 FIRING", "k-2 FIRING", "k-1 RESOLVED");
                    Thread.sleep(QUIET.toMillis());
                    assertThat(back.bodies()).hasSize(3);
                }
                assertThat(up.bodies()).hasSize(3);
                assertThat(pager.counts().get("down").deadLettered()).isZero();
            }
        }
    }

    @Test
    void aRefusedAlertGoesToTheDeadLetterTopicWithItsReasonAndTheNextIsStillDelivered(SharedKafka.Cluster cluster) throws Exception {
        try (Rig rig = new Rig(cluster, "pager-refused"); HttpReceiver pagerDuty = HttpReceiver.start(202)) {
            pagerDuty.answer(() -> pagerDuty.received().isEmpty() ? 400 : 202); // the first event is refused
            rig.set(TokenmeterConfig.PAGER_PAGERDUTY_ROUTING_KEY, "R0UTINGKEY0123456789abcdefABCDEF")
                    .set(TokenmeterConfig.PAGER_PAGERDUTY_URL, pagerDuty.url("/v2/enqueue"));
            rig.send(alert("bad-1", AlertType.BUDGET_THRESHOLD, Severity.CRITICAL, AlertStatus.FIRING),
                    alert("good-1", AlertType.BUDGET_THRESHOLD, Severity.CRITICAL, AlertStatus.FIRING));
            try (Pager pager = rig.pager(Pager.Hooks.reporting(System.out::println)).start()) {
                assertThat(pagerDuty.awaitCount(2)).extracting(b -> b.get("dedup_key").asText()).containsExactly("bad-1", "good-1");
                List<ConsumerRecord<byte[], byte[]>> dead = rig.readDeadLetters(1);
                assertThat(dead).singleElement().satisfies(record -> {
                    assertThat(new String(record.key())).isEqualTo("bad-1");
                    assertThat(DeadLetters.header(record.headers(), DeadLetters.REASON)).isEqualTo("pager-rejected");
                    assertThat(DeadLetters.header(record.headers(), DeadLetters.DETAIL))
                            .isEqualTo("pagerduty: HTTP 400 {\"status\":\"invalid event\",\"message\":\"Event object is invalid\"}");
                    assertThat(DeadLetters.header(record.headers(), DeadLetters.STAGE)).isEqualTo("pager-pagerduty");
                    assertThat(DeadLetters.header(record.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(rig.topics.alerts().name());
                    assertThat(DeadLetters.header(record.headers(), DeadLetters.DETAIL)).doesNotContain("R0UTINGKEY");
                });
                assertThat(pager.counts().get("pagerduty")).isEqualTo(new Pager.Counts(1, 0, 1, 0));
            }
        }
    }

    /**
     * "Pages twice" means a second incident for one dedup key: a second firing notification from Alertmanager, or a
     * PagerDuty trigger after that key's resolve. A repeated trigger before the resolve is the same PagerDuty incident.
     */
    @Test
    void aCrashBetweenDeliveryAndCommitLosesNothingAndPagesNobodyTwice(SharedKafka.Cluster cluster) throws Exception {
        try (Rig rig = new Rig(cluster, "pager-crash");
             HttpReceiver notifications = HttpReceiver.start(200);
             LocalAlertmanager alertmanager = LocalAlertmanager.start(notifications.url("/hook"));
             HttpReceiver pagerDuty = HttpReceiver.start(202)) {
            rig.set(TokenmeterConfig.PAGER_ALERTMANAGER_URL, alertmanager.url)
                    .set(TokenmeterConfig.PAGER_PAGERDUTY_ROUTING_KEY, "R0UTINGKEY0123456789abcdefABCDEF")
                    .set(TokenmeterConfig.PAGER_PAGERDUTY_URL, pagerDuty.url("/v2/enqueue"));
            Alert firing = alert("crash-1", AlertType.RUNAWAY_LOOP, Severity.CRITICAL, AlertStatus.FIRING);
            rig.send(firing);

            // first pager: every target dies right after delivering the FIRING, before committing it
            runUntilCrash(rig, AlertStatus.FIRING);
            assertThat(pagerDuty.bodies()).hasSize(1);
            // second pager: delivers the FIRING again (uncommitted); Alertmanager notifies once
            Set<String> crashed = new ConcurrentHashMap<String, Boolean>().keySet(true);
            try (Pager second = rig.pager(crashAfter(AlertStatus.RESOLVED, crashed)).start()) {
                notifications.await(b -> b.size() >= 1, Duration.ofSeconds(30));
                pagerDuty.awaitCount(2);
                rig.send(resolved(firing));
                notifications.await(b -> b.size() >= 2, Duration.ofSeconds(30));
                pagerDuty.awaitCount(3);
                awaitCrashes(crashed, second);
            }
            // third pager: the RESOLVED was delivered but not committed: it comes again, nothing else does
            try (Pager third = rig.pager(Pager.Hooks.reporting(System.out::println)).start()) {
                pagerDuty.awaitCount(4);
                Thread.sleep(QUIET.toMillis());
                assertThat(third.counts().get("alertmanager").delivered()).isEqualTo(1);
                assertThat(third.counts().get("pagerduty").delivered()).isEqualTo(1);
            }

            assertThat(notifications.bodies()).extracting(b -> b.get("status").asText() + " " + b.at("/alerts/0/labels/dedup_key").asText())
                    .containsExactly("firing crash-1", "resolved crash-1");
            assertThat(pagerDuty.bodies()).extracting(b -> b.get("event_action").asText() + " " + b.get("dedup_key").asText())
                    .containsExactly("trigger crash-1", "trigger crash-1", "resolve crash-1", "resolve crash-1");
            assertThat(rig.committed("alertmanager")).isEqualTo(2);
            assertThat(rig.committed("pagerduty")).isEqualTo(2);
        }
    }

    private static void runUntilCrash(Rig rig, AlertStatus status) throws InterruptedException {
        Set<String> crashed = new ConcurrentHashMap<String, Boolean>().keySet(true);
        try (Pager first = rig.pager(crashAfter(status, crashed)).start()) {
            awaitCrashes(crashed, first);
        }
    }

    private static void awaitCrashes(Set<String> crashed, Pager pager) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (crashed.size() < pager.targets().size() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(crashed).hasSize(pager.targets().size());
    }

    /** Hooks that make each target's worker die once, right after delivering an alert with {@code status}. */
    private static Pager.Hooks crashAfter(AlertStatus status, Set<String> crashed) {
        return new Pager.Hooks(System.out::println, (target, alert) -> {
            if (alert.getStatus() == status && crashed.add(target)) {
                throw new IllegalStateException("simulated crash after delivering " + alert.getDedupKey() + " " + status);
            }
        });
    }

    static Alert alert(String key, AlertType type, Severity severity, AlertStatus status) {
        Map<String, String> evidence = new HashMap<>();
        evidence.put("calls", "5");
        return Alert.newBuilder().setDedupKey(key).setType(type).setSeverity(severity).setStatus(status).setRule("repeated-prompt")
                .setTenant("northwind").setAgent("research-agent").setModel("o4-mini").setTaskId("looping-task")
                .setObserved(5).setThreshold(5).setWindowStart(T0).setWindowEnd(T0.plusSeconds(300)).setDetectedAt(T0.plusSeconds(300))
                .setMessage(type + " " + key + " " + status).setEvidence(evidence).build();
    }

    static Alert resolved(Alert firing) {
        return Alert.newBuilder(firing).setStatus(AlertStatus.RESOLVED).setDetectedAt(firing.getDetectedAt().plusSeconds(60))
                .setMessage(firing.getType() + " " + firing.getDedupKey() + " RESOLVED").build();
    }

    /** Topics of one test on the shared cluster, and the pager settings it builds up. */
    static final class Rig implements AutoCloseable {
        final SharedKafka.Cluster cluster;
        final String prefix;
        final TopicCatalog topics;
        final Map<String, String> values = new HashMap<>();

        Rig(SharedKafka.Cluster cluster, String name) {
            this.cluster = cluster;
            this.prefix = cluster.uniquePrefix(name);
            this.topics = new TopicCatalog(prefix, new HttpSchemaRegistry(cluster.registryUrl(), RegistrySettings.DEFAULTS), 1);
            values.put(TokenmeterConfig.BOOTSTRAP_SERVERS, cluster.bootstrapServers());
            values.put(TokenmeterConfig.APPLICATION_ID, prefix + "app");
            values.put(TokenmeterConfig.PAGER_START, "earliest");
            values.put(TokenmeterConfig.PAGER_RETRY_BACKOFF, "100");
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
                TopicCreator.ensure(admin, topics, (short) 1);
            }
        }

        Rig set(String key, String value) {
            values.put(key, value);
            return this;
        }

        TokenmeterConfig config() {
            return TokenmeterConfig.of(values);
        }

        Pager pager(Pager.Hooks hooks) {
            TokenmeterConfig config = config();
            return new Pager(PagerSettings.from(config), config.kafkaClientProperties(), config.applicationId(), topics.alerts().name(),
                    topics.alerts().valueSerde().deserializer(), topics.dlq().name(), hooks, Clock.systemUTC());
        }

        void send(Alert... alerts) {
            try (KafkaProducer<String, Alert> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrapServers()),
                    new StringSerializer(), topics.alerts().valueSerde().serializer())) {
                for (Alert alert : alerts) {
                    producer.send(new ProducerRecord<>(topics.alerts().name(), alert.getDedupKey(), alert));
                }
                producer.flush();
            }
        }

        List<ConsumerRecord<byte[], byte[]>> readDeadLetters(int count) {
            Map<String, Object> props = Map.of("bootstrap.servers", cluster.bootstrapServers());
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                List<TopicPartition> partitions = consumer.partitionsFor(topics.dlq().name()).stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (records.size() < count && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                }
                consumer.poll(Duration.ofSeconds(1)).forEach(records::add);
            }
            return records;
        }

        /** The offset the target's consumer group committed on the alerts topic (one partition). */
        long committed(String target) throws Exception {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
                Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(config().applicationId() + "-pager-" + target)
                        .partitionsToOffsetAndMetadata().get();
                OffsetAndMetadata offset = offsets.get(new TopicPartition(topics.alerts().name(), 0));
                return offset == null ? -1 : offset.offset();
            }
        }

        @Override
        public void close() {
        }
    }
}
