package io.tokenmeter.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DemoWorkloadTest {

    private static final Instant START = Instant.parse("2025-06-01T00:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static List<DemoWorkload.Event> day;

    @BeforeAll
    static void generateOneDay() {
        day = new DemoWorkload(42, START).advanceTo(START.plus(Duration.ofDays(1)));
    }

    private static JsonNode json(DemoWorkload.Event event) {
        try {
            return JSON.readTree(event.json());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<JsonNode> usage() {
        return day.stream().filter(e -> e.kind() == DemoWorkload.Kind.USAGE).map(DemoWorkloadTest::json).toList();
    }

    @Test
    void theSameSeedGivesTheSameEvents() {
        List<DemoWorkload.Event> again = new DemoWorkload(42, START).advanceTo(START.plus(Duration.ofHours(3)));
        List<DemoWorkload.Event> other = new DemoWorkload(43, START).advanceTo(START.plus(Duration.ofHours(3)));
        List<DemoWorkload.Event> first = day.stream().filter(e -> e.time().isBefore(START.plus(Duration.ofHours(3))) || e.time().equals(START.plus(Duration.ofHours(3)))).toList();

        assertThat(again).extracting(e -> new String(e.json())).isEqualTo(first.stream().map(e -> new String(e.json())).toList());
        assertThat(other).extracting(e -> new String(e.json())).isNotEqualTo(first.stream().map(e -> new String(e.json())).toList());
    }

    @Test
    void eventsComeInEventTimeOrderWhetherAdvancedAtOnceOrInSteps() {
        DemoWorkload stepwise = new DemoWorkload(42, START);
        List<DemoWorkload.Event> steps = new ArrayList<>();
        for (int minute = 1; minute <= 24 * 60; minute++) {
            steps.addAll(stepwise.advanceTo(START.plus(Duration.ofMinutes(minute))));
        }
        assertThat(steps).extracting(e -> new String(e.json())).isEqualTo(day.stream().map(e -> new String(e.json())).toList());
        for (int i = 1; i < day.size(); i++) {
            assertThat(day.get(i).time()).isAfterOrEqualTo(day.get(i - 1).time());
        }
    }

    @Test
    void normalTrafficIsRealistic() {
        List<JsonNode> usage = usage();
        assertThat(usage.size()).isBetween(10_000, 30_000);
        Map<Integer, Long> byStatus = usage.stream().collect(Collectors.groupingBy(u -> u.get("statusCode").asInt(), Collectors.counting()));
        assertThat(byStatus.get(200) / (double) usage.size()).isGreaterThan(0.85);
        assertThat(byStatus).containsKeys(400, 408, 429);
        assertThat(usage).anySatisfy(u -> assertThat(u.get("reasoningTokens").asLong()).isPositive());
        assertThat(usage).anySatisfy(u -> assertThat(u.get("cachedInputTokens").asLong()).isPositive());
        assertThat(usage).anySatisfy(u -> assertThat(u.get("retryAttempt").asInt()).isPositive());
        assertThat(usage).anySatisfy(u -> assertThat(u.get("toolCalls").asInt()).isPositive());
        assertThat(usage).allSatisfy(u -> {
            assertThat(u.get("cachedInputTokens").asLong()).isLessThanOrEqualTo(u.get("inputTokens").asLong());
            assertThat(u.get("reasoningTokens").asLong()).isLessThanOrEqualTo(u.get("outputTokens").asLong());
        });
        assertThat(usage.stream().map(u -> u.get("tenant").asText()).distinct()).hasSizeGreaterThanOrEqualTo(5);
        assertThat(usage.stream().map(u -> u.get("model").asText()).distinct()).hasSizeGreaterThanOrEqualTo(5);
        assertThat(usage.stream().map(u -> u.get("agent").asText()).distinct()).hasSizeGreaterThanOrEqualTo(8);
    }

    @Test
    void mostTasksSucceedSomeFailAFewAreAbandoned() {
        List<JsonNode> outcomes = day.stream().filter(e -> e.kind() == DemoWorkload.Kind.OUTCOME).map(DemoWorkloadTest::json).toList();
        long tasks = usage().stream().map(u -> u.get("taskId").asText()).distinct().count();
        long succeeded = outcomes.stream().filter(o -> o.get("status").asText().equals("SUCCEEDED")).count();
        long failed = outcomes.size() - succeeded;
        assertThat(succeeded / (double) tasks).isBetween(0.8, 0.97);
        assertThat(failed).isPositive();
        assertThat(tasks - outcomes.size()).as("abandoned tasks").isPositive();
    }

    @Test
    void theRunawayLoopRepeatsOnePromptHashManyTimesInOneTask() {
        Instant loopStart = START.plus(DemoWorkload.INCIDENTS.get(0).offset());
        Map<String, Long> byHash = usage().stream()
                .filter(u -> u.get("taskId").asText().contains("-loop-"))
                .collect(Collectors.groupingBy(u -> u.get("promptHash").asText(), Collectors.counting()));
        assertThat(byHash).hasSize(1);
        assertThat(byHash.values().iterator().next()).isEqualTo(60);
        assertThat(usage().stream().filter(u -> u.get("taskId").asText().contains("-loop-")).map(u -> Instant.parse(u.get("timestamp").asText())))
                .allSatisfy(t -> assertThat(t).isBetween(loopStart, loopStart.plus(Duration.ofMinutes(21))));
    }

    @Test
    void theBudgetSurgeRunsCcLegalAtSeveralTimesItsBusiestNormalHour() {
        Instant surge = START.plus(DemoWorkload.INCIDENTS.get(2).offset());
        Map<Instant, Long> tasksPerHour = usage().stream()
                .filter(u -> u.get("costCenter").asText().equals("cc-legal") && u.get("agentStep").asInt() == 1)
                .collect(Collectors.groupingBy(u -> Instant.parse(u.get("timestamp").asText()).truncatedTo(java.time.temporal.ChronoUnit.HOURS),
                        Collectors.counting()));
        long busiestNormalHour = tasksPerHour.entrySet().stream()
                .filter(e -> e.getKey().isBefore(surge) || !e.getKey().isBefore(surge.plus(Duration.ofHours(4))))
                .mapToLong(Map.Entry::getValue).max().orElse(0);
        for (int hour = 0; hour < 4; hour++) {
            assertThat(tasksPerHour.getOrDefault(surge.plus(Duration.ofHours(hour)), 0L)).as("surge hour " + hour)
                    .isGreaterThan(2 * busiestNormalHour);
        }
    }

    @Test
    void theTokenSpikePutsFabrikamGpt4oFarAboveItsUsualMinute() {
        Instant spike = START.plus(DemoWorkload.INCIDENTS.get(1).offset());
        Map<Instant, Long> tokensPerMinute = usage().stream()
                .filter(u -> u.get("tenant").asText().equals("fabrikam") && u.get("model").asText().equals("gpt-4o"))
                .collect(Collectors.groupingBy(u -> Instant.parse(u.get("timestamp").asText()).truncatedTo(java.time.temporal.ChronoUnit.MINUTES),
                        Collectors.summingLong(u -> u.get("inputTokens").asLong() + u.get("outputTokens").asLong())));
        long spikeTokens = tokensPerMinute.getOrDefault(spike, 0L);
        long usualMax = tokensPerMinute.entrySet().stream()
                .filter(e -> e.getKey().isBefore(spike.minus(Duration.ofMinutes(1))) || e.getKey().isAfter(spike.plus(Duration.ofMinutes(1))))
                .mapToLong(Map.Entry::getValue).max().orElse(0);
        assertThat(spikeTokens).isGreaterThan(5 * usualMax).isGreaterThan(100_000);
    }

    @Test
    void theStormFloodsOneDeploymentWithRefusalsAndRetries() {
        Instant storm = START.plus(DemoWorkload.INCIDENTS.get(3).offset());
        Map<Instant, List<JsonNode>> byMinute = usage().stream()
                .filter(u -> u.get("deployment").asText().equals("gpt-41-mini-dz"))
                .collect(Collectors.groupingBy(u -> Instant.parse(u.get("timestamp").asText()).truncatedTo(java.time.temporal.ChronoUnit.MINUTES)));
        List<JsonNode> stormMinute = byMinute.get(storm.plus(Duration.ofMinutes(2)));
        long refusedOrRetried = stormMinute.stream().filter(u -> u.get("statusCode").asInt() == 429 || u.get("retryAttempt").asInt() > 0).count();
        assertThat(stormMinute.size()).isGreaterThanOrEqualTo(50);
        assertThat(refusedOrRetried / (double) stormMinute.size()).isGreaterThan(0.3);
    }

    @Test
    void theBudgetSurgeQuadruplesTheLegalCostCenter() {
        Function<Integer, Long> legalCallsInHour = hour -> usage().stream()
                .filter(u -> u.get("costCenter").asText().equals("cc-legal"))
                .filter(u -> Instant.parse(u.get("timestamp").asText()).atZone(java.time.ZoneOffset.UTC).getHour() == hour)
                .count();
        assertThat(legalCallsInHour.apply(15)).isGreaterThan(2 * legalCallsInHour.apply(12));
    }

    @Test
    void sendsAFewDuplicatesAndMalformedDocuments() {
        assertThat(day).anySatisfy(e -> assertThat(e.kind()).isEqualTo(DemoWorkload.Kind.DUPLICATE));
        assertThat(day).anySatisfy(e -> assertThat(e.kind()).isEqualTo(DemoWorkload.Kind.MALFORMED));
        assertThat(day.stream().filter(e -> e.kind() == DemoWorkload.Kind.MALFORMED).count()).isLessThan(20);
    }
}
