package io.tokenmeter.history;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.Budget;
import io.tokenmeter.history.HistoryDataset.Incident;
import io.tokenmeter.history.HistoryDataset.Kind;
import io.tokenmeter.history.HistoryDataset.Line;
import io.tokenmeter.history.Truth.Call;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The generated history is what EventTimeSkewIT needs it to be: the same every time, shaped as promised, and with
 * every planted incident (and decoy) far enough from its detector's threshold that only a wrong product, not a
 * rounding or an interleaving, can change the alert set.
 */
class HistoryDatasetTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MINUTE = 60_000L;
    private static HistoryDataset dataset;
    private static Truth truth;

    @BeforeAll
    static void generate() {
        dataset = HistoryDataset.generate(HistoryDataset.Params.DEFAULTS);
        truth = Truth.of(dataset, 4);
    }

    @Test
    void theSameParametersGiveTheSameBytesAndAnotherSeedOtherBytes() throws Exception {
        assertThat(digest(HistoryDataset.generate(HistoryDataset.Params.DEFAULTS))).isEqualTo(digest(dataset));
        assertThat(digest(HistoryDataset.generate(HistoryDataset.Params.DEFAULTS.withSeed(7)))).isNotEqualTo(digest(dataset));
    }

    @Test
    void aThirtyHourHistoryOfAboutTwentyFourThousandCallsWithDuplicatesAndMixedTimestamps() throws Exception {
        Map<Kind, Long> kinds = dataset.feed().stream().collect(Collectors.groupingBy(Line::kind, Collectors.counting()));
        assertThat(kinds.get(Kind.USAGE)).isBetween(24_000L, 24_050L);
        assertThat(kinds.get(Kind.DUPLICATE) / (double) kinds.get(Kind.USAGE)).isBetween(0.015, 0.025);
        assertThat(truth.uniqueCalls()).isEqualTo(kinds.get(Kind.USAGE).intValue() + 4);
        assertThat(truth.duplicates()).isEqualTo(kinds.get(Kind.DUPLICATE).intValue());
        assertThat(dataset.firstCall()).isBetween(HistoryDataset.DEFAULT_START, HistoryDataset.DEFAULT_START.plus(Duration.ofMinutes(30)));
        assertThat(Duration.between(dataset.firstCall(), dataset.lastCall())).isBetween(Duration.ofHours(29), Duration.ofHours(30));
        assertThat(truth.calls().stream().map(Call::tenant).distinct().sorted().toList())
                .containsExactly("adventure-works", "contoso", "fabrikam", "litware", "northwind", "tailspin", "wingtip", "zz-tail");
        Map<Integer, Long> statuses = truth.calls().stream().collect(Collectors.groupingBy(Call::status, TreeMap::new, Collectors.counting()));
        assertThat(statuses.keySet()).containsExactly(200, 400, 403, 408, 429, 500);
        List<JsonNode> docs = new ArrayList<>();
        for (Line line : dataset.feed()) {
            docs.add(JSON.readTree(line.json()));
        }
        Map<String, Long> formats = docs.stream().map(d -> d.get("timestamp")).collect(Collectors.groupingBy(
                t -> t.isNumber() ? "epoch number" : t.asText().matches("\\d+") ? "epoch text" : t.asText().endsWith("Z") ? "iso utc" : "iso offset",
                Collectors.counting()));
        assertThat(formats).containsOnlyKeys("epoch number", "epoch text", "iso utc", "iso offset").allSatisfy((k, v) -> assertThat(v).isGreaterThan(500));
        long outcomes = kinds.get(Kind.OUTCOME);
        long tasks = truth.tasks().size();
        assertThat(tasks - outcomes).as("tasks without outcome (abandoned)").isBetween(tasks / 50, tasks / 20);
    }

    @Test
    void nothingIsMoreThanThreeMinutesOutOfOrderAndEveryTaskStaysInsideTheInactivityGap() {
        long latest = dataset.feed().get(0).eventTime();
        long worst = 0;
        for (Line line : dataset.feed()) {
            worst = Math.max(worst, latest - line.eventTime());
            latest = Math.max(latest, line.eventTime());
        }
        assertThat(worst).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(3).toMillis());
        truth.tasks().values().forEach(task -> {
            for (int i = 1; i < task.calls().size(); i++) {
                assertThat(task.calls().get(i).time() - task.calls().get(i - 1).time()).as(task.taskId()).isLessThan(Duration.ofMinutes(5).toMillis());
            }
            if (task.outcome() != null) {
                assertThat(task.outcome().time()).as(task.taskId()).isGreaterThan(task.calls().get(task.calls().size() - 1).time());
            }
        });
    }

    @Test
    void onlyThePlantedLoopMakesMoreThanTwentyFiveCallsInTenMinutesAndNoTaskRepeatsAPrompt() {
        Map<String, Integer> busiest = new TreeMap<>();
        truth.tasks().values().forEach(task -> busiest.put(task.taskId(), maxInWindow(task.calls().stream().map(Call::time).toList(), 10 * MINUTE)));
        assertThat(busiest.get(HistoryDataset.LOOP_TASK)).isGreaterThanOrEqualTo(40);
        assertThat(busiest.get(HistoryDataset.BUSY_TASK)).isEqualTo(24);
        busiest.remove(HistoryDataset.LOOP_TASK);
        assertThat(busiest.values().stream().mapToInt(Integer::intValue).max().orElseThrow()).isEqualTo(24);
        truth.tasks().values().forEach(task -> {
            Map<String, Long> firstAttempts = task.calls().stream().filter(c -> c.retryAttempt() == 0)
                    .collect(Collectors.groupingBy(Call::promptHash, Collectors.counting()));
            assertThat(firstAttempts.values()).as(task.taskId()).allSatisfy(n -> assertThat(n).isEqualTo(1L));
            assertThat(task.calls().stream().mapToLong(c -> c.input() + c.output()).sum()).as(task.taskId()).isLessThan(500_000L);
        });
    }

    @Test
    void onlyThePlantedSpikeMinuteReachesTheSpikeVolumeAndItStandsFarAboveItsBaseline() {
        Map<String, Long> minutes = new TreeMap<>();
        truth.calls().forEach(c -> minutes.merge(c.tenant() + '|' + c.model() + '|' + Instant.ofEpochMilli(Math.floorDiv(c.time(), MINUTE) * MINUTE),
                c.input() + c.output(), Long::sum));
        Map<String, Long> big = new TreeMap<>(minutes);
        big.values().removeIf(tokens -> tokens < 9_000);
        // the storm's series (wingtip/gpt-4.1-nano) is new and lasts 7 minutes: a series needs 30 minutes and 10 active minutes to spike
        big.keySet().removeIf(key -> key.startsWith("wingtip|gpt-4.1-nano|"));
        assertThat(big).hasSize(1).allSatisfy((key, tokens) -> {
            assertThat(key).startsWith("fabrikam|gpt-4o|");
            assertThat(tokens).isGreaterThan(700_000);
        });
        String spikeKey = big.keySet().iterator().next();
        assertThat(minutes.entrySet().stream().filter(e -> e.getKey().startsWith("wingtip|gpt-4.1-nano|")).count()).isLessThanOrEqualTo(8);
        assertThat(spikeZ(minutes, spikeKey)).as("z of the spike minute over its EWMA baseline of log tokens (line: 4)").isGreaterThan(6);
    }

    @Test
    void onlyThePlantedStormHasFiftyRequestsToADeploymentInAMinuteWithManyRefused() {
        record Counts(long requests, long refusedOrRetried) {
        }
        Map<String, Counts> minutes = new TreeMap<>();
        truth.calls().forEach(c -> minutes.merge(c.deployment() + '|' + Instant.ofEpochMilli(Math.floorDiv(c.time(), MINUTE) * MINUTE),
                new Counts(1, c.refusedOrRetried() ? 1 : 0), (a, b) -> new Counts(a.requests() + b.requests(), a.refusedOrRetried() + b.refusedOrRetried())));
        Map<String, Counts> storm = new TreeMap<>(minutes);
        storm.keySet().removeIf(key -> !key.startsWith("nano-batch|"));
        assertThat(storm.values().stream().filter(c -> c.requests() >= 50)).hasSize(7).allSatisfy(c -> {
            assertThat(c.requests()).isGreaterThan(80);
            assertThat(c.refusedOrRetried() / (double) c.requests()).isGreaterThan(0.4);
        });
        minutes.keySet().removeIf(key -> key.startsWith("nano-batch|"));
        minutes.forEach((key, c) -> assertThat(c.requests() < 40 || c.refusedOrRetried() / (double) c.requests() < 0.1)
                .as(key + " " + c).isTrue());
        assertThat(minutes.entrySet().stream().filter(e -> e.getKey().startsWith("gpt5-mini-lab|"))).hasSize(6).allSatisfy(e -> {
            assertThat(e.getValue().requests()).isBetween(12L, 36L);
            assertThat(e.getValue().refusedOrRetried() / (double) e.getValue().requests()).isGreaterThan(0.3);
        });
    }

    @Test
    void theUnpricedModelIsTriedOnOneDayAndEveryOtherModelHasAPrice() {
        List<Call> unpriced = truth.calls().stream().filter(c -> !c.priced()).toList();
        assertThat(unpriced).hasSize(8).allSatisfy(c -> assertThat(c.model()).isEqualTo("gpt-5.1-preview"));
        assertThat(unpriced.stream().map(c -> Math.floorDiv(c.time(), 86_400_000L)).distinct()).hasSize(1);
    }

    @Test
    void budgetsLandWellClearOfTheirThresholdsAndForecasts() {
        Map<String, Budget> budgets = dataset.budgets().stream().collect(Collectors.toMap(b -> b.getScopeType() + ":" + b.getScopeValue(), Function.identity()));
        Map<String, ? extends Map<String, String>> status = truth.budgetStatus().rows();
        assertThat(Double.parseDouble(status.get("tenant:contoso").get("percent"))).isBetween(61.0, 63.0);
        assertThat(Double.parseDouble(status.get("costCenter:cc-legal").get("percent"))).isBetween(124.0, 126.0);
        assertThat(Double.parseDouble(status.get("application:code-review-bot").get("percent"))).isBetween(1.9, 2.1);
        assertThat(status.get("costCenter:cc-legal").get("action")).isEqualTo("BLOCK");
        assertThat(status.get("application:code-review-bot").get("action")).isEqualTo("ALLOW");
        assertThat(truth.peakForecastShare(budgets.get("TENANT:contoso"))).isGreaterThan(3);
        assertThat(truth.peakForecastShare(budgets.get("COST_CENTER:cc-legal"))).isGreaterThan(3);
        assertThat(truth.peakForecastShare(budgets.get("APPLICATION:code-review-bot"))).isLessThan(0.5);
        List<Incident> incidents = truth.incidents(dataset.incidents());
        assertThat(incidents.stream().filter(i -> !i.decoy()).map(Incident::name)).containsExactlyInAnyOrder(
                "runaway-loop", "unpriced-model", "retry-storm", "token-spike",
                "budget tenant:contoso 50 %", "budget tenant:contoso forecast",
                "budget costCenter:cc-legal 50 %", "budget costCenter:cc-legal 80 %", "budget costCenter:cc-legal 100 %",
                "budget costCenter:cc-legal forecast");
        assertThat(incidents.stream().filter(Incident::decoy).map(Incident::type)).contains(AlertType.RUNAWAY_LOOP, AlertType.RETRY_STORM);
    }

    @Test
    void theTailReachesEveryPartitionTwoDaysAfterTheLastCallAndSlicesFollowEventTime() throws Exception {
        List<String> tail = dataset.tail(4);
        for (int partition = 0; partition < 4; partition++) {
            JsonNode doc = JSON.readTree(tail.get(partition));
            assertThat(Utils.toPositive(Utils.murmur2(doc.get("eventId").asText().getBytes(StandardCharsets.UTF_8))) % 4).isEqualTo(partition);
            assertThat(Instant.parse(doc.get("timestamp").asText())).isEqualTo(dataset.tailTime());
        }
        assertThat(truth.endOfData()).isEqualTo(dataset.tailTime());
        List<List<String>> slices = dataset.timeSlices(4);
        assertThat(slices.stream().mapToInt(List::size).sum()).isEqualTo(dataset.feed().size());
        long previousMax = Long.MIN_VALUE;
        for (List<String> slice : slices) {
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            for (String doc : slice) {
                long time = Truth.time(JSON.readTree(doc).get("timestamp"));
                min = Math.min(min, time);
                max = Math.max(max, time);
            }
            assertThat(min).isGreaterThanOrEqualTo(previousMax);
            previousMax = max;
        }
    }

    @Test
    void theTruthPricesCallsExactlyAndAddsUpTheSameTotalAtEveryWindowSize() {
        // 1,234,567 input (1,000,000 cached), 345,678 output (300,000 reasoning) of gpt-4o global: $2.50 / $1.25 / $10 per million
        var price = new ListPrices(io.tokenmeter.prices.PriceCatalogs.defaultCatalog().entries())
                .find("gpt-4o", "2024-11-20", "global", "eastus2", Instant.parse("2026-03-02T00:00:00Z")).orElseThrow();
        assertThat(ListPrices.costNanos(1_234_567, 1_000_000, 345_678, 300_000, price))
                .isEqualTo(586_417_500L + 1_250_000_000L + 456_780_000L + 3_000_000_000L);
        // rounded once, half to even, to the nano: at $0.0005 per million tokens 1, 3 and 5 tokens cost 0.5, 1.5 and 2.5 nanos
        var halfNano = io.tokenmeter.event.PriceEntry.newBuilder(price).setInputPerMillionNanos(500_000).build();
        assertThat(ListPrices.costNanos(1, 0, 0, 0, halfNano)).isZero();
        assertThat(ListPrices.costNanos(3, 0, 0, 0, halfNano)).isEqualTo(2);
        assertThat(ListPrices.costNanos(5, 0, 0, 0, halfNano)).isEqualTo(2);
        Map<String, Long> totals = new HashMap<>();
        Table windows = truth.usageWindows();
        windows.rows().forEach((key, row) -> totals.merge(key.substring(0, 2), Long.parseLong(row.get("costNanos")), Long::sum));
        assertThat(totals.get("1m")).isEqualTo(totals.get("1h")).isEqualTo(totals.get("1d"));
        assertThat(windows.rows().keySet()).noneMatch(key -> key.contains("zz-tail"));
    }

    private static int maxInWindow(List<Long> times, long window) {
        List<Long> sorted = times.stream().sorted().toList();
        int best = 0;
        int from = 0;
        for (int to = 0; to < sorted.size(); to++) {
            while (sorted.get(to) - sorted.get(from) >= window) {
                from++;
            }
            best = Math.max(best, to - from + 1);
        }
        return best;
    }

    /** The planted minute's z over an EWMA (alpha 0.1) of log tokens of the series' earlier active minutes, sigma floored at 0.1. */
    private static double spikeZ(Map<String, Long> minutes, String spikeKey) {
        String series = spikeKey.substring(0, spikeKey.lastIndexOf('|') + 1);
        double mean = 0;
        double variance = 0;
        int learned = 0;
        for (Map.Entry<String, Long> minute : minutes.entrySet()) {
            if (!minute.getKey().startsWith(series)) {
                continue;
            }
            if (minute.getKey().equals(spikeKey)) {
                return (Math.log(minute.getValue()) - mean) / Math.max(Math.sqrt(variance), 0.1);
            }
            double x = Math.log(minute.getValue());
            if (learned == 0) {
                mean = x;
            } else {
                double diff = x - mean;
                mean += 0.1 * diff;
                variance = 0.9 * (variance + diff * 0.1 * diff);
            }
            learned++;
        }
        throw new AssertionError("no spike minute " + spikeKey);
    }

    private static String digest(HistoryDataset data) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (String doc : data.documents(4)) {
            sha.update(doc.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) '\n');
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
