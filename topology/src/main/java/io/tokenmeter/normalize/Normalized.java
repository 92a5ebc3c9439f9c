package io.tokenmeter.normalize;

import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.UsageEvent;

/** What one raw document turned into: a usage event, a task outcome, or a rejection with its reason. */
public sealed interface Normalized {

    /** A canonical usage event. */
    record Usage(UsageEvent event) implements Normalized {
    }

    /** A task outcome. */
    record Outcome(TaskOutcome outcome) implements Normalized {
    }

    /** An API Management diagnostic record of an LLM call, to be joined with the other records of its call. */
    record Apim(ApimLog log) implements Normalized {
    }

    /**
     * An Azure OpenAI {@code RequestResponse} resource-log record: a request and its status on a deployment, with no
     * tokens. It is counted as such (per deployment and status), never as usage, so a call the gateway also logged is
     * not counted twice, and calls that bypass the gateway show up as the difference.
     */
    record OpenAiRequest(String deployment, String model, int statusCode) implements Normalized {
    }

    /**
     * A document, or part of one, that could not be read.
     *
     * @param reason a {@link io.tokenmeter.topics.DeadLetters} reason code
     * @param detail what exactly was wrong, for the person who reads the dead letter
     */
    record Rejected(String reason, String detail) implements Normalized {
    }
}
