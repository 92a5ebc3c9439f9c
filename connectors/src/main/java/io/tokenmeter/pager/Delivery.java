package io.tokenmeter.pager;

import io.tokenmeter.event.Alert;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Clock;
import java.time.Duration;

/** Sends one alert to one target over HTTP and says whether it arrived, was refused for good, or may be retried. */
final class Delivery {

    /** What became of one attempt. */
    enum Outcome { DELIVERED, REJECTED, FAILED }

    /** An attempt's outcome and, unless delivered, a one-line reason. */
    record Result(Outcome outcome, String reason) {
    }

    private static final int MAX_BODY_IN_REASON = 300;

    private final Target target;
    private final HttpClient http;
    private final Duration timeout;
    private final Duration alertmanagerTtl;
    private final Clock clock;

    Delivery(Target target, Duration timeout, Duration alertmanagerTtl, Clock clock) {
        this.target = target;
        this.timeout = timeout;
        this.alertmanagerTtl = alertmanagerTtl;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    String body(Alert alert) {
        return switch (target.kind()) {
            case ALERTMANAGER -> AlertPayloads.alertmanager(alert, clock.instant(), alertmanagerTtl);
            case PAGERDUTY -> AlertPayloads.pagerDuty(alert, target.secret());
            case WEBHOOK -> switch (target.format()) {
                case SLACK -> AlertPayloads.slack(alert);
                case TEAMS -> AlertPayloads.teams(alert);
                case GENERIC -> AlertPayloads.generic(alert);
            };
        };
    }

    Result send(Alert alert) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(target.url()).timeout(timeout).header("Content-Type", "application/json")
                .header("User-Agent", "tokenmeter-pager").POST(HttpRequest.BodyPublishers.ofString(body(alert))).build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (HttpConnectTimeoutException e) {
            return new Result(Outcome.FAILED, "unreachable (connect timed out after " + timeout.toMillis() + " ms)");
        } catch (HttpTimeoutException e) {
            return new Result(Outcome.FAILED, "no answer within " + timeout.toMillis() + " ms");
        } catch (ConnectException e) {
            return new Result(Outcome.FAILED, "unreachable (connection refused)");
        } catch (IOException | UnresolvedAddressException e) {
            return new Result(Outcome.FAILED, "unreachable (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
        }
        return classify(response.statusCode(), response.body());
    }

    /**
     * 2xx arrived. 408, 425, 429 and 5xx may pass: retry. Every other status (PagerDuty's 400 invalid event, a 404 of
     * a wrong path, 401/403 of a revoked webhook) will not get better by sending the same body again.
     */
    static Result classify(int status, String body) {
        if (status >= 200 && status < 300) {
            return new Result(Outcome.DELIVERED, null);
        }
        String text = body == null ? "" : body.strip().replaceAll("\\s+", " ");
        String reason = "HTTP " + status + (text.isEmpty() ? "" : " " + (text.length() <= MAX_BODY_IN_REASON ? text : text.substring(0, MAX_BODY_IN_REASON) + "..."));
        boolean passing = status == 408 || status == 425 || status == 429 || status >= 500;
        return new Result(passing ? Outcome.FAILED : Outcome.REJECTED, reason);
    }
}
